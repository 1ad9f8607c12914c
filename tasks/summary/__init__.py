"""The `summary` step: the phase summary in markdown and its trend chart."""

from tasks.summary.step import summary_step

__all__ = ["summary_step"]
