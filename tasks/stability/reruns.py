"""The stability step's reruns: every suspect rerun in fresh pytest processes within the
budget (the processes are tasks.stability.rerunner; the classification rules are
tasks.stability.suspects), and the flaky tests as reported."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tasks.artifacts.stability import FlakyRow
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.pytest_runner import repro_command
from tasks.results import BAD, ran_before
from tasks.stability.concurrent import Pool, jobs
from tasks.stability.rerunner import XDIST_OFF, Rerunner
from tasks.stability.suspects import Escalation, Hints, escalate, is_flaky, k_of_n


def stable_keys(records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """nodeid -> stable key (file, class, function, parameter positions) of every
    parametrized test the full runs collected: how a rerun finds a test whose id changed."""
    keys: dict[str, str] = {}
    for record in records:
        keys.update(record.get("keys") or {})
    return keys


def bisection_hints(
    records: Sequence[Mapping[str, Any]],
    outcomes: Sequence[str | None],
    nodeid: str,
    failed_after: Sequence[str] | None,
    passed_after: Sequence[str] | None,
) -> Hints:
    """The tests that ran before `nodeid` in every failing run but in no passing run (where
    a single polluter hides), and the reverse (where a single state-setter hides)."""
    before = [set(ran_before(r, nodeid) or ()) for r in records]
    passing = [b for b, o in zip(before, outcomes, strict=False) if o == "passed"]
    failing = [b for b, o in zip(before, outcomes, strict=False) if o in BAD]
    polluters = setters = None
    if failed_after and passing:
        polluters = [
            t
            for t in failed_after
            if all(t in b for b in failing) and not any(t in b for b in passing)
        ]
    if passed_after and failing:
        setters = [
            t
            for t in passed_after
            if all(t in b for b in passing) and not any(t in b for b in failing)
        ]
    return Hints(polluters, setters)


def escalate_suspects(
    config: PhaseConfig,
    matrix: Mapping[str, Sequence[str | None]],
    records: Sequence[Mapping[str, Any]],
    rerunner: Rerunner | None,
    console: Console,
    settled: Mapping[str, Escalation],
) -> dict[str, Escalation]:
    """Rerun every test that failed in a full run until its behaviour is classified; the
    `settled` ones (consistent in the batch) need no more reruns. Up to `jobs` suspects are
    escalated at once, each in its own processes (one after another with `jobs = 1`)."""
    suspects = [
        nodeid
        for nodeid, outcomes in matrix.items()
        if "::" in nodeid and any(o in BAD for o in outcomes) and nodeid not in settled
    ]
    results = {n: e for n, e in settled.items() if n in matrix}
    if not suspects or rerunner is None:
        return results
    console.step(
        f"stability: {len(suspects)} suspect(s): rerunning each alone and in the order it "
        f"failed in (budget {config.rerun_budget:g}s)"
    )

    def one(i: int, nodeid: str, pool: Pool | None) -> Escalation:
        outcomes = matrix[nodeid]
        failed_in = next(k for k, o in enumerate(outcomes) if o in BAD)
        passed_in = next((k for k, o in enumerate(outcomes) if o == "passed"), None)
        failed_after = ran_before(records[failed_in], nodeid)
        passed_after = None if passed_in is None else ran_before(records[passed_in], nodeid)
        hints = bisection_hints(records, outcomes, nodeid, failed_after, passed_after)
        run = functools.partial(rerunner.last, pool=pool)
        result = escalate(nodeid, outcomes, failed_after, passed_after, run, hints)
        culprit = f"; {result.culprit_role} {result.culprit}" if result.culprit else ""
        console.step(
            f"stability: suspect {i}/{len(suspects)} {nodeid}: {result.kind}{culprit} "
            f"({result.reruns} reruns)"
        )
        return result

    workers = min(jobs(config), len(suspects))
    if workers <= 1:
        results.update({n: one(i, n, None) for i, n in enumerate(suspects, 1)})
    else:
        # The longest escalations first (a bisection's length grows with the tests that ran
        # before the suspect), so that no long one starts last while the others idle.
        number = {n: i for i, n in enumerate(suspects, 1)}
        where = [{t: i for i, t in enumerate(r.get("order") or [])} for r in records]
        longest = sorted(suspects, key=lambda n: -_search_length(matrix[n], where, n))
        with Pool(workers) as pool:
            futures = {n: pool.submit(one, number[n], n, pool) for n in longest}
            results.update({n: future.result() for n, future in futures.items()})
    position = {nodeid: i for i, nodeid in enumerate(matrix)}
    return dict(sorted(results.items(), key=lambda item: position[item[0]]))


def _search_length(
    outcomes: Sequence[str | None], where: Sequence[Mapping[str, int]], nodeid: str
) -> int:
    """How many tests a bisection of this suspect may search: those before it in a run
    where it passed or failed (`where`: each run's position of each test; 0 when it did
    not both pass and fail)."""
    if not (any(o == "passed" for o in outcomes) and any(o in BAD for o in outcomes)):
        return 0
    ran = [k for k, o in enumerate(outcomes) if o == "passed" or o in BAD]
    return max(where[k].get(nodeid, 0) for k in ran)


def flaky_kinds(
    matrix: Mapping[str, Sequence[str | None]], escalations: Mapping[str, Escalation]
) -> dict[str, str]:
    """nodeid -> kind, for every test the full runs or the reruns showed flaky."""
    flaky = {}
    for nodeid, outcomes in matrix.items():
        esc = escalations.get(nodeid)
        if esc is not None and esc.flaky:
            flaky[nodeid] = esc.kind
        elif is_flaky(outcomes):
            flaky[nodeid] = esc.kind if esc is not None else "mixed outcomes"
    return dict(sorted(flaky.items()))


def record_rootdir(record: Mapping[str, Any], project: Path) -> Path:
    """pytest's rootdir in a recorded run (the project when the record does not say)."""
    return Path(record["rootdir"]).resolve() if record.get("rootdir") else project


def flaky_row(
    config: PhaseConfig,
    python: Path,
    nodeid: str,
    kind: str,
    outcomes: Sequence[str | None],
    esc: Escalation | None,
    xdist: bool,
    rootdir: Path,
) -> FlakyRow:
    """One flaky test as the report shows it: k of n, kind, culprit and the repro command."""
    tests = [esc.culprit, nodeid] if esc is not None and esc.culprit else [nodeid]
    return {
        "nodeid": nodeid,
        "kind": kind,
        "outcomes": list(outcomes),
        "k_of_n": k_of_n(outcomes),
        "failed_in_run": next((i for i, o in enumerate(outcomes, 1) if o in BAD), None),
        "alone": esc.alone if esc else [],
        "culprit": esc.culprit if esc else None,
        "culprit_role": esc.culprit_role if esc else None,
        "note": esc.note if esc else "",
        "repro": repro_command(config, python, tests, XDIST_OFF if xdist else (), rootdir),
        "quarantined": None,
    }
