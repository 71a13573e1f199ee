"""Placeholder: the releases tool lands in the next commit."""

from __future__ import annotations


def register(server, api, settings) -> None:
    return None
