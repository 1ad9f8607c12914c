"""Where each artifact lives; its schema and loader are in the module named after it.

Every path is defined here once, so no step writes a file to one place and reads it from another.
Each JSON artifact has one module here (`run`, `stability`, `triage`, `coverage`, `gates`,
`impact`, `history`, `flaky_seen`) with its TypedDict, its format number and that format's
history, and its `load_*` reader; all of them go through `store`'s versioned loader.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from tasks.artifacts.store import remove_written, write_text_atomic

__all__ = ["Artifacts", "write_text_atomic"]

# What phasegate writes in coverage/ (coverage.py's data, its reports and the reporter's own
# files): the only things a new run deletes there.
COVERAGE_FILES = (
    ".coverage",
    ".coverage.*",
    "coverage.json",
    "report.txt",
    "reports-status.json",
    "reports.pid",
    "reports.log",
    "index-config.json",
    "html",
)
# The artifacts a run's later steps make from it: a new run removes them when it starts, so a
# step that stops early never leaves an earlier run's verdict beside the new run.json.
DOWNSTREAM_FILES = (
    "run.json",
    "stability.json",
    "stability/run-[0-9]*.json",
    "stability/run-[0-9]*.log",
    "stability/reruns/rerun-[0-9]*.ids",
    "stability/reruns/rerun-[0-9]*.json",
    "stability/reruns/rerun-[0-9]*.log",
    "triage.json",
    "failures.txt",
    "coverage-gates.json",
    "impact.json",
    "gates.json",
    "coverage.xml",
    "shards.json",
)


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
    def coverage_xml(self) -> Path:
        """coverage.py's Cobertura XML, written on GitLab CI (tasks.ci.gitlab)."""
        return self.root / "coverage.xml"

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

    @property
    def durations_json(self) -> Path:
        """Each test's duration, written by `combine`: what balances the next split."""
        return self.root / "durations.json"

    @property
    def shards_json(self) -> Path:
        return self.root / "shards.json"

    @property
    def shards_dir(self) -> Path:
        """The shard jobs' folders (`--shard K/N` writes into shards/K-of-N/)."""
        return self.root / "shards"

    @property
    def gitignore(self) -> Path:
        return self.root / ".gitignore"


def prepare(arts: Artifacts, disposable: bool) -> None:
    """Create the reports folder; a `disposable` one (phasegate's own, under .phasegate/) gets
    a .gitignore of `*` so its reports are not committed by accident while the history is."""
    arts.root.mkdir(parents=True, exist_ok=True)
    if disposable and not arts.gitignore.exists():
        write_text_atomic(arts.gitignore, "# written by phasegate: reports are not committed\n*\n")


def retire_previous_run(arts: Artifacts, summary: Path, started: str) -> None:
    """Remove the previous run's artifacts and mark its summary stale (it may be a committed
    planning file, so it is kept): nothing of an earlier run looks current beside a new one."""
    remove_written(arts.root, DOWNSTREAM_FILES)
    mark_stale(summary, started)


def mark_stale(summary: Path, started: str) -> None:
    """Turn a phase summary's `status:` to `stale`, with a line saying why, in its place."""
    try:
        text = summary.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return  # none yet, or not a summary phasegate could have written: left alone
    head, sep, body = text.removeprefix("---\n").partition("\n---\n")
    status = re.compile(r"^status: (passed|failed)$", re.MULTILINE)
    if not text.startswith("---\n") or not sep or not status.search(head):
        return
    note = (
        f"> **Stale:** written by an earlier run. A new run started at {started} and has not "
        "written its summary (yet): see its run.log and the step that stopped."
    )
    head = status.sub("status: stale", head, count=1)
    write_text_atomic(summary, f"---\n{head}\n---\n\n{note}\n{body}")


def move_legacy_reports(old: Path, new: Path) -> bool:
    """Move an earlier default reports folder to the new default once (the new one does not
    exist yet); its parent goes too when that leaves it empty. True when it moved."""
    if not old.is_dir() or new.exists():
        return False
    new.parent.mkdir(parents=True, exist_ok=True)
    old.replace(new)
    if old.parent != new.parent and not any(old.parent.iterdir()):
        old.parent.rmdir()
    return True
