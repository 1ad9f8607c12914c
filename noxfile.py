"""phasegate's own nox sessions: the phasegate steps (validating phasegate itself) + dev tasks."""

from __future__ import annotations

import sys
from pathlib import Path

import nox

# The nox console script does not put the noxfile's folder on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import tasks.sessions  # noqa: F401  registers run, triage, ..., validate_phase

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run phasegate's own test suite on every core (pytest-xdist; `-- -n0` for one process)."""
    # Compiled: with PYTHONDONTWRITEBYTECODE set, uv's uncompiled install makes each of the
    # suite's ~130 pytest processes compile pytest again (0.4 s each).
    session.install("-e", ".[test]", env={"UV_COMPILE_BYTECODE": "1"})
    session.run("pytest", "-n", "auto", "--dist", "loadgroup", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy --strict on tasks/ and noxfile.py."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "tasks", "noxfile.py", "tests", "benchmarks")
    session.run("ruff", "format", "--check", "tasks", "noxfile.py", "tests", "benchmarks")
    session.run("mypy")
