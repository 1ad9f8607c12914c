"""impact.json: the per-test impact index, tests per line per file with each file's SHA-256,
written by the run step's background reporter (`tasks.impact` builds and queries it).

    {"format": 2, "base_run_id": ..., "per_test": true,
     "config": {"tests": [...], "pytest_args": [...], "pythonpath": [...], "source": [...]},
     "tests": ["tests/test_a.py::test_x", ...],
     "files": {"pkg/mod.py": {"sha256": "...", "lines": {"12": [0, 3]},
                              "import_lines": [1, 2, 5]}}}

Line numbers map to indexes into "tests". Paths are relative to the project (absolute when
outside it). "import_lines" are the lines executed outside any test (while pytest imported
the modules, i.e. collection, and in session set-up): a change there can break any test that
uses the module. "config" is what decided what the run measured (`config_fingerprint`): an
index from another configuration is not used to select tests.

Format history:
    1: first version.
    2: "config"; "import_lines" per file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict

from tasks.artifacts.store import Kind


class ImpactFile(TypedDict):
    sha256: str | None
    lines: dict[str, list[int]]
    import_lines: list[int]


class IndexConfig(TypedDict):
    tests: list[str]
    pytest_args: list[str]
    pythonpath: list[str]
    source: list[str]


class ImpactArtifact(TypedDict):
    base_run_id: str
    per_test: bool
    config: IndexConfig
    tests: list[str]
    files: dict[str, ImpactFile]


IMPACT = Kind("impact", ImpactArtifact, 2, produced_by="run")


def config_fingerprint(
    tests: Sequence[str],
    pytest_args: Sequence[str],
    pythonpath: Sequence[str],
    source: Sequence[str],
) -> IndexConfig:
    """The settings that decide what a run measures (which tests, with which arguments, which
    import roots, which source): an index is only trusted under the same ones."""
    return IndexConfig(
        tests=list(tests),
        pytest_args=list(pytest_args),
        pythonpath=list(pythonpath),
        source=list(source),
    )


def config_file(coverage_dir: Path) -> Path:
    """Where the run step leaves the fingerprint for the background reporter."""
    return coverage_dir / "index-config.json"
