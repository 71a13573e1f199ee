"""The final pass over all findings: no two of them may advise contradictory things.

Checks judge one concern each, so on their own they can disagree: `duplicate_indexes` drops one half
of a pair while `unused_indexes` drops the other; both drop the two indexes that serve one foreign key
(leaving it unindexed while `missing_fk_indexes` said every key was indexed); `index_bloat` rebuilds an
index another check drops. This pass removes the weaker advice, says so in the finding's `reason`,
and regrades a finding left with nothing to fix. It reads only the findings, never the database.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding

__all__ = ["DROPPING_CHECKS", "REBUILDING_CHECKS", "reconcile"]

# Checks whose rows advise DROP INDEX (a row advises it when it carries a `fix`).
DROPPING_CHECKS = ("unused_indexes", "duplicate_indexes", "low_cardinality_indexes")
# Checks whose rows rebuild or replace an index: moot once that index is dropped.
REBUILDING_CHECKS = ("index_bloat", "null_indexes")

Key = tuple[str, str, str]  # schema, table, index


def _key(row: dict[str, Any]) -> Key:
    return (row["schema"], row["table"], row["index"])


def _drops(finding: Finding | None) -> dict[Key, dict[str, Any]]:
    if finding is None:
        return {}
    return {_key(r): r for r in finding.rows if r.get("fix", "").startswith("DROP INDEX")}


def _without(finding: Finding, keep: dict[Key, str]) -> Finding:
    """`finding` minus its advice on the indexes in `keep` (index -> why), regraded when nothing is left."""
    rows, kept = [], []
    for r in finding.rows:
        if r.get("index") is not None and _key(r) in keep and "fix" in r:
            kept.append(f"{r['index']} ({keep[_key(r)]})")
            if finding.check == "unused_indexes":  # stays listed, as an index not to drop
                rows.append({**{k: v for k, v in r.items() if k != "fix"}, "trusted": False, "keep": keep[_key(r)]})
            continue
        rows.append(r)
    if not kept:
        return finding
    reason = "; ".join(filter(None, [finding.reason, "kept by the consistency pass: " + ", ".join(kept)]))
    left = [r for r in rows if "fix" in r]
    if left:
        summary = f"{finding.summary}; {len(kept)} of them kept, since other findings need them (see reason)"
        return finding.model_copy(update={"rows": rows, "reason": reason, "value": len(left), "summary": summary})
    return finding.model_copy(update={
        "rows": rows, "reason": reason, "value": 0, "status": "green", "remediation": None,
        "summary": f"nothing to change once the other findings are applied ({len(kept)} kept)",
    })


def reconcile(findings: list[Finding]) -> list[Finding]:
    """`findings` with contradictory advice removed (same order, same checks)."""
    by_name = {f.check: f for f in findings}
    unused, duplicates = by_name.get("unused_indexes"), by_name.get("duplicate_indexes")
    keep: dict[Key, str] = {}

    # 1. A pair: when the covering index is itself dropped as unused, the covered one is what remains.
    unused_drops = _drops(unused)
    for key, row in _drops(duplicates).items():
        cover = (row["schema"], row["table"], row["covered_by"])
        if cover in unused_drops:
            keep[key] = f"{row['covered_by']}, which covers it, is dropped as unused"

    # 2. Every foreign key keeps at least one serving index (the first by name among those dropped).
    dropped: dict[Key, dict[str, Any]] = {}
    for name in DROPPING_CHECKS:
        dropped.update({k: r for k, r in _drops(by_name.get(name)).items() if k not in keep})
    for key, row in sorted(dropped.items()):
        for fk in row.get("foreign_keys") or []:
            serving = [(key[0], key[1], index) for index in fk["served_by"]]
            if all(s in dropped and s not in keep for s in serving):
                keep[serving[0]] = f"the last index serving foreign key {fk['constraint']}"

    # 3. No rebuild of an index that is dropped.
    gone = {k for k in dropped if k not in keep}
    rebuild_keep = {k: "it is dropped (see the other index findings)" for k in gone}

    out = []
    for f in findings:
        if f.check in DROPPING_CHECKS:
            f = _without(f, keep)
        elif f.check in REBUILDING_CHECKS:
            f = _without(f, rebuild_keep)
        out.append(f)
    return out
