"""Before the per-test reruns: the batch that settles the consistent suspects at once
(tasks.stability.batch), then the failures seen only beside another run confirmed
(tasks.stability.interference), and the runs corrected by what that confirmed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tasks.artifacts.stability import RunEntry
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.results import BAD, merge_reports, pass_rate
from tasks.stability.batch import batch_consistent
from tasks.stability.interference import Interference, candidates, confirm
from tasks.stability.rerunner import Rerunner, failure_kind
from tasks.stability.suspects import Escalation


def settle(
    config: PhaseConfig,
    rerunner: Rerunner | None,
    matrix: Mapping[str, Sequence[str | None]],
    records: Sequence[Mapping[str, Any]],
    company: Mapping[int, Sequence[int]],
    console: Console,
) -> tuple[dict[str, Escalation], list[Interference]]:
    """The suspects the batch showed consistent, and the tests shown to be interference."""
    if rerunner is None:
        return {}, []
    settled: dict[str, Escalation] = {}
    if config.suspect_reruns == "batch":
        suspects = [n for n, o in matrix.items() if "::" in n and any(x in BAD for x in o)]
        settled = batch_consistent(suspects, matrix, rerunner.outcomes)
        if settled:
            console.step(
                f"stability: {len(settled)} suspect(s) failed in every full run and again "
                "together in one fresh process: consistent"
            )
    found = candidates(matrix, company, list(settled))
    if not found:
        return settled, []
    tests = sorted({t for ts in found.values() for t in ts})
    console.step(
        f"stability: {len(tests)} test(s) failed only in runs that had company: rerunning "
        f"the order of run {', '.join(map(str, sorted(found)))} on its own to confirm"
    )
    orders = {i: list(r.get("order") or []) for i, r in enumerate(records, 1)}
    outcomes = {}
    for index, ts in found.items():
        ran = merge_reports(records[index - 1]["reports"])
        raised = {t.nodeid: failure_kind(t.message) for t in ran}
        outcomes[index] = {t: (str(matrix[t][index - 1]), raised.get(t, "")) for t in ts}
    shown = confirm(found, orders, outcomes, (rerunner.outcomes, rerunner.pair, rerunner.last))
    for item in shown:
        console.step(f"stability: {item.nodeid}: interference ({item.to_json()['note']})")
    return settled, shown


def apply_interference(
    runs: list[RunEntry], per_run: list[dict[str, str]], shown: Sequence[Interference]
) -> None:
    """Each run's outcomes, counts and pass rate from the confirmed outcomes: a failure that
    was interference counts as the pass it was without company."""
    for item in shown:
        for index in item.runs:
            entry, outcomes = runs[index - 1], per_run[index - 1]
            was = outcomes[item.nodeid]
            outcomes[item.nodeid] = "passed"
            counts = entry["counts"]
            counts[was] = counts.get(was, 0) - 1
            counts["passed"] = counts.get("passed", 0) + 1
            entry["pass_rate"] = pass_rate(counts)
            entry["interference"].append(item.nodeid)
