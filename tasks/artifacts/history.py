"""The coverage history (`trending.json`): one entry per phase, never truncated or corrupted.

A file that is not valid JSON, has another shape, or was written by a newer phasegate is
refused with a clear message and left exactly as it was. Re-running a phase replaces its entry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from tasks.artifacts.store import read_kept, write_text_atomic
from tasks.errors import HistoryError

# Format of trending.json.
#   1: {"format": 1, "phases": [{phase, date, commit, coverage, increase, files_tested,
#      tests_created, tests_total, pass_rate, flaky, python, coverage_version, core, branch}]}
#   2: files_tested may be null (the run recorded no per-test contexts). Format 1 files are
#      read as they are and rewritten as 2.
HISTORY_FORMAT = 2


class HistoryEntry(TypedDict):
    """One phase in the history. Entries written by older versions may lack the measurement
    fields, so readers use .get() for everything but `phase`."""

    phase: str
    date: NotRequired[str]
    commit: NotRequired[str | None]
    coverage: NotRequired[float]
    increase: NotRequired[float | None]
    files_tested: NotRequired[int | None]
    tests_created: NotRequired[int | None]
    tests_total: NotRequired[int]
    pass_rate: NotRequired[float | None]
    flaky: NotRequired[int | None]
    python: NotRequired[str]
    coverage_version: NotRequired[str | None]
    core: NotRequired[str]
    branch: NotRequired[bool]


def load_history(path: Path) -> list[HistoryEntry]:
    """The phases recorded so far ([] when the file does not exist yet)."""
    if not path.exists():
        return []
    fix = "fix or move the file; phasegate left it untouched"
    data = read_kept(path, "phases", list, HISTORY_FORMAT, fix)
    phases: list[Any] = data["phases"]
    if not all(isinstance(p, dict) and isinstance(p.get("phase"), str) for p in phases):
        raise HistoryError(f'{path}: every entry of "phases" needs a "phase" name; {fix}')
    return cast("list[HistoryEntry]", phases)


def upsert(phases: Sequence[HistoryEntry], entry: HistoryEntry) -> list[HistoryEntry]:
    """The history with `entry` in place of its phase's old entry, or appended if new."""
    result = list(phases)
    for i, old in enumerate(result):
        if old["phase"] == entry["phase"]:
            result[i] = entry
            return result
    return [*result, entry]


def previous(phases: Sequence[HistoryEntry], phase: str) -> HistoryEntry | None:
    """The phase before `phase`: the entry before its own, or the last one if it is new."""
    names = [p["phase"] for p in phases]
    if phase in names:
        index = names.index(phase)
        return phases[index - 1] if index > 0 else None
    return phases[-1] if phases else None


def save_history(path: Path, phases: Sequence[HistoryEntry]) -> None:
    text = json.dumps({"format": HISTORY_FORMAT, "phases": list(phases)}, indent=2) + "\n"
    write_text_atomic(path, text)


def move_legacy_history(old_dir: Path, trending: Path, seen: Path) -> list[Path]:
    """Move `trending.json` and `flaky-seen.json` from the folder that held them before (the
    reports folder) to their new places, once: only when the new file does not exist yet.
    Returns the files moved (a rename within the project: never a partial file)."""
    moved = []
    for new in (trending, seen):
        old = old_dir / new.name
        if old.is_file() and not new.exists():
            new.parent.mkdir(parents=True, exist_ok=True)
            old.replace(new)
            moved.append(old)
    return moved
