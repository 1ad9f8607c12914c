"""Refresh the impact index after the hook's verdict (a stand-in: replaced by the affected
branch at merge)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tasks.config import PhaseConfig


def start(config: PhaseConfig, python: Path, nodeids: Sequence[str]) -> None:
    """Replaced by the affected branch at merge: does nothing here."""
    del config, python, nodeids
