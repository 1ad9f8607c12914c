"""phasegate's nox sessions. A project's noxfile gets all of them with one line:

    import tasks.sessions  # noqa: F401  (registers run, triage, stability, coverage, summary,
                           #              validate_phase)

The sessions are thin: they parse `session.posargs` with the CLI's own options, call the same
steps as `phasegate`, and end with the same exit codes. They use `venv_backend="none"`: the
test environment is phasegate's own (see testenv.py), so a chain installs the project once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nox

from tasks.cli import config_from_args, guarded_with_config, option_parser
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import ExitCode
from tasks.pipeline import finish, project_session, run_step_named, step_exit_code


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


def _guarded(session: nox.Session, name: str, body: Callable[[PhaseConfig], int]) -> int:
    """The CLI's boundary: the error was printed as one line (or a trace, exit 3); a code
    other than a gate's ends the session with that code."""
    console = Console()

    def load() -> PhaseConfig:
        return config_from_args(option_parser().parse_args(session.posargs), Path.cwd())

    def in_session(config: PhaseConfig) -> int:
        with project_session(config, console, f"nox -s {name}"):
            return body(config)

    code = guarded_with_config(load, in_session, console)
    if code not in (ExitCode.OK, ExitCode.GATE_FAILED):
        raise SystemExit(code)
    return code


def _step(session: nox.Session, name: str) -> None:
    requested = _requested(session)
    alone = requested is None or name in requested

    def body(config: PhaseConfig) -> int:
        data = run_step_named(name, config, Console(), settle=alone)
        return step_exit_code(name, data)

    code = _guarded(session, name, body)
    if alone and code != ExitCode.OK:
        _fail(session, ExitCode(code), f"step {name}: a quality gate failed (see above)")


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
    code = _guarded(session, "validate_phase", lambda config: finish(config, Console()))
    if code != ExitCode.OK:
        _fail(session, ExitCode(code), "phase validation failed: see the gate table above")


@nox.session(venv_backend="none", default=False)
def prepush(session: nox.Session) -> None:
    """The pre-push check for HEAD against its upstream: the tests its commits can break."""
    from tasks.hook.command import main as hook_main

    code = hook_main(["run", "--upstream", *session.posargs])  # e.g. -- --explain
    if code == ExitCode.GATE_FAILED:
        session.error("prepush: a selected test failed (see above)")
    if code != ExitCode.OK:
        raise SystemExit(code)
