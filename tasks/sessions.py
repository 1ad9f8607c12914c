"""phasegate's nox sessions. A project's noxfile gets all of them with one line:

    import tasks.sessions  # noqa: F401  (registers run, triage, stability, coverage, summary,
                           #              validate_phase, combine)

The sessions are thin: they parse `session.posargs` with the CLI's own options, call the same
steps as `phasegate`, and end with the same exit codes. They use `venv_backend="none"`: the
test environment is phasegate's own (see testenv.py), so a chain installs the project once.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import nox

from tasks.artifacts import Artifacts
from tasks.artifacts.run import load_run
from tasks.artifacts.stability import STABILITY
from tasks.artifacts.store import load
from tasks.cli import config_from_args, guarded_with_config, option_parser
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import ExitCode
from tasks.pipeline import RUNS_PYTEST, finish, project_session, run_step_named, step_exit_code
from tasks.shards.combine import combine as combine_shards


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


def _guarded(
    session: nox.Session,
    name: str,
    body: Callable[[PhaseConfig], int],
    parser: argparse.ArgumentParser | None = None,
) -> int:
    """The CLI's boundary: the error was printed as one line (or a trace, exit 3); a code
    other than a gate's ends the session with that code."""
    console = Console()

    def load() -> PhaseConfig:
        args = (parser or option_parser()).parse_args(session.posargs)
        return config_from_args(args, Path.cwd())

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
        if config.shard and name not in RUNS_PYTEST:
            Console().step(f"step {name}: not in a shard job; `nox -s combine` runs it")
            return ExitCode.OK
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


def _verdict(config: PhaseConfig) -> int:
    """The gate table; a shard job's own steps' verdict (`combine` gives the phase's)."""
    if not config.shard:
        return finish(config, Console())
    arts = Artifacts(config.reports_dir)
    ran = step_exit_code("run", load_run(config.reports_dir))
    return max(ran, step_exit_code("stability", load(arts.stability_json, STABILITY)))


@nox.session(venv_backend="none", default=False, requires=["summary"])
def validate_phase(session: nox.Session) -> None:
    """Validate the phase: every step, then one gate table (exit 1 if a gate fails)."""
    code = _guarded(session, "validate_phase", _verdict)
    if code != ExitCode.OK:
        _fail(session, ExitCode(code), "phase validation failed: see the gate table above")


@nox.session(venv_backend="none", default=False)
def combine(session: nox.Session) -> None:
    """Merge the shard jobs' folders into one phase verdict (exit 1 if a gate fails)."""
    parser = option_parser()
    parser.add_argument("dirs", nargs="*", default=[], metavar="DIR")
    dirs = parser.parse_known_args(session.posargs)[0].dirs
    code = _guarded(
        session, "combine", lambda config: combine_shards(config, Console(), dirs), parser
    )
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
