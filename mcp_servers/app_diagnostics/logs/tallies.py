"""The named running totals of a log analysis (one per path, minute, dyno and add-on database)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

__all__ = ["AddonTally", "DynoTally", "MinuteTally", "PathTally", "RequestTally", "bigger"]


@dataclass(slots=True)
class RequestTally:
    """Router requests counted together: their errors, error codes and service times (ms)."""

    requests: int = 0
    errors: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    service: list[int] = field(default_factory=list)


@dataclass(slots=True)
class PathTally(RequestTally):
    """The requests of one path."""

    key: str = field(kw_only=True)  # "METHOD /normalised/path"


@dataclass(slots=True)
class MinuteTally(RequestTally):
    """One minute of the timeline; its errors also count R errors and crashes."""


@dataclass(slots=True)
class DynoTally:
    state: str | None = None
    crashes: int = 0
    exits: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    mem_max: float | None = None
    mem_last: float | None = None
    quota: float | None = None
    pct_max: float | None = None
    load_max: float | None = None
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    memory_times: list[str] = field(default_factory=list)  # UTC timestamps of the memory_total samples


@dataclass(slots=True)
class AddonTally:
    samples: int = 0
    latest: dict[str, float] = field(default_factory=dict)
    series: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def bigger(old: float | None, new: float | None) -> float | None:
    if new is None:
        return old
    return new if old is None or new > old else old
