"""Catalog relations a read must not touch: they hold credentials or read the server's own files.

A superuser (the embedded default, and often a laptop's DATABASE_URL) can read them all; no agent
question needs them, and the masked views (`pg_roles`, `pg_user`, `pg_stat_wal_receiver`) stay open.
"""

from __future__ import annotations

__all__ = ["SECRET_RELATIONS", "secret_relation_refusal"]

_CATALOG = "pg_catalog"
_INFO = "information_schema"
_PASSWORD_HASHES = "holds role password hashes"
_MAPPING_PASSWORDS = "holds foreign-server user options (passwords)"
_SERVER_FILES = "reads the server's configuration files"

# name -> (schema it lives in, why it is refused)
SECRET_RELATIONS: dict[str, tuple[str, str]] = {
    "pg_authid": (_CATALOG, _PASSWORD_HASHES),
    "pg_shadow": (_CATALOG, _PASSWORD_HASHES),
    "pg_user_mapping": (_CATALOG, _MAPPING_PASSWORDS),
    "pg_user_mappings": (_CATALOG, _MAPPING_PASSWORDS),
    "user_mapping_options": (_INFO, _MAPPING_PASSWORDS),
    "_pg_user_mappings": (_INFO, _MAPPING_PASSWORDS),
    "pg_subscription": (_CATALOG, "holds subscription connection strings (passwords)"),
    "pg_file_settings": (_CATALOG, _SERVER_FILES),
    "pg_hba_file_rules": (_CATALOG, _SERVER_FILES),
    "pg_ident_file_mappings": (_CATALOG, _SERVER_FILES),
}


def secret_relation_refusal(schema: str | None, name: str) -> str | None:
    """Why reading relation `schema.name` is refused, or None. Unqualified names match too (search_path can vary)."""
    found = SECRET_RELATIONS.get(name)
    if found is None or schema not in (None, found[0]):
        return None
    return f"relation {name} {found[1]}"
