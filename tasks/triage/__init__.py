"""The `triage` step: every failure's category, evidence, fix and repro command."""

from tasks.triage.step import triage_step

__all__ = ["triage_step"]
