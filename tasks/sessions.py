"""phasegate's nox sessions. A project's noxfile gets all of them with one line:

    import tasks.sessions  # noqa: F401  (registers run, triage, stability, coverage, summary,
                           #              validate_phase)

The sessions are thin: they parse `session.posargs` with the CLI's own options, call the same
steps as `phasegate`, and end with the same exit codes. They use `venv_backend="none"`: the
test environment is phasegate's own (see testenv.py), so a chain installs the project once.
"""

from __future__ import annotations

from pathlib import Path

import nox

from tasks.cli import config_from_args, option_parser
from tasks.console import Console
from tasks.errors import ExitCode, PhaseError
from tasks.pipeline import finish, run_step_named, step_exit_code


def _requested(session: nox.Session) -> list[str] | None:
    """The sessions named on nox's command line (-s), when nox lets us see them."""
    # nox has no public API for this; without it every step behaves as if named alone.
    config = getattr(getattr(session, "_runner", None), "global_config", None)
    names = getattr(config, "sessions", None)
    return list(names) if isinstance(names, list | tuple) else None


def _fail(session: nox.Session, code: ExitCode, message: str) -> None:
    if code == ExitCode.GATE_FAILED:
        session.error(message)
    # nox turns every session failure into exit 1; usage and internal errors keep their code.
    session.log(f"phasegate: error: {message}")
    raise SystemExit(int(code))


def _step(session: nox.Session, name: str) -> None:
    console = Console()
    try:
        args = option_parser().parse_args(session.posargs)
        config = config_from_args(args, Path.cwd())
        requested = _requested(session)
        alone = requested is None or name in requested
        data = run_step_named(name, config, console, settle=alone)
    except PhaseError as exc:
        _fail(session, exc.exit_code, str(exc))
        return
    code = step_exit_code(name, data)
    if alone and code != ExitCode.OK:
        _fail(session, code, f"step {name}: a quality gate failed (see above)")


@nox.session(venv_backend="none", default=False)
def run(session: nox.Session) -> None:
    """Run the suite once, instrumented, and record every test's outcome."""
    _step(session, "run")


@nox.session(venv_backend="none", default=False, requires=["run"])
def stability(session: nox.Session) -> None:
    """Rerun the suite in fresh processes and varied orders; find flaky tests."""
    _step(session, "stability")


@nox.session(venv_backend="none", default=False, requires=["stability"])
def triage(session: nox.Session) -> None:
    """Categorise every failure (test, production, flaky, environment) with evidence."""
    _step(session, "triage")


@nox.session(venv_backend="none", default=False, requires=["run"])
def coverage(session: nox.Session) -> None:
    """Gate coverage (target, increase, per-file floors) and update the history."""
    _step(session, "coverage")


@nox.session(venv_backend="none", default=False, requires=["triage", "coverage"])
def summary(session: nox.Session) -> None:
    """Write the phase summary markdown."""
    _step(session, "summary")


@nox.session(venv_backend="none", default=False, requires=["summary"])
def validate_phase(session: nox.Session) -> None:
    """Validate the phase: every step, then one gate table (exit 1 if a gate fails)."""
    console = Console()
    try:
        args = option_parser().parse_args(session.posargs)
        code = finish(config_from_args(args, Path.cwd()), console)
    except PhaseError as exc:
        _fail(session, exc.exit_code, str(exc))
        return
    if code != ExitCode.OK:
        _fail(session, code, "phase validation failed: see the gate table above")
