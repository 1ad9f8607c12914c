"""The tests that failed last time (a stand-in: replaced by the affected branch at merge)."""

from __future__ import annotations

from collections.abc import Sequence

from tasks.config import PhaseConfig


def record(config: PhaseConfig, nodeids: Sequence[str]) -> None:
    """Replaced by the affected branch at merge: does nothing here."""
    del config, nodeids
