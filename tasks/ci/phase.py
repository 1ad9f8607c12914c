"""What a CI shows of one validated phase."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tasks.artifacts.coverage import CoverageArtifact
from tasks.artifacts.run import RunArtifact
from tasks.artifacts.stability import StabilityArtifact
from tasks.artifacts.triage import TriageArtifact
from tasks.config import PhaseConfig
from tasks.gates import Gate, any_failed


@dataclasses.dataclass(frozen=True)
class Phase:
    """What a CI shows of one validated phase: the gates and the artifacts of its run."""

    config: PhaseConfig
    run: RunArtifact
    gates: Sequence[Gate]
    triage: TriageArtifact | None
    stability: StabilityArtifact | None
    coverage: CoverageArtifact | None

    @property
    def passed(self) -> bool:
        return not any_failed(self.gates)
