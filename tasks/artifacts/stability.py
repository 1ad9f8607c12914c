"""stability.json: each run's order, seed, counts and replay command; every suspect's reruns
and kind; the flaky tests with k of n, culprit and repro; the quarantine; the gates.

Format history:
    1: first version.
    2: suspects, rerun_seconds, quarantine; flaky rows with kind, k_of_n, alone, culprit,
       repro, quarantined.
    3: jobs; each run's company (the runs beside it) and interference (its failures that
       were interference); interference (tests that fail only beside another copy of the
       suite).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from tasks.artifacts import Artifacts
from tasks.artifacts.gates import GateJSON
from tasks.artifacts.store import Kind, load_fresh


class RunEntry(TypedDict):
    index: int
    order: str
    seed: int | None
    duration: float
    exit_code: int
    counts: dict[str, int]
    pass_rate: float | None
    replay: str
    log: str
    company: list[int]  # the runs that ran at the same time as this one
    interference: list[str]  # its failures that were interference; counted as passed


class InterferenceJSON(TypedDict):
    nodeid: str
    runs: list[int]
    outcome: str
    alone_in_order: str
    side_by_side: list[str | None]
    note: str


class EscalationJSON(TypedDict):
    nodeid: str
    full: list[str | None]
    kind: str
    alone: list[str]
    in_order: list[str]
    culprit: str | None
    culprit_role: str | None
    reruns: int
    note: str
    full_k_of_n: str
    alone_k_of_n: str


class QuarantineJSON(TypedDict):
    test: str
    reason: str
    owner: str
    expires: str


class FlakyRow(TypedDict):
    nodeid: str
    kind: str
    outcomes: list[str | None]
    k_of_n: str
    failed_in_run: int | None
    alone: list[str]
    culprit: str | None
    culprit_role: str | None
    note: str
    repro: str
    quarantined: QuarantineJSON | None


class StabilityArtifact(TypedDict):
    base_run_id: str
    seed: int
    runs: list[RunEntry]
    tests: dict[str, list[str | None]]
    suspects: dict[str, EscalationJSON]
    rerun_seconds: float
    flaky: list[FlakyRow]
    jobs: int
    interference: list[InterferenceJSON]
    quarantine: list[QuarantineJSON]
    proves: str
    gates: list[GateJSON]


STABILITY = Kind("stability", StabilityArtifact, 3, produced_by="stability")


def load_stability(reports_dir: Path, run_id: str) -> StabilityArtifact | None:
    """Stability evidence made from the run `run_id` (stale evidence is ignored)."""
    return load_fresh(Artifacts(reports_dir).stability_json, STABILITY, run_id)
