"""Typed reads of settings from an environment mapping, with errors that name the variable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["TRUE_WORDS", "Env", "env_fields", "env_flag", "env_number"]

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def env_flag(env: Mapping[str, str], name: str) -> bool:
    """True when `name` is set to 1/true/yes/on (any case)."""
    return (env.get(name) or "").strip().lower() in TRUE_WORDS


def env_number(env: Mapping[str, str], name: str, default: float, kind: type = float, *, positive: bool = False):
    """`name` as `kind` (int or float); `default` when unset or blank.

    Raises:
        ValueError: the value is not a number of that kind (or not > 0 with `positive`); the message names it.
    """
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    label = f"{'positive ' if positive else ''}{kind.__name__}"
    article = "an" if label[0] in "aeiou" else "a"
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be {article} {label} number, got {raw!r}") from None
    if positive and value <= 0:
        raise ValueError(f"{name} must be {article} {label} number, got {raw!r}")
    return value


@dataclass(frozen=True)
class Env:
    """Marks a bool, int or float settings field as read from the variable `name`: `x: Annotated[int, Env("X")] = 3`."""

    name: str
    positive: bool = False


def env_fields(model: type[BaseModel], env: Mapping[str, str]) -> dict[str, Any]:
    """Every `Env`-marked field of `model` read from `env` (bool as a flag, numbers as their type; unset: the default).

    Raises:
        ValueError: a number is malformed (see `env_number`).
    """
    values: dict[str, Any] = {}
    for field, info in model.model_fields.items():
        mark = next((m for m in info.metadata if isinstance(m, Env)), None)
        if mark is None:
            continue
        if info.annotation is bool:
            values[field] = env_flag(env, mark.name)
        else:
            values[field] = env_number(env, mark.name, info.default, info.annotation, positive=mark.positive)
    return values
