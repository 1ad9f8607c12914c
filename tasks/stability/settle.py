"""Before the per-test reruns: the batch that settles the consistent suspects at once
(tasks.stability.batch), then the failures seen only beside another run confirmed
(tasks.stability.interference), and the runs corrected by what that confirmed."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from tasks.artifacts.stability import RunEntry
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.results import BAD, merge_reports, pass_rate
from tasks.stability.batch import batch_consistent, failed_everywhere
from tasks.stability.concurrent import Pool, jobs
from tasks.stability.interference import Interference, candidates, confirm, replay_prefix
from tasks.stability.rerunner import Rerunner, failure_kind
from tasks.stability.suspects import BudgetSpent, Escalation, NotRun


def settle(
    config: PhaseConfig,
    rerunner: Rerunner | None,
    matrix: Mapping[str, Sequence[str | None]],
    records: Sequence[Mapping[str, Any]],
    company: Mapping[int, Sequence[int]],
    console: Console,
) -> tuple[dict[str, Escalation], list[Interference]]:
    """The suspects the batch showed consistent, and the tests shown to be interference.

    The batch and the sequential reruns that confirm the other suspects' failures seen only
    with company do not depend on each other: they run side by side, up to `jobs` at once.
    Those the batch leaves (they passed there) are confirmed after it, as before."""
    if rerunner is None:
        return {}, []
    suspects = [n for n, o in matrix.items() if "::" in n and any(x in BAD for x in o)]
    batch = [n for n in suspects if failed_everywhere(matrix[n])]
    batch = batch if config.suspect_reruns == "batch" else []
    first = candidates(matrix, company, batch)
    orders = {i: list(r.get("order") or []) for i, r in enumerate(records, 1)}
    prefixes = {i: replay_prefix(orders[i], tests) for i, tests in first.items()}

    def replay(tests: Sequence[str], pool: Pool | None) -> Mapping[str, str] | None:
        try:
            return rerunner.outcomes(tests, pool)
        except (BudgetSpent, NotRun):
            return None  # confirm stops there, as when it ran this itself

    def settle_batch(pool: Pool | None) -> dict[str, Escalation]:
        return batch_consistent(batch, matrix, functools.partial(rerunner.outcomes, pool=pool))

    calls: list[Callable[[Pool | None], object]] = [settle_batch] if batch else []
    calls += [functools.partial(replay, prefix) for prefix in prefixes.values()]
    done = side_by_side(jobs(config), calls)
    settled = cast("dict[str, Escalation]", done.pop(0)) if batch else {}
    if settled:
        console.step(
            f"stability: {len(settled)} suspect(s) failed in every full run and again "
            "together in one fresh process: consistent"
        )
    later = candidates({n: matrix[n] for n in batch if n not in settled}, company)
    replayed = cast("dict[int, Mapping[str, str] | None]", dict(zip(prefixes, done, strict=True)))
    shown = _confirm(rerunner, matrix, records, orders, first, replayed, console)
    return settled, shown + _confirm(rerunner, matrix, records, orders, later, {}, console)


def side_by_side(workers: int, calls: Sequence[Callable[[Pool | None], object]]) -> list[object]:
    """Each call's result, up to `workers` at once (each told the pool it runs in), in turn
    when one worker or one call."""
    if workers <= 1 or len(calls) <= 1:
        return [call(None) for call in calls]
    with Pool(min(workers, len(calls))) as pool:
        futures = [pool.submit(call, pool) for call in calls]
        return [future.result() for future in futures]


def _confirm(
    rerunner: Rerunner,
    matrix: Mapping[str, Sequence[str | None]],
    records: Sequence[Mapping[str, Any]],
    orders: Mapping[int, Sequence[str]],
    found: Mapping[int, Sequence[str]],
    replayed: Mapping[int, Mapping[str, str] | None],
    console: Console,
) -> list[Interference]:
    if not found:
        return []
    tests = sorted({t for ts in found.values() for t in ts})
    console.step(
        f"stability: {len(tests)} test(s) failed only in runs that had company: rerunning "
        f"the order of run {', '.join(map(str, sorted(found)))} on its own to confirm"
    )
    outcomes = {}
    for index, ts in found.items():
        ran = merge_reports(records[index - 1]["reports"])
        raised = {t.nodeid: failure_kind(t.message) for t in ran}
        outcomes[index] = {t: (str(matrix[t][index - 1]), raised.get(t, "")) for t in ts}
    runs = (rerunner.outcomes, rerunner.pair, rerunner.last)
    shown = confirm(found, orders, outcomes, runs, replayed)
    for item in shown:
        console.step(f"stability: {item.nodeid}: interference ({item.to_json()['note']})")
    return shown


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
