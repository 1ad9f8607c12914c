"""After the gate table: the phase in the CI's own places, when a CI runs us."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from tasks.artifacts.coverage import load_coverage
from tasks.artifacts.run import RunArtifact
from tasks.artifacts.stability import load_stability
from tasks.artifacts.triage import load_triage
from tasks.ci import github, gitlab
from tasks.ci.detect import Ci, detect
from tasks.ci.phase import Phase
from tasks.ci.workflow import command
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.gates import Gate


def error_annotation(message: str, code: int, env: Mapping[str, str] | None = None) -> str | None:
    """On GitHub Actions, phasegate's one-line error (bad input, exit 2) as an annotation too:
    a job that stopped before its verdict says why on the run's page, not only in its log."""
    if detect(os.environ if env is None else env) is not Ci.GITHUB:
        return None
    return command("error", message, {"title": f"phasegate stopped (exit {code})"})


def publish(
    config: PhaseConfig,
    run: RunArtifact,
    gates: Sequence[Gate],
    console: Console,
    env: Mapping[str, str] | None = None,
) -> None:
    """GitHub Actions: job summary, annotations, step outputs; GitLab CI: Cobertura XML and
    the coverage line. Elsewhere nothing."""
    env = os.environ if env is None else env
    ci = detect(env)
    if ci is None:
        return
    reports, run_id = config.reports_dir, run["run_id"]
    phase = Phase(
        config,
        run,
        gates,
        load_triage(reports, run_id),
        load_stability(reports, run_id),
        load_coverage(reports, run_id),
    )
    if ci is Ci.GITHUB:
        github.publish(phase, env, console)
    else:
        gitlab.publish(phase, console)
