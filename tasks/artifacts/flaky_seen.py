"""flaky-seen.json, beside the history: every test phasegate has seen flaky, so that only
those may be quarantined. Meant to be committed; a file phasegate cannot trust is refused and
left as it is.

Format history:
    1: {"format": 1, "tests": {nodeid: {first_seen, last_seen, phase, kind}}}
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import NotRequired, TypedDict

from tasks.artifacts.shape import check
from tasks.artifacts.store import read_kept, write_text_atomic
from tasks.errors import HistoryError

SEEN_FORMAT = 1


class SeenEntry(TypedDict):
    first_seen: str
    phase: str
    last_seen: NotRequired[str]
    kind: NotRequired[str]


def load_seen(path: Path) -> dict[str, SeenEntry]:
    """nodeid -> when and how it was seen flaky; refuses a file it cannot trust."""
    if not path.is_file():
        return {}
    fix = "restore it from version control, or remove it to start a new record"
    data = read_kept(path, "tests", dict, SEEN_FORMAT, fix)
    problem = check(data["tests"], dict[str, SeenEntry], "tests")
    if problem:
        raise HistoryError(f"{path}: {problem}; {fix}")
    tests: dict[str, SeenEntry] = data["tests"]
    return tests


def record_seen(
    path: Path, seen: Mapping[str, SeenEntry], flaky: Mapping[str, str], phase: str
) -> dict[str, SeenEntry]:
    """Add this run's flaky tests (nodeid -> kind) to the seen-flaky file, atomically."""
    today = dt.date.today().isoformat()
    updated: dict[str, SeenEntry] = {k: SeenEntry(**v) for k, v in seen.items()}
    for nodeid, kind in flaky.items():
        entry = updated.setdefault(nodeid, SeenEntry(first_seen=today, phase=phase))
        entry["last_seen"] = today
        entry["kind"] = kind
    if updated != seen:
        text = json.dumps({"format": SEEN_FORMAT, "tests": updated}, indent=2, sort_keys=True)
        write_text_atomic(path, text + "\n")
    return updated
