"""Cold start of each one-off dyno (one per Heroku tool call), against a minimal one-tool MCPServer.

- instructions (callgrind, noise-free): spawn, initialize, stdin closed, exit; target <= 1.0x minimal;
- spawn to the first tools/call result (wall clock, medians of interleaved runs); target <= 1.10x;
- exit after stdin closes (a dyno is billed until its process exits).
"""

from __future__ import annotations

import compileall
import statistics

from benchmarks._stdio import ROOT, callgrind_instructions, first_result_ms, minimal_server_args
from mcp_servers.common.embedded_pg import EmbeddedPostgres

INSTRUCTIONS_TARGET_RATIO = 1.0
FIRST_RESULT_TARGET_RATIO = 1.10
RUNS = 5

PING = {"name": "ping", "arguments": {}}
SERVERS = {
    # What a first call of each server typically is; pg_schema reads the catalog of a real database.
    "mcp-postgres": (["-m", "mcp_servers.postgres"], {"name": "pg_schema", "arguments": {}}),
    "mcp-appdiag": (["-m", "mcp_servers.app_diagnostics"], {"name": "app_overview", "arguments": {"app": "example"}}),
}


def _median_pair(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return round(statistics.median(s[0] for s in samples), 1), round(statistics.median(s[1] for s in samples), 1)


def run() -> dict:
    # As in the slug (pip installs and compiles the project, requirements.txt's `.`): our modules as .pyc, which
    # PYTHONDONTWRITEBYTECODE would otherwise leave uncompiled here. Timestamp mode, so a later edit still wins locally.
    compileall.compile_dir(ROOT / "mcp_servers", quiet=1)
    pg = EmbeddedPostgres.temporary().start()
    try:
        env = {"DATABASE_URL": pg.url()}
        minimal = minimal_server_args()
        report: dict = {}
        base_instr = callgrind_instructions(minimal)
        report["minimal_server"] = {"instructions": base_instr}
        for name, (args, call) in SERVERS.items():
            ours_instr = callgrind_instructions(args, env)
            ours, base = [], []
            for _ in range(RUNS):  # interleaved, so load on the machine hits both alike
                base.append(first_result_ms(minimal, PING))
                ours.append(first_result_ms(args, call, env))
            ours_ms, ours_exit = _median_pair(ours)
            base_ms, base_exit = _median_pair(base)
            figures: dict = {"first_result_ms": ours_ms, "minimal_first_result_ms": base_ms,
                             "first_result_ratio": round(ours_ms / base_ms, 3),
                             "first_result_target_ratio": FIRST_RESULT_TARGET_RATIO,
                             "first_result_met": ours_ms / base_ms <= FIRST_RESULT_TARGET_RATIO,
                             "exit_after_stdin_closed_ms": ours_exit, "minimal_exit_after_stdin_closed_ms": base_exit}
            if ours_instr is not None and base_instr is not None:
                figures |= {"instructions": ours_instr, "instructions_ratio": round(ours_instr / base_instr, 3),
                            "instructions_target_ratio": INSTRUCTIONS_TARGET_RATIO,
                            "instructions_met": ours_instr / base_instr <= INSTRUCTIONS_TARGET_RATIO}
            else:
                figures["instructions"] = "valgrind not installed (apt-get install valgrind)"
            report[name] = figures
        return report
    finally:
        pg.destroy()
