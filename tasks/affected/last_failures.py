"""The tests that failed in the hook's last run (`.phasegate/last-failures.json`): the next
selection includes them until a run where they pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from tasks.artifacts import store
from tasks.artifacts.last_failures import LAST_FAILURES, LastFailures
from tasks.config import PhaseConfig
from tasks.errors import PhaseError
from tasks.lock import GITIGNORE, LOCK_FILE

NAME = "last-failures.json"


def path(config: PhaseConfig) -> Path:
    return config.project / LOCK_FILE.parent / NAME


def record(config: PhaseConfig, nodeids: Sequence[str]) -> None:
    """Remember the tests that failed in this run (replacing the last run's)."""
    target = path(config)
    target.parent.mkdir(parents=True, exist_ok=True)
    ignore = target.parent / ".gitignore"
    try:
        kept = ignore.read_text(encoding="utf-8")
    except FileNotFoundError:
        kept = GITIGNORE
    if NAME not in kept.splitlines():
        store.write_text_atomic(ignore, kept.rstrip("\n") + f"\n{NAME}\n")
    recorded = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    store.write(target, LAST_FAILURES, LastFailures(recorded=recorded, failed=sorted(nodeids)))


def read(config: PhaseConfig) -> list[str]:
    """The tests that failed last time ([] when none were recorded or the file is unreadable:
    a selection never stops for a file that only adds tests)."""
    try:
        return list(store.load(path(config), LAST_FAILURES)["failed"])
    except PhaseError:
        return []
