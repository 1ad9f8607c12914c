"""Where each artifact lives; its schema and loader are in the module named after it.

Every path is defined here once, so no step writes a file to one place and reads it from another.
Each JSON artifact has one module here (`run`, `stability`, `triage`, `coverage`, `gates`,
`impact`, `history`, `flaky_seen`) with its TypedDict, its format number and that format's
history, and its `load_*` reader; all of them go through `store`'s versioned loader.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tasks.artifacts.store import write_text_atomic

__all__ = ["Artifacts", "write_text_atomic"]


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
    def coverage_status(self) -> Path:
        """Written last by the background reporter: present means it finished."""
        return self.coverage_dir / "reports-status.json"

    @property
    def coverage_pid(self) -> Path:
        return self.coverage_dir / "reports.pid"

    @property
    def coverage_reporter_log(self) -> Path:
        return self.coverage_dir / "reports.log"

    @property
    def coverage_text(self) -> Path:
        """coverage.py's term-missing report."""
        return self.coverage_dir / "report.txt"

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
