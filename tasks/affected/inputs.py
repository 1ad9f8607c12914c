"""What a selection reads: the impact index (from any run, even another machine's, used file
by file wherever its hashes match), run.json when there is one (node ids, durations, rootdir,
failures) and the hook's last failures. Reading never imports coverage: a docs-only push must
be answered at once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tasks.affected import last_failures
from tasks.artifacts import Artifacts, store
from tasks.artifacts.impact import IMPACT, ImpactArtifact, IndexConfig, config_fingerprint
from tasks.artifacts.run import RUN, RunArtifact
from tasks.config import PhaseConfig
from tasks.errors import PhaseError

NO_INDEX = (
    "no impact index yet: the first push runs the whole suite; later pushes run only what they "
    "can break (`phasegate run` or `phasegate validate` builds it)"
)
FAILED = frozenset({"failed", "error"})


@dataclasses.dataclass(frozen=True)
class Inputs:
    """The index (None: `why` says why it cannot be used) and what the last run recorded."""

    index: ImpactArtifact | None
    why: str | None
    rootdir: Path
    known: tuple[str, ...]  # every test node id the run or the index knows
    durations: dict[str, float]
    failed: frozenset[str]  # failed in the last full run, or in the hook's run since
    passed: frozenset[str] = frozenset()  # passed in the last full run


def current_fingerprint(config: PhaseConfig) -> IndexConfig:
    return config_fingerprint(config.tests, config.pytest_args, config.pythonpath, config.source)


def config_difference(made: IndexConfig, now: IndexConfig) -> str | None:
    """The first setting that differs between the index's run and now, as a clause."""
    for key in ("tests", "pytest_args", "pythonpath", "source"):
        if made[key] != now[key]:
            then, current = made[key], now[key]
            return f"{key} was {then!r} for the index, is {current!r} now"
    return None


def load_index(config: PhaseConfig) -> tuple[ImpactArtifact | None, str | None]:
    """The usable index, or None and the one-line reason the whole suite must run."""
    path = Artifacts(config.reports_dir).impact_json
    if not path.is_file():
        return None, NO_INDEX
    try:
        index = store.load(path, IMPACT)
    except PhaseError as exc:
        return None, f"the impact index cannot be used ({exc})"
    if not index["per_test"]:
        return None, f"{path} has no per-test contexts: rerun `phasegate run`"
    differs = config_difference(index["config"], current_fingerprint(config))
    if differs is not None:
        return (
            None,
            f"the impact index was made with other settings ({differs}): rerun `phasegate run`",
        )
    return index, None


def load_run(config: PhaseConfig) -> RunArtifact | None:
    try:
        return store.load(Artifacts(config.reports_dir).run_json, RUN)
    except PhaseError:
        return None


def load(config: PhaseConfig) -> Inputs:
    """What the last run recorded (the index is read later, and only when needed)."""
    run = load_run(config)
    tests = [t for t in run["tests"] if "::" in t["nodeid"]] if run else []
    failed = {t["nodeid"] for t in (run["tests"] if run else []) if t["outcome"] in FAILED}
    passed = frozenset(t["nodeid"] for t in tests if t["outcome"] == "passed")
    failed.update(last_failures.read(config))
    # An index made elsewhere (a CI artifact, a moved checkout) names another folder: node
    # ids are then taken as relative to the project, where pytest runs.
    rootdir = Path(run["rootdir"]) if run else config.project
    if not config.project.is_relative_to(rootdir):
        rootdir = config.project
    return Inputs(
        index=None,
        why=None,
        rootdir=rootdir,
        known=tuple(dict.fromkeys(t["nodeid"] for t in tests)),
        durations={t["nodeid"]: t["duration"] for t in tests},
        failed=frozenset(failed),
        passed=passed,
    )


def with_index(config: PhaseConfig, found: Inputs) -> Inputs:
    """`found` with the index (or why it cannot be used); its tests join the known ones."""
    index, why = load_index(config)
    known = dict.fromkeys(found.known)
    known.update(dict.fromkeys(index["tests"] if index else []))
    return dataclasses.replace(found, index=index, why=why, known=tuple(known))
