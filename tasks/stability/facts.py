"""The stability step's pure half: run orders, the outcome matrix, what the runs prove, the
gates, and the stability.json facts assembled from the runs and the reruns."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence

from tasks.artifacts.stability import (
    FlakyRow,
    InterferenceJSON,
    QuarantineJSON,
    RunEntry,
    StabilityArtifact,
)
from tasks.config import PhaseConfig
from tasks.gates import FAIL, PASS, Gate, at_least
from tasks.orders import FILE, Order, OrderKind
from tasks.results import BAD, pass_rate
from tasks.stability.quarantine import Entry, quarantine_gate
from tasks.stability.suspects import UNRESOLVED, Escalation, is_flaky


def plan_orders(config: PhaseConfig, seed: int) -> list[Order]:
    """The order of every run; run 1 is the `run` step's file order."""
    plans = [FILE]
    shuffles = 0
    for k in range(1, config.runs):
        kind = OrderKind(config.orders[k - 1] if k - 1 < len(config.orders) else "shuffle")
        if kind is OrderKind.SHUFFLE:
            plans.append(Order(kind, seed=seed + shuffles))
            shuffles += 1
        else:
            plans.append(Order(kind))
    return plans


def run_entry(
    index: int,
    order: Order,
    duration: float,
    exit_code: int,
    counts: Mapping[str, int],
    replay: str,
    log: str,
    company: Sequence[int] = (),
) -> RunEntry:
    return {
        "index": index,
        "order": order.kind.value,
        "seed": order.seed,
        "duration": round(duration, 3),
        "exit_code": exit_code,
        "counts": dict(counts),
        "pass_rate": pass_rate(counts),
        "replay": replay,
        "log": log,
        "company": list(company),
        "interference": [],
    }


def outcomes_by_test(runs: Sequence[Mapping[str, str]]) -> dict[str, list[str | None]]:
    """nodeid -> its outcome in each run (None where a run did not have it)."""
    ids: dict[str, None] = {}
    for run in runs:
        ids.update(dict.fromkeys(run))
    return {nodeid: [run.get(nodeid) for run in runs] for nodeid in ids}


def clean_run_bound(runs: int, confidence: float = 0.95) -> float:
    """Failure rate (percent) that `runs` clean runs rule out at `confidence`: 1 - (1-c)^(1/n)."""
    return 100.0 * (1.0 - float((1.0 - confidence) ** (1.0 / runs)))


def what_runs_prove(clean: int, *, runs: int | None = None, unresolved: int = 0) -> str:
    """What the full runs say about flakiness, for stability.json's `proves`.

    Only the `clean` runs (pytest exited 0; no test failed or errored) bound a test's failure
    rate; `runs`: all the full runs (default: all were clean). `unresolved`: the suspects the
    reruns left unclassified, most often because the rerun budget ran out.
    """
    runs = clean if runs is None else runs
    defined = "(pytest exited 0, no test failed or errored)"
    if clean == 0:
        said = (
            f"the run was not clean {defined}"
            if runs == 1
            else f"none of the {runs} runs was clean {defined}"
        ) + ", so no test's failure rate is bounded"
    else:
        said = (
            (f"{clean} clean runs bound" if clean > 1 else "1 clean run bounds")
            if clean == runs
            else f"{clean} of {runs} runs {'were' if clean > 1 else 'was'} clean {defined}; "
            f"{'they bound' if clean > 1 else 'it bounds'}"
        ) + (
            f" a test's failure rate below {math.ceil(clean_run_bound(clean))}% at 95% "
            "confidence; a clean result is not proof of no flakiness"
        )
    if unresolved:
        one = unresolved == 1
        said += (
            f"; {unresolved} suspect{'' if one else 's'} left unresolved: the rerun budget "
            f"ran out before {'it was' if one else 'they were'} classified (raise "
            "rerun_budget), or a test did not run alone (see the suspect's note)"
        )
    return said


