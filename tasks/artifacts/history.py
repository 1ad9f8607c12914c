"""The coverage history (`trending.json`): one entry per phase, never truncated or corrupted.

A file that is not valid JSON, has another shape, or was written by a newer phasegate is
refused with a clear message and left exactly as it was. Re-running a phase replaces its entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tasks.artifacts import write_text_atomic
from tasks.errors import HistoryError

# Format of trending.json.
#   1: {"format": 1, "phases": [{phase, date, commit, coverage, increase, files_tested,
#      tests_created, tests_total, pass_rate, flaky, python, coverage_version, core, branch}]}
#   2: files_tested may be null (the run recorded no per-test contexts). Format 1 files are
#      read as they are and rewritten as 2.
HISTORY_FORMAT = 2


def load_history(path: Path) -> list[dict[str, Any]]:
    """The phases recorded so far ([] when the file does not exist yet)."""
    if not path.exists():
        return []
    fix = "fix or move the file; phasegate left it untouched"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HistoryError(f"{path}: not valid JSON ({exc}); {fix}") from None
    except OSError as exc:
        raise HistoryError(f"{path}: cannot be read ({exc.strerror}); {fix}") from None
    if not isinstance(data, dict) or not isinstance(data.get("phases"), list):
        shape = f'{{"format": {HISTORY_FORMAT}, "phases": [...]}}'
        raise HistoryError(f"{path}: expected {shape}; {fix}")
    found = data.get("format")
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise HistoryError(f"{path}: format {found!r} is not a version number; {fix}")
    if found > HISTORY_FORMAT:
        raise HistoryError(
            f"{path}: format {found} was written by a newer phasegate (this one reads up to "
            f"{HISTORY_FORMAT}); upgrade phasegate. The file was left untouched"
        )
    phases: list[dict[str, Any]] = data["phases"]
    if not all(isinstance(p, dict) and isinstance(p.get("phase"), str) for p in phases):
        raise HistoryError(f'{path}: every entry of "phases" needs a "phase" name; {fix}')
    return phases


def upsert(phases: Sequence[Mapping[str, Any]], entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The history with `entry` in place of its phase's old entry, or appended if new."""
    result = [dict(p) for p in phases]
    for i, old in enumerate(result):
        if old["phase"] == entry["phase"]:
            result[i] = dict(entry)
            return result
    return [*result, dict(entry)]


def previous(phases: Sequence[Mapping[str, Any]], phase: str) -> Mapping[str, Any] | None:
    """The phase before `phase`: the entry before its own, or the last one if it is new."""
    names = [p["phase"] for p in phases]
    if phase in names:
        index = names.index(phase)
        return phases[index - 1] if index > 0 else None
    return phases[-1] if phases else None


def save_history(path: Path, phases: Sequence[Mapping[str, Any]]) -> None:
    text = json.dumps({"format": HISTORY_FORMAT, "phases": list(phases)}, indent=2) + "\n"
    write_text_atomic(path, text)
