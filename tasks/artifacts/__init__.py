"""Where each artifact lives, and atomic JSON reads and writes with a format number.

Every path is defined here once, so no step writes a file to one place and reads it from another.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tasks.errors import MissingArtifactError, PhaseError

# Format of each JSON artifact phasegate writes. Bump on any change of shape.
#   1: first version.
#   2: run: coverage.impact_index; stability: suspects, rerun_seconds, quarantine, flaky rows
#      with kind, k_of_n, alone, culprit, repro, quarantined; triage: each failure's cause;
#      coverage: files_added, diff, impact_index, files_tested [] when unknown; run: rootdir.
FORMATS = {
    "run": 2,
    "stability": 2,
    "triage": 2,
    "coverage": 2,
    "gates": 1,
    "impact": 1,
}


@dataclasses.dataclass(frozen=True)
class Artifacts:
    """The files of one reports folder."""

    root: Path

    @property
    def run_json(self) -> Path:
        return self.root / "run.json"

    @property
    def run_record(self) -> Path:
        return self.root / "run-record.json"

    @property
    def run_log(self) -> Path:
        return self.root / "run.log"

    @property
    def junit_xml(self) -> Path:
        return self.root / "junit.xml"

    @property
    def stability_json(self) -> Path:
        return self.root / "stability.json"

    @property
    def stability_dir(self) -> Path:
        return self.root / "stability"

    @property
    def triage_json(self) -> Path:
        return self.root / "triage.json"

    @property
    def failures_txt(self) -> Path:
        return self.root / "failures.txt"

    @property
    def coverage_dir(self) -> Path:
        return self.root / "coverage"

    @property
    def coverage_data(self) -> Path:
        return self.coverage_dir / ".coverage"

    @property
    def coverage_report_json(self) -> Path:
        """coverage.py's own JSON report."""
        return self.coverage_dir / "coverage.json"

    @property
    def coverage_html(self) -> Path:
        return self.coverage_dir / "html"

    @property
    def coverage_json(self) -> Path:
        """phasegate's coverage facts and gates."""
        return self.root / "coverage-gates.json"

    @property
    def impact_json(self) -> Path:
        return self.root / "impact.json"

    @property
    def gates_json(self) -> Path:
        return self.root / "gates.json"


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and os.replace: never a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def write_json(path: Path, kind: str, data: dict[str, Any]) -> None:
    """Write an artifact of `kind` with its format number first."""
    write_text_atomic(path, json.dumps({"format": FORMATS[kind], **data}, indent=2) + "\n")


def read_fresh(path: Path, kind: str, produced_by: str, run_id: str) -> dict[str, Any] | None:
    """An artifact made from the run `run_id`; None when absent or made from another run."""
    if not path.is_file():
        return None
    data = read_json(path, kind, produced_by)
    return data if data.get("base_run_id") == run_id else None


def read_json(path: Path, kind: str, produced_by: str) -> dict[str, Any]:
    """Read an artifact; a missing one names the step that makes it."""
    if not path.is_file():
        raise MissingArtifactError(
            f"{path} not found: run `phasegate {produced_by}` (or `nox -s {produced_by}`) first"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PhaseError(
            f"{path}: not valid JSON ({exc}); rerun `phasegate {produced_by}`"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMATS[kind]:
        found = data.get("format") if isinstance(data, dict) else None
        raise MissingArtifactError(
            f"{path}: format {found!r}, expected {FORMATS[kind]}; rerun `phasegate {produced_by}`"
        )
    return data
