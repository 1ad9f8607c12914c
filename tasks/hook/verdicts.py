"""The hook's verdict cache: which tests already passed on a pushed tree, so pushing the same
tree again (to a second remote, or after a rejected push) decides at once.

Kept in `<git common dir>/phasegate/verdicts.json`, shared by the repository's worktrees:

    {"format": 1, "verdicts": {"<key>": {"full_suite": false, "passed": ["tests/t.py::x"]}}}

The key is a hash of the tree and everything else the outcome depends on: the project's
folder, the test settings, the interpreter and its installed environment, phasegate's
version. Only passing runs are kept; a selection is decided by the cache when the whole suite
passed on that key, or every selected test did. A cache, not a record: a file it cannot read
is started afresh.

Format history:
    1: first version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tasks import __version__
from tasks.artifacts.store import write_text_atomic
from tasks.config import PhaseConfig

FORMAT = 1
KEEP = 64  # the newest verdicts kept


def key(config: PhaseConfig, python: Path, tree: str, stamp: Path | None) -> str:
    """What a pass on `tree` depends on, hashed."""
    parts: list[Any] = [
        tree,
        str(config.project),
        list(config.tests),
        list(config.pytest_args),
        list(config.pythonpath),
        config.venv,
        str(python),
        __version__,
    ]
    if stamp is not None and stamp.is_file():
        parts.append(stamp.read_text(encoding="utf-8", errors="replace"))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    verdicts = data.get("verdicts")
    return verdicts if isinstance(verdicts, dict) else {}


def passed(path: Path, verdict_key: str, wanted: Sequence[str] | None) -> bool:
    """Whether the tests `wanted` (None: the whole suite) already passed under the key."""
    entry = _load(path).get(verdict_key)
    if not isinstance(entry, dict):
        return False
    if entry.get("full_suite") is True:
        return True
    return wanted is not None and set(wanted) <= set(entry.get("passed") or [])


def known(path: Path, verdict_key: str) -> bool:
    """Whether anything passed under the key (else no selection is decided by the cache)."""
    return verdict_key in _load(path)


def remember(path: Path, verdict_key: str, ran: Sequence[str] | None) -> None:
    """Record a passing run of `ran` (None: the whole suite) under the key."""
    verdicts = _load(path)
    entry = verdicts.pop(verdict_key, None)
    before = entry if isinstance(entry, dict) else {}
    full = ran is None or before.get("full_suite") is True
    tests = [] if full else sorted({*(before.get("passed") or []), *(ran or [])})
    verdicts[verdict_key] = {"full_suite": full, "passed": tests}
    kept = dict(list(verdicts.items())[-KEEP:])
    write_text_atomic(path, json.dumps({"format": FORMAT, "verdicts": kept}) + "\n")
