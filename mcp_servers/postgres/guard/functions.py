"""Which functions a read-only query may call: an allowlist, with named reasons for the known-dangerous ones.

Policy (allowlist, not denylist):
1. A name on `DENIED` (exact) or matching `DENIED_PREFIXES` is refused with its reason, whatever else is true.
2. Otherwise a name is allowed when PostgreSQL itself declares some `pg_catalog` function of that name
   IMMUTABLE or STABLE (the generated `_catalog_functions.NAMES`, ~1800 names from PostgreSQL 14 to 18),
   or it is one of the VOLATILE functions in `VOLATILE_ALLOWED` that only read (sizes, WAL positions,
   random numbers, clocks).
3. Everything else is refused: user-defined functions, extension functions, unknown names.

STABLE/IMMUTABLE alone is not enough (`txid_current` is STABLE and assigns a transaction id;
`table_to_xml` is STABLE and runs SQL built from its argument), hence the deny list wins over rule 2.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = [
    "DENIED", "DENIED_PREFIXES", "VOLATILE_ALLOWED", "allowed_function_names", "callable_function_names", "function_refusal",
]

_FILES_READ = "reads server files"
_FILES_WRITE = "writes server files"
_LARGE_OBJECTS = "reads or writes large objects"
_REMOTE = "opens connections to other databases"
_SETTINGS = "changes server or session settings"
_PROCESSES = "signals or controls server processes"
_LOCKS = "takes advisory locks"
_SEQUENCES = "advances or sets a sequence"
_XID = "assigns a transaction id"
_SLEEP = "sleeps while holding a connection"
_RUNS_SQL = "executes SQL text given as an argument"
_NOTIFY = "sends notifications or WAL messages"
_REPLICATION = "changes replication state"
_STATS = "resets or overwrites statistics"
_WRITES = "modifies indexes or catalogs"
_TYPE_INPUT = "runs the input function of a type named at run time"

DENIED: dict[str, str] = {
    **dict.fromkeys(
        ("pg_read_file", "pg_read_binary_file", "pg_stat_file", "pg_current_logfile", "pg_hba_file_rules",
         "pg_ident_file_mappings", "pg_show_all_file_settings", "lo_import", "pg_logdir_ls"),
        _FILES_READ,
    ),
    **dict.fromkeys(("lo_export", "pg_file_write", "pg_file_rename", "pg_file_unlink", "pg_file_sync"), _FILES_WRITE),
    **dict.fromkeys(("loread", "lowrite"), _LARGE_OBJECTS),
    **dict.fromkeys(("set_config", "pg_reload_conf", "setseed"), _SETTINGS),
    **dict.fromkeys(
        ("pg_terminate_backend", "pg_cancel_backend", "pg_rotate_logfile", "pg_rotate_logfile_old", "pg_switch_wal",
         "pg_promote", "pg_log_backend_memory_contexts", "pg_create_restore_point", "pg_log_standby_snapshot",
         "pg_stat_clear_snapshot"),
        _PROCESSES,
    ),
    **dict.fromkeys(("nextval", "setval"), _SEQUENCES),
    **dict.fromkeys(("txid_current", "pg_current_xact_id", "pg_export_snapshot"), _XID),
    **dict.fromkeys(("pg_sleep", "pg_sleep_for", "pg_sleep_until"), _SLEEP),
    **dict.fromkeys(("ts_stat", "ts_rewrite"), _RUNS_SQL),
    **dict.fromkeys(("pg_notify", "pg_logical_emit_message"), _NOTIFY),
    **dict.fromkeys(("pg_drop_replication_slot", "pg_sync_replication_slots"), _REPLICATION),
    **dict.fromkeys(("pg_stat_force_next_flush",), _STATS),
    **dict.fromkeys(
        ("gin_clean_pending_list", "brin_summarize_new_values", "brin_summarize_range", "brin_desummarize_range",
         "pg_import_system_collations", "pg_nextoid", "pg_extension_config_dump", "pg_stop_making_pinned_objects"),
        _WRITES,
    ),
    **dict.fromkeys(
        ("pg_input_is_valid", "pg_input_error_info", "domain_in", "domain_recv", "record_in", "record_recv", "array_in",
         "array_recv", "range_in", "range_recv", "multirange_in", "multirange_recv", "anyrange_in", "anymultirange_in",
         "anycompatiblerange_in", "anycompatiblemultirange_in"),
        _TYPE_INPUT,
    ),
}

# Families: checked with str.startswith / str.endswith on the lower-cased name.
DENIED_PREFIXES: tuple[tuple[str, str], ...] = (
    ("pg_ls_", _FILES_READ),
    ("pg_file_", _FILES_WRITE),
    ("lo_", _LARGE_OBJECTS),
    ("dblink", _REMOTE),
    ("postgres_fdw", _REMOTE),
    ("pg_advisory", _LOCKS),
    ("pg_try_advisory", _LOCKS),
    ("pg_sleep", _SLEEP),
    ("pg_logical_slot_", _REPLICATION),
    ("pg_replication_", _REPLICATION),
    ("pg_create_", _REPLICATION),
    ("pg_copy_", _REPLICATION),
    ("pg_backup_", _PROCESSES),
    ("pg_wal_replay_", _PROCESSES),
    ("pg_stat_reset", _STATS),
    ("pg_restore_", _STATS),
    ("pg_clear_", _STATS),
    ("binary_upgrade_", _WRITES),
    ("query_to_xml", _RUNS_SQL),
    ("cursor_to_xml", _RUNS_SQL),
    ("table_to_xml", _RUNS_SQL),
    ("schema_to_xml", _RUNS_SQL),
    ("database_to_xml", _RUNS_SQL),
)

# VOLATILE in pg_catalog, yet they only read (or return fresh random values / clock readings).
VOLATILE_ALLOWED: frozenset[str] = frozenset(
    """
    random random_normal array_sample array_shuffle gen_random_uuid uuidv4 uuidv7 clock_timestamp timeofday
    current_query currval lastval
    pg_database_size pg_relation_size pg_table_size pg_indexes_size pg_total_relation_size pg_tablespace_size
    pg_partition_tree pg_partition_ancestors pg_sequence_last_value
    pg_is_in_recovery pg_is_wal_replay_paused pg_get_wal_replay_pause_state pg_current_wal_lsn
    pg_current_wal_insert_lsn pg_current_wal_flush_lsn pg_last_wal_receive_lsn pg_last_wal_replay_lsn
    pg_last_xact_replay_timestamp pg_last_committed_xact pg_xact_commit_timestamp pg_xact_commit_timestamp_origin
    pg_xact_status txid_status pg_blocking_pids pg_safe_snapshot_blocking_pids pg_lock_status
    pg_notification_queue_usage pg_jit_available pg_get_wait_events pg_get_multixact_members
    pg_collation_actual_version pg_database_collation_actual_version
    pg_stat_get_io pg_stat_get_backend_io pg_stat_get_backend_wal pg_stat_get_recovery_prefetch pg_stat_have_stats
    pg_stat_get_xact_blocks_fetched pg_stat_get_xact_blocks_hit pg_stat_get_xact_function_calls
    pg_stat_get_xact_function_self_time pg_stat_get_xact_function_total_time pg_stat_get_xact_numscans
    pg_stat_get_xact_tuples_deleted pg_stat_get_xact_tuples_fetched pg_stat_get_xact_tuples_hot_updated
    pg_stat_get_xact_tuples_inserted pg_stat_get_xact_tuples_newpage_updated pg_stat_get_xact_tuples_returned
    pg_stat_get_xact_tuples_updated
    """.split()
)


@lru_cache(maxsize=1)
def allowed_function_names() -> frozenset[str]:
    """Every function name a query may call (before the deny list, which always wins)."""
    from mcp_servers.postgres.guard._catalog_functions import NAMES

    return frozenset(NAMES.split()) | VOLATILE_ALLOWED


def function_refusal(name: str) -> str | None:
    """Why a call of built-in function `name` is refused, or None when it may run."""
    lowered = name.lower()
    reason = DENIED.get(lowered)
    if reason is None:
        reason = next((why for prefix, why in DENIED_PREFIXES if lowered.startswith(prefix)), None)
    if reason is not None:
        return f"function {name} {reason}"
    if name not in allowed_function_names():
        return f"function {name} is not on the allowlist of side-effect-free built-in functions"
    return None


@lru_cache(maxsize=1)
def callable_function_names() -> tuple[str, ...]:
    """The built-in function names a query may call (the allowlist less the deny list), sorted."""
    return tuple(sorted(name for name in allowed_function_names() if function_refusal(name) is None))
