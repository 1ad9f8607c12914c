"""What a pytest process that never finished did: its record rebuilt from the recorder's
journal, and the test it was inside named as an error.

The recorder writes its record at the end of the session. A process killed for its time
limit, or one that dies inside a test (a segfault, `os._exit`), never gets there; its journal
(one JSON event a line, flushed as it happens) still says which tests reported what and which
one started and never finished. Pure functions over plain data, beside the file reading.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

Record = dict[str, Any]


def stop_reason(timed_out: bool, limit: float, returncode: int) -> str:
    """Why a process ended without finishing its tests, as the stopped test's error says."""
    if timed_out:
        return f"timed out after {limit:g}s"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"the test process died: signal {name}"
    return f"the test process died: exit {returncode} during the test"


def _events(path: Path) -> list[dict[str, Any]]:
    events = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # the last line, cut short by the kill
        if isinstance(event, dict):
            events.append(event)
    return events


def read_journal(path: Path) -> Record | None:
    """A record rebuilt from the journal (None when the session never started)."""
    events = _events(path)
    session = next((e for e in events if e.get("event") == "session"), None)
    if session is None:
        return None
    collected: Mapping[str, Any] = next(
        (e for e in events if e.get("event") == "collected"), {"order": [], "keys": {}}
    )
    reports: list[dict[str, Any]] = []
    started: dict[str, dict[str, Any]] = {}
    for event in events:
        kind, nodeid = event.get("event"), event.get("nodeid", "")
        if kind == "report":
            reports.append(event["report"])
        elif kind == "start":
            started[nodeid] = {"nodeid": nodeid, "location": event.get("location")}
        elif kind == "collectstart":
            started[nodeid] = {"nodeid": nodeid, "location": None, "collect": True}
        elif kind in ("finish", "collectfinish"):
            started.pop(nodeid, None)
    return {
        "pytest_version": session.get("pytest_version", ""),
        "rootdir": session.get("rootdir", ""),
        "exitstatus": None,
        "collected": len(collected["order"]),
        "deselected": 0,
        "order": list(collected["order"]),
        "keys": dict(collected.get("keys") or {}),
        "xdist": bool(collected.get("xdist")),
        "counts": counts_like_pytest(reports),
        "reports": reports,
        "unfinished": list(started.values()),
        # A shard's process: its split, made before the first test (phasegate_shard).
        **({"shard": collected["shard"]} if collected.get("shard") else {}),
    }


def counts_like_pytest(reports: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """pytest's summary counts from its reports: one per report in a non-empty category, as
    its terminal reporter counts (a passed setup or teardown has none)."""
    counts = Counter(str(r.get("category")) for r in reports if r.get("category"))
    return dict(counts)


def _phase(nodeid: str, reports: Sequence[Mapping[str, Any]]) -> str:
    """The phase a test was in when it stopped: the one after its last report."""
    mine = [r for r in reports if r.get("nodeid") == nodeid]
    if not mine:
        return "setup"
    last = mine[-1]
    if last.get("when") == "setup" and last.get("outcome") == "passed":
        return "call"
    return "teardown"


def stopped_report(
    entry: Mapping[str, Any], reports: Sequence[Mapping[str, Any]], rootdir: str, reason: str
) -> dict[str, Any]:
    """The error report of a test (or module being collected) the process stopped inside."""
    nodeid = entry["nodeid"]
    when = "collect" if entry.get("collect") else _phase(nodeid, reports)
    location = entry.get("location")
    if location:
        path, lineno = Path(rootdir, location[0]), location[1]
    else:
        path, lineno = Path(rootdir, nodeid.split("::")[0]), None
    return {
        "nodeid": nodeid,
        "when": when,
        "outcome": "failed",
        "category": "error",
        "duration": 0.0,
        "location": location,
        "longrepr": f"{reason} (in {when} of {nodeid}); phasegate stopped the test process",
        "crash": {
            "path": os.path.normpath(path),  # as the recorder's own: absolute, not resolved
            "lineno": None if lineno is None else lineno + 1,
            "message": reason,
        },
        "exception": None,
        "worker": None,
    }


def complete(record: Record, reason: str) -> tuple[Record, list[str]]:
    """The record with an error for every test it stopped inside; and their node ids."""
    unfinished = list(record.get("unfinished") or [])
    if not unfinished:
        return record, []
    reports = list(record["reports"])
    added = [stopped_report(u, reports, record.get("rootdir", ""), reason) for u in unfinished]
    counts = record.get("counts")
    if counts is not None:
        counts = {**counts, "error": counts.get("error", 0) + len(added)}
    done = {**record, "reports": reports + added, "counts": counts, "stopped": reason}
    return done, [a["nodeid"] for a in added]
