"""What the phase summary shows, as typed data: the artifacts of one run (each read through
its schema) and the phase's git facts. Renderers are pure functions of it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tasks.artifacts.coverage import CoverageArtifact
from tasks.artifacts.gates import GateJSON
from tasks.artifacts.history import HistoryEntry
from tasks.artifacts.run import RunArtifact
from tasks.artifacts.stability import StabilityArtifact
from tasks.artifacts.triage import TriageArtifact


@dataclasses.dataclass(frozen=True)
class Summary:
    phase: str
    date: str
    passed: bool
    base: str | None
    base_note: str
    run: RunArtifact
    tests_total: int
    tests_created: int | None
    fixes: dict[str, int] | None  # `fix(...)` commits by kind; None without a base
    stability: StabilityArtifact | None
    coverage: CoverageArtifact | None
    triage: TriageArtifact | None
    gates: list[GateJSON]
    history: list[HistoryEntry]
    chart: str | None  # the SVG chart's file name, beside the summary
    artifacts: str


def points(history: Sequence[HistoryEntry]) -> list[tuple[str, float]]:
    """(phase, coverage) of every phase in the history that has a coverage figure."""
    return [
        (str(h["phase"]), float(h["coverage"]))
        for h in history
        if isinstance(h.get("coverage"), int | float)
    ]