def stability_gates(
    config: PhaseConfig, runs: Sequence[RunEntry], flaky: Sequence[str]
) -> list[Gate]:
    gates = [
        at_least(
            f"pass rate, run {r['index']} ({r['order']})",
            r["pass_rate"],
            config.min_pass_rate,
            what=f"run {r['index']} pass rate",
        )
        for r in runs
    ]
    total = sum(r["duration"] for r in runs)
    ok = total <= config.max_duration
    gates.append(
        Gate(
            "duration, all runs",
            f"<= {config.max_duration:g}s",
            f"{total:.1f}s",
            PASS if ok else FAIL,
            "" if ok else f"the {len(runs)} runs took {total:.0f}s, over {config.max_duration:g}s",
        )
    )
    shown = ", ".join(flaky[:5]) + (" ..." if len(flaky) > 5 else "")
    gates.append(
        Gate(
            "flaky tests",
            "0",
            str(len(flaky)),
            FAIL if flaky else PASS,
            f"flaky: {shown}" if flaky else "",
        )
    )
    return gates


def collection_gate(uncollected: Mapping[str, str]) -> Gate:
    """Every test module must be collected: a module that failed to import hides an unknown
    number of tests, so no pass rate can make up for it."""
    name, target = "collection", "every test module collected"
    if not uncollected:
        return Gate(name, target, "all collected", PASS)
    shown = "; ".join(f"{m}: {why}" for m, why in list(uncollected.items())[:5])
    more = f" (and {len(uncollected) - 5} more)" if len(uncollected) > 5 else ""
    count = f"{len(uncollected)} module{'s' if len(uncollected) != 1 else ''} not collected"
    return Gate(name, target, count, FAIL, f"{shown}{more}; their tests never ran")


def entry_json(entry: Entry | None) -> QuarantineJSON | None:
    if entry is None:
        return None
    return {
        "test": entry.test,
        "reason": entry.reason,
        "owner": entry.owner,
        "expires": entry.expires.isoformat(),
    }


def _quarantined(row: FlakyRow, entry: QuarantineJSON | None) -> FlakyRow:
    result = row.copy()
    result["quarantined"] = entry
    return result


@dataclasses.dataclass(frozen=True)
class Observed:
    """What the full runs and the reruns showed, before any verdict."""

    run_id: str
    seed: int
    runs: list[RunEntry]
    matrix: dict[str, list[str | None]]
    escalations: dict[str, Escalation]
    rerun_seconds: float
    flaky: dict[str, str]  # nodeid -> kind
    rows: dict[str, FlakyRow]  # nodeid -> its row, before the quarantine is applied
    uncollected: dict[str, str]  # test module -> why run 1 could not collect it
    jobs: int = 1
    interference: list[InterferenceJSON] = dataclasses.field(default_factory=list)


def stability_facts(
    config: PhaseConfig,
    seen: Sequence[str],
    entries: Sequence[Entry],
    observed: Observed,
    today: dt.date,
) -> StabilityArtifact:
    """stability.json's content: the runs, the suspects, the flaky tests, the gates."""
    covered = {e.test: e for e in entries if not e.expired(today)}
    flaky = observed.flaky
    counted = [n for n in flaky if n not in covered]
    gates = [
        collection_gate(observed.uncollected),
        *stability_gates(config, observed.runs, counted),
    ]
    gates.append(quarantine_gate(entries, seen, [n for n in flaky if n in covered], today))
    return {
        "base_run_id": observed.run_id,
        "seed": observed.seed,
        "runs": observed.runs,
        "tests": {
            nodeid: outcomes
            for nodeid, outcomes in observed.matrix.items()
            if is_flaky(outcomes) or any(o in BAD for o in outcomes)
        },
        "suspects": {n: e.to_json() for n, e in observed.escalations.items()},
        "rerun_seconds": round(observed.rerun_seconds, 3),
        "flaky": [_quarantined(observed.rows[n], entry_json(covered.get(n))) for n in flaky],
        "jobs": observed.jobs,
        "interference": observed.interference,
        "quarantine": [q for e in entries if (q := entry_json(e)) is not None],
        "proves": what_runs_prove(
            sum(r["exit_code"] == 0 and r["pass_rate"] == 100.0 for r in observed.runs),
            runs=len(observed.runs),
            unresolved=sum(e.kind == UNRESOLVED for e in observed.escalations.values()),
        ),
        "gates": [g.to_json() for g in gates],
    }
