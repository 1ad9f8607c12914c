"""The `coverage` step: coverage.py's totals, the coverage gates and the history entry."""

from tasks.coverage.step import coverage_step

__all__ = ["coverage_step"]
