"""The environment the project's tests run in: created once, reused while its inputs match.

`venv = "none"` uses the interpreter phasegate runs in. Otherwise one environment per project
lives in `<project>/.nox/phasegate` (a folder nox projects already ignore), made with uv when
it is available and with virtualenv otherwise. A stamp of everything the install depends on
(arguments, the project's packaging files, the interpreter) is kept beside it: chained steps
and repeated runs install the project once, and a change to any input reinstalls it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import ConfigError, EnvironmentSetupError

PACKAGING_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
TEST_REQUIREMENTS = (
    "requirements-test.txt",
    "requirements-tests.txt",
    "test-requirements.txt",
    "requirements-dev.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
)
TEST_EXTRAS = ("test", "tests", "testing")
# What phasegate itself needs inside the test environment, on top of the project.
RUNNER_REQUIREMENTS = ("pytest", "pytest-cov", "coverage")


def env_dir(config: PhaseConfig) -> Path:
    return config.project / ".nox" / "phasegate"


def _is_installable(project: Path) -> bool:
    """A setup.py/setup.cfg, or a pyproject.toml that declares a project or a build system."""
    if (project / "setup.py").is_file() or (project / "setup.cfg").is_file():
        return True
    pyproject = project / "pyproject.toml"
    if not pyproject.is_file():
        return False
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return "project" in data or "build-system" in data


def detect_install(project: Path) -> list[str]:
    """pip arguments that install the project and its test dependencies."""
    args: list[str] = []
    if _is_installable(project):
        extras: dict[str, object] = {}
        pyproject = project / "pyproject.toml"
        if pyproject.is_file():
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            extras = data.get("project", {}).get("optional-dependencies", {}) or {}
        extra = next((e for e in TEST_EXTRAS if e in extras), None)
        args += ["-e", f".[{extra}]" if extra else "."]
    elif (project / "requirements.txt").is_file():
        args += ["-r", "requirements.txt"]
    for name in TEST_REQUIREMENTS:
        if (project / name).is_file():
            args += ["-r", name]
            break
    return args


def install_args(config: PhaseConfig) -> list[str]:
    return list(config.install) if config.install is not None else detect_install(config.project)


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


def ensure_env(config: PhaseConfig, console: Console) -> Path:
    """The interpreter to run the tests with; creates and installs the environment if needed."""
    if config.venv == "none":
        return env_python(config)
    backend = _backend(config)
    args = install_args(config)
    venv = env_dir(config)
    stamp_file = venv / "phasegate-install.json"
    stamp = _stamp(config, backend, args)
    python = python_in(venv)
    if python.exists() and stamp_file.is_file():
        try:
            if json.loads(stamp_file.read_text(encoding="utf-8")).get("stamp") == stamp:
                return python
        except (OSError, json.JSONDecodeError):
            pass
    console.step(f"installing the project into {venv} ({backend}): pip install {' '.join(args)}")
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
