"""Heroku's H (router), R (runtime) and L (logging) error codes, read from `error_codes.json`.

Facts (codes, titles, status, limits such as 30 s, 55 s, 60 s, 75 s) come from Heroku Dev Center's
"Heroku Error Codes" article (https://devcenter.heroku.com/articles/error-codes; its May 2024 table of
contents lists H10-H28, H31, H32, H80-H83, H99, R10-R99, L10-L15); the sentences are ours. H33 and H34,
which other summaries list, appear in no Heroku page we could find, so they are not in the table: a line
carrying them is still counted, as an unknown code. Codes marked `retired` are no longer emitted but
still appear in old logs and questions. The Router 2.0 notes of H13 and H18 come from
help.heroku.com/Y6M4QI4V ("How do I fix new H18 or H13 errors ... since switching to Router 2.0?").

In the data file an entry's kind follows from its letter; `level` defaults to "error", `status` to
null (no HTTP status of its own), `next_checks` to none and `retired` to false.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["CODES", "ErrorCode", "lookup", "nearest_codes", "normalise_code"]

Kind = Literal["router", "runtime", "logging"]
Level = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    title: str
    kind: Kind
    level: Level
    status: int | None
    meaning: str
    causes: tuple[str, ...]
    first_action: str
    next_checks: tuple[str, ...] = ()
    retired: bool = False
    note: str | None = None


_DATA = Path(__file__).with_name("error_codes.json")
_KIND_OF_LETTER: dict[str, Kind] = {"H": "router", "R": "runtime", "L": "logging"}


def _load() -> tuple[ErrorCode, ...]:
    """The table in the data file's order; an unknown or missing field fails the import."""
    rows = json.loads(_DATA.read_text(encoding="utf-8"))
    return tuple(
        ErrorCode(code=code, kind=_KIND_OF_LETTER[code[0]], level=row.pop("level", "error"),
                  status=row.pop("status", None), causes=tuple(row.pop("causes")),
                  next_checks=tuple(row.pop("next_checks", ())), **row)
        for code, row in rows.items()
    )


_TABLE = _load()
CODES: dict[str, ErrorCode] = {entry.code: entry for entry in _TABLE}


def normalise_code(text: str) -> str:
    """'h12 ' -> 'H12'; leaves unknown shapes as upper-cased, stripped text."""
    return text.strip().upper().replace(" ", "")


def lookup(code: str) -> ErrorCode | None:
    return CODES.get(normalise_code(code))


def nearest_codes(code: str, limit: int = 3) -> list[str]:
    """Known codes closest to an unknown one: same letter first, then numerically nearest."""
    text = normalise_code(code)
    letter = text[:1] if text[:1] in ("H", "R", "L") else None
    digits = "".join(ch for ch in text if ch.isdigit())
    number = int(digits) if digits else None

    def distance(entry: ErrorCode) -> tuple[int, int, str]:
        same_letter = 0 if letter is None or entry.code[0] == letter else 1
        gap = abs(int(entry.code[1:]) - number) if number is not None else 0
        return same_letter, gap, entry.code

    return [entry.code for entry in sorted(_TABLE, key=distance)[:limit]]
