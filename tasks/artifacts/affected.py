"""`phasegate affected --json`: the selection as other tools read it (CI jobs, the hook).

    {"format": 1, "full_suite": false, "why": null, "nothing_to_test": false,
     "selected": [{"nodeid": "tests/test_a.py::test_x", "reasons": ["failed last time"]}],
     "left_out": [], "known": 12, "estimated_seconds": 0.4, "rootdir": "/path/to/project"}

Node ids are relative to pytest's rootdir, "rootdir" (a test file's or folder's path when
all of it is selected).

Format history:
    1: first version.
"""

from __future__ import annotations

from typing import TypedDict

from tasks.artifacts.store import Kind


class SelectedJSON(TypedDict):
    nodeid: str
    reasons: list[str]


class AffectedArtifact(TypedDict):
    full_suite: bool
    why: str | None
    nothing_to_test: bool
    selected: list[SelectedJSON]
    left_out: list[SelectedJSON]
    known: int
    estimated_seconds: float | None
    rootdir: str | None


AFFECTED = Kind("affected", AffectedArtifact, 1, produced_by="affected")
