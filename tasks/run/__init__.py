"""The `run` step: one instrumented suite run, what coverage measures, and the
background coverage reporter."""

from tasks.run.step import run_step

__all__ = ["run_step"]
