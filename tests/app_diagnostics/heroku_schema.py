"""Heroku's published Platform API hyper-schema, as a contract for the fake and for our client.

The schema (MIT, heroku/platform-api `schema.json`) is vendored beside this module in
`data/heroku-platform-api-schema.json` (licence note in `data/README.md`), so the tests read nothing
outside the repository. `validate_response`
checks a JSON body against a link's `targetSchema` (Draft 4, `$ref`s resolved against the root),
plus two rules of Heroku's interagent dialect that plain Draft 4 ignores: `strictProperties: true`
means every listed property is present and no other, and an object schema with `properties`
admits no property it does not list (so a fake that invents a field fails).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft4Validator, ValidationError, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

__all__ = ["SCHEMA_PATH", "Link", "find_links", "links", "load_schema", "validate_request", "validate_response"]

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "heroku-platform-api-schema.json"
ROOT_ID = "http://api.heroku.com/schema"


@functools.cache
def load_schema() -> dict[str, Any]:
    if not SCHEMA_PATH.exists():
        raise FileNotFoundError(
            f"the vendored Heroku Platform API schema is missing at {SCHEMA_PATH}; restore it from git "
            "(heroku/platform-api schema.json, see tests/app_diagnostics/data/README.md)"
        )
    return json.loads(SCHEMA_PATH.read_text())


@dataclass(frozen=True)
class Link:
    resource: str
    index: int
    title: str
    method: str
    href: str
    pattern: re.Pattern[str]
    has_request_schema: bool
    has_target_schema: bool

    @property
    def pointer(self) -> str:
        return f"#/definitions/{self.resource}/links/{self.index}"


def _href_pattern(href: str) -> re.Pattern[str]:
    # `{(%23%2Fdefinitions%2Fapp%2Fdefinitions%2Fidentity)}` is one path segment (an id or a name)
    parts = re.split(r"\{\([^)]*\)\}", href)
    return re.compile("^" + "[^/]+".join(re.escape(unquote(p)) for p in parts) + "$")


@functools.cache
def links() -> tuple[Link, ...]:
    found = []
    for resource, definition in load_schema()["definitions"].items():
        for index, link in enumerate(definition.get("links", [])):
            found.append(Link(
                resource=resource, index=index, title=link.get("title", ""), method=link.get("method", "GET"),
                href=link["href"], pattern=_href_pattern(link["href"]),
                has_request_schema="schema" in link, has_target_schema="targetSchema" in link,
            ))
    return tuple(found)


def find_links(method: str, path: str) -> list[Link]:
    """Every link whose method and href pattern match a request (Create and Rollback share one)."""
    path = path.split("?", 1)[0]
    return [link for link in links() if link.method == method and link.pattern.match(path)]


def _strict_properties(validator: Any, strict: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if not strict or not validator.is_type(instance, "object"):
        return
    listed = set(schema.get("properties", {}))
    missing = sorted(listed - set(instance))
    if missing:
        yield ValidationError(f"strictProperties: missing {missing}")


def _properties_closed(validator: Any, properties: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    yield from Draft4Validator.VALIDATORS["properties"](validator, properties, instance, schema)
    if validator.is_type(instance, "object") and "additionalProperties" not in schema and "patternProperties" not in schema:
        extra = sorted(set(instance) - set(properties))
        if extra:
            yield ValidationError(f"properties not in the schema: {extra}")


HerokuValidator = validators.extend(
    Draft4Validator, {"strictProperties": _strict_properties, "properties": _properties_closed}
)


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(ROOT_ID, Resource.from_contents(load_schema(), default_specification=DRAFT4))


@functools.cache
def _validator(pointer: str) -> Any:
    return HerokuValidator(
        {"$ref": f"{ROOT_ID}{pointer}"}, registry=_registry(), format_checker=Draft4Validator.FORMAT_CHECKER
    )


def _errors(pointer: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}"
        for e in _validator(pointer).iter_errors(instance)
    ]


def validate_response(link: Link, body: Any) -> list[str]:
    """Problems of a response body against the link's targetSchema (empty when it conforms)."""
    if not link.has_target_schema:
        return []
    return _errors(f"{link.pointer}/targetSchema", body)


def validate_request(link: Link, body: Any) -> list[str]:
    """Problems of a request body against the link's schema (empty when it conforms)."""
    if not link.has_request_schema:
        return [] if body in (None, {}) else [f"{link.method} {link.href} takes no body"]
    return _errors(f"{link.pointer}/schema", body if body is not None else {})
