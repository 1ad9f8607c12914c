"""triage.json: every failure with its category, confidence, evidence, fix and repro command,
and the root-cause groups.

Format history:
    1: first version.
    2: each failure's cause (the changed line the evidence points at).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from tasks.artifacts import Artifacts
from tasks.artifacts.store import Kind, load_fresh


class VerdictJSON(TypedDict):
    nodeid: str
    category: str
    confidence: str
    reason: str
    evidence: list[str]
    fix: str
    exception: str
    message: str
    site: str
    repro: str
    cause: str


class GroupJSON(TypedDict):
    category: str
    exception: str
    site: str
    message: str
    count: int
    tests: list[str]


class TriageArtifact(TypedDict):
    base_run_id: str
    base: str | None
    base_note: str
    stability_used: bool
    headline: str
    by_category: dict[str, int]
    groups: list[GroupJSON]
    failures: list[VerdictJSON]


TRIAGE = Kind("triage", TriageArtifact, 2, produced_by="triage")


def load_triage(reports_dir: Path, run_id: str) -> TriageArtifact | None:
    """Triage evidence made from the run `run_id` (stale evidence is ignored)."""
    return load_fresh(Artifacts(reports_dir).triage_json, TRIAGE, run_id)
