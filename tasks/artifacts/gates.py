"""gates.json: every gate of one run, as `validate` decided them; and the JSON of one gate.

Format history:
    1: first version.
"""

from __future__ import annotations

from typing import TypedDict

from tasks.artifacts.store import Kind


class GateJSON(TypedDict):
    name: str
    target: str
    actual: str
    status: str
    detail: str


class GatesArtifact(TypedDict):
    base_run_id: str
    phase: str
    passed: bool
    gates: list[GateJSON]


GATES = Kind("gates", GatesArtifact, 1, produced_by="validate")
