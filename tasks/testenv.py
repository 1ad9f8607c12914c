"""The environment the project's tests run in: created once, reused while its inputs match.

`venv = "none"` uses the interpreter phasegate runs in. Otherwise one environment per project
lives in `<project>/.nox/phasegate` (a folder nox projects already ignore), made with uv when
it is available and with virtualenv otherwise. A stamp of everything the install depends on
(arguments, the project's packaging files, the interpreter) is kept beside it: chained steps
and repeated runs install the project once, and a change to any input reinstalls it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tasks.config import PhaseConfig, load_pyproject
from tasks.console import Console
from tasks.errors import ConfigError, EnvironmentSetupError

PACKAGING_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
TEST_REQUIREMENTS = (
    "requirements-test.txt",
    "requirements-tests.txt",
    "requirements-testing.txt",
    "test-requirements.txt",
    "tests-requirements.txt",
    "tests/requirements.txt",
    "test/requirements.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
    "requirements/testing.txt",
    "requirements-dev.txt",
    "dev-requirements.txt",
    "requirements/dev.txt",
)
# Names projects give what their tests need, as extras or PEP 735 dependency groups; "dev"
# only when none of the others exists (it usually includes them).
TEST_NAMES = ("test", "tests", "testing")
FALLBACK_NAME = "dev"
# What phasegate itself needs inside the test environment, on top of the project.
RUNNER_REQUIREMENTS = ("pytest", "pytest-cov", "coverage")


@dataclasses.dataclass(frozen=True)
class InstallPlan:
    """pip arguments that install the project and its test dependencies, and what they are."""

    args: list[str]
    found: list[str]  # e.g. "the project with extras [tests]", "dependency group tests"


def env_dir(config: PhaseConfig) -> Path:
    return config.project / ".nox" / "phasegate"


def _is_installable(project: Path, pyproject: Mapping[str, Any]) -> bool:
    """A setup.py/setup.cfg, or a pyproject.toml that declares a project or a build system."""
    if (project / "setup.py").is_file() or (project / "setup.cfg").is_file():
        return True
    return "project" in pyproject or "build-system" in pyproject


def _test_names(declared: Mapping[str, object]) -> list[str]:
    names = [n for n in TEST_NAMES if n in declared]
    return names or ([FALLBACK_NAME] if FALLBACK_NAME in declared else [])


def _dependency_groups(project: Path, pyproject: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The requirements of the project's PEP 735 test groups, resolved (includes followed)."""
    groups = pyproject.get("dependency-groups") or {}
    if not isinstance(groups, dict):
        return [], []
    names = _test_names(groups)
    if not names:
        return [], []
    try:
        import dependency_groups  # only here: it imports packaging, which a push never needs

        requirements = list(dependency_groups.resolve(groups, *names))
    except (ValueError, TypeError, LookupError) as exc:
        raise ConfigError(
            f"[dependency-groups] in {project / 'pyproject.toml'}: {exc}; fix the group, or "
            "set install in [tool.phasegate]"
        ) from None
    return requirements, [f"dependency group {n}" for n in names]


def detect_install(project: Path) -> InstallPlan:
    """What the project declares for its tests: extras, dependency groups, requirement files."""
    pyproject = load_pyproject(project)
    args: list[str] = []
    found: list[str] = []
    if _is_installable(project, pyproject):
        extras = _test_names(pyproject.get("project", {}).get("optional-dependencies") or {})
        args += ["-e", f".[{','.join(extras)}]" if extras else "."]
        found.append("the project" + (f" with extras [{','.join(extras)}]" if extras else ""))
    elif (project / "requirements.txt").is_file():
        args += ["-r", "requirements.txt"]
        found.append("requirements.txt")
    requirements, groups = _dependency_groups(project, pyproject)
    args += requirements
    found += groups
    name = next((n for n in TEST_REQUIREMENTS if (project / n).is_file()), None)
    if name is not None:
        args += ["-r", name]
        found.append(name)
    return InstallPlan(args, found)


def install_plan(config: PhaseConfig) -> InstallPlan:
    if config.install is not None:
        return InstallPlan(list(config.install), ["install in [tool.phasegate]"])
    return detect_install(config.project)


def _backend(config: PhaseConfig) -> str:
    has_uv = shutil.which("uv") is not None or importlib.util.find_spec("uv") is not None
    if config.venv == "uv" and not has_uv:
        raise ConfigError(
            'venv = "uv" in [tool.phasegate]: uv is not installed; '
            'pip install uv, or set venv = "virtualenv"'
        )
    if config.venv == "auto":
        return "uv" if has_uv else "virtualenv"
    return config.venv


def _uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def _stamp(config: PhaseConfig, backend: str, args: list[str]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([sys.version, sys.executable, backend, args]).encode())
    files = [*PACKAGING_FILES, *(a for a in args if a.endswith(".txt"))]
    for name in files:
        path = config.project / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def python_in(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def env_python(config: PhaseConfig) -> Path:
    """The interpreter the tests run with, whether or not it is installed yet."""
    return Path(sys.executable) if config.venv == "none" else python_in(env_dir(config))


def stamp_path(venv: Path) -> Path:
    """Written last by a finished install: what it installed, from what."""
    return venv / "phasegate-install.json"


def is_installed(config: PhaseConfig) -> bool:
    """An environment whose install finished (maybe for other dependencies since); one
    whose install failed midway has an interpreter but no stamp."""
    if config.venv == "none":
        return True
    return python_in(env_dir(config)).exists() and stamp_path(env_dir(config)).is_file()


def ensure_env(config: PhaseConfig, console: Console) -> Path:
    """The interpreter to run the tests with; creates and installs the environment if needed."""
    if config.venv == "none":
        return env_python(config)
    backend = _backend(config)
    plan = install_plan(config)
    args = plan.args
    venv = env_dir(config)
    stamp_file = stamp_path(venv)
    stamp = _stamp(config, backend, args)
    python = python_in(venv)
    if python.exists() and stamp_file.is_file():
        try:
            if json.loads(stamp_file.read_text(encoding="utf-8")).get("stamp") == stamp:
                return python
        except (OSError, json.JSONDecodeError):
            pass
    what = ", ".join(plan.found) or "nothing the project declares"
    console.step(f"installing {what} into {venv} ({backend}): pip install {shlex.join(args)}")
    stamp_file.unlink(missing_ok=True)
    # The log lives beside the environment: a new folder in the project root could change
    # what setuptools' automatic package discovery finds in a flat layout.
    venv.mkdir(parents=True, exist_ok=True)
    log = venv.parent / "phasegate-install.log"
    if backend == "uv":
        create = [*_uv(), "venv", "--allow-existing", "--python", sys.executable, str(venv)]
        install = [*_uv(), "pip", "install", "--python", str(python)]
    else:
        create = [sys.executable, "-m", "virtualenv", "--quiet", str(venv)]
        install = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    with log.open("w", encoding="utf-8") as handle:
        for command in (create, [*install, *args, *RUNNER_REQUIREMENTS]):
            handle.write("$ " + " ".join(command) + "\n")
            handle.flush()
            done = subprocess.run(
                command, cwd=config.project, stdout=handle, stderr=subprocess.STDOUT, check=False
            )
            if done.returncode != 0:
                tail = log.read_text(encoding="utf-8").strip().splitlines()[-5:]
                raise EnvironmentSetupError(
                    f"installing the test environment failed (exit {done.returncode}); "
                    f"see {log}; check `install` in [tool.phasegate]. Last lines:\n"
                    + "\n".join(tail)
                )
    stamp_file.write_text(json.dumps({"stamp": stamp, "install": args}), encoding="utf-8")
    return python
