"""last-failures.json, in `.phasegate/` (this machine's, never committed): the tests that
failed in the pre-push hook's last run, selected again on the next push until they pass.

    {"format": 1, "recorded": "2026-11-26T16:00:00+00:00", "failed": ["tests/test_a.py::t"]}

Format history:
    1: first version.
"""

from __future__ import annotations

from typing import TypedDict

from tasks.artifacts.store import Kind


class LastFailures(TypedDict):
    recorded: str
    failed: list[str]


LAST_FAILURES = Kind("last failures", LastFailures, 1, produced_by="hook")
