"""impact.json: the per-test impact index, tests per line per file with each file's SHA-256,
written by the run step's background reporter (`tasks.impact` builds and queries it).

    {"format": 1, "base_run_id": ..., "per_test": true,
     "tests": ["tests/test_a.py::test_x", ...],
     "files": {"pkg/mod.py": {"sha256": "...", "lines": {"12": [0, 3]}}}}

Line numbers map to indexes into "tests". Paths are relative to the project (absolute when
outside it).

Format history:
    1: first version.
"""

from __future__ import annotations

from typing import TypedDict

from tasks.artifacts.store import Kind


class ImpactFile(TypedDict):
    sha256: str | None
    lines: dict[str, list[int]]


class ImpactArtifact(TypedDict):
    base_run_id: str
    per_test: bool
    tests: list[str]
    files: dict[str, ImpactFile]


IMPACT = Kind("impact", ImpactArtifact, 1, produced_by="run")
