"""Benchmarks: one `bench_<area>.py` module per area, each with `run() -> dict` of JSON figures.

Targets are printed beside the figures (`"target": ...`, `"met": true|false`); they are never
asserted in tests.
"""
