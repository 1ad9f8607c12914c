"""Native CI outputs: what a GitHub Actions or GitLab CI job shows of a phase, detected from
the CI's own variables (nothing to configure; a no-op elsewhere).

`publish` runs after the gate table (tasks.pipeline.finish); `log_group` wraps each pytest
run's output (tasks.pytest_runner). Neither imports a step: they read the artifacts.
"""

from __future__ import annotations
