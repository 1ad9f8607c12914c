"""The `stability` step: varied-order runs, suspects rerun and classified, quarantine."""

from tasks.stability.step import stability_step

__all__ = ["stability_step"]
