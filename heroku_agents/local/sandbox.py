"""`code_exec_python`'s fence: model-written Python on the user's own machine, opt-in and bounded.

On Heroku the snippet runs in a separate one-off dyno that holds none of the caller's secrets, and
the template kills it after 10 s. Locally there is no dyno, so when the operator turns the tool on
(`LOCAL_CODE_EXEC=1`) the snippet gets, in this order:

- an empty environment (PATH, LANG, and HOME set to a throwaway folder) and `python -I` (no user
  site-packages, no PYTHON* variables); the folder is its working directory and is deleted afterwards;
- on Linux, the endpoint marks itself non-dumpable, so a process of the same user cannot read its
  `/proc/<pid>/environ` (the database password, INFERENCE_KEY);
- where unprivileged user namespaces work (`unshare`), new user, PID, mount and network namespaces:
  no network at all, and a `/proc` that shows only the snippet's own processes;
- limits: wall clock (10 s or the tool's ttl, whichever is lower), CPU seconds, 512 MB of address
  space, 16 MB per written file, 64 open files; stdout and stderr go to files under that size
  limit, so an endless print cannot grow the endpoint.

It is not a virtual machine: the snippet can still read files the user can read. `fence` in the
result says which layers were in place.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import anyio

__all__ = ["CODE_EXEC_TIMEOUT_S", "MAX_FILE_BYTES", "MAX_MEMORY_BYTES", "SnippetRun", "run_snippet"]

CODE_EXEC_TIMEOUT_S = 10  # heroku/mcp-code-exec-python kills a snippet after 10 s
MAX_MEMORY_BYTES = 512 * 1024 * 1024
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_OPEN_FILES = 64
_UNSHARE = ("unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--mount-proc")


@dataclass(frozen=True)
class SnippetRun:
    returncode: int  # -2: timed out (as the template reports it)
    stdout: str
    stderr: str
    fence: tuple[str, ...]


def _boot(cpu_s: int) -> str:
    """The interpreter's first lines: lower its own hard limits (irreversible), then run the snippet as __main__."""
    limits = [("RLIMIT_CPU", cpu_s), ("RLIMIT_AS", MAX_MEMORY_BYTES), ("RLIMIT_FSIZE", MAX_FILE_BYTES),
              ("RLIMIT_NOFILE", MAX_OPEN_FILES), ("RLIMIT_CORE", 0)]
    lines = ["import resource, runpy, sys"]
    lines += [f"resource.setrlimit(resource.{name}, ({value}, {value}))" for name, value in limits]
    lines += ["sys.path.insert(0, sys.argv[1])", "del resource", "runpy.run_path(sys.argv[2], run_name='__main__')"]
    return "\n".join(lines)


@lru_cache(maxsize=1)
def _namespaces_work() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run([*_UNSHARE, "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@lru_cache(maxsize=1)
def _hide_own_environment() -> bool:
    """Make this process non-dumpable: its /proc/<pid>/environ becomes unreadable to the user's other processes."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    pr_set_dumpable = 4
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(pr_set_dumpable, 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _tail(path: Path, limit: int) -> str:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - limit * 4))
        return handle.read().decode("utf-8", "replace")[-limit:]


async def run_snippet(code: str, *, timeout_s: float, site_dir: Path | None, max_output: int) -> SnippetRun:
    """Run `code` fenced as the module docstring says; `site_dir` holds packages installed for it."""
    fence = ["scrubbed environment", "throwaway folder", "rlimits"]
    if _hide_own_environment():
        fence.append("endpoint environ hidden")
    timeout_s = min(timeout_s, CODE_EXEC_TIMEOUT_S)
    with tempfile.TemporaryDirectory(prefix="code-exec-run-") as tmp:
        folder = Path(tmp)
        script = folder / "snippet.py"
        script.write_text(code, encoding="utf-8")
        argv = [sys.executable, "-I", "-c", _boot(int(timeout_s) + 1), str(site_dir or folder), str(script)]
        if _namespaces_work():
            argv = [*_UNSHARE, *argv]
            fence.append("namespaces (no network, private /proc)")
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(folder)}
        out, err = folder / "stdout", folder / "stderr"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = await anyio.open_process(
                argv, cwd=str(folder), env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                start_new_session=True,
            )
            returncode = -2
            with anyio.move_on_after(timeout_s):
                returncode = await process.wait()
            if returncode == -2:
                _kill_group(process.pid)
                with anyio.CancelScope(shield=True):
                    await process.wait()
        if returncode == -2:
            return SnippetRun(-2, _tail(out, max_output), "Error: Execution timed out", tuple(fence))
        return SnippetRun(returncode, _tail(out, max_output), _tail(err, max_output), tuple(fence))


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
