"""Quality gates as plain data: each step computes its own, `validate` collects them all."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Sequence

from tabulate import tabulate

from tasks.artifacts.gates import GateJSON


class Status(enum.StrEnum):
    """A gate's result, written to JSON as its value."""

    PASS = "pass"  # noqa: S105  a gate's status, not a password
    FAIL = "fail"
    NOT_APPLICABLE = "n/a"


PASS, FAIL, NOT_APPLICABLE = Status.PASS, Status.FAIL, Status.NOT_APPLICABLE


@dataclasses.dataclass(frozen=True)
class Gate:
    """One check: what was required, what was measured, and a sentence when it fails."""

    name: str
    target: str
    actual: str
    status: Status
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    def to_json(self) -> GateJSON:
        return {
            "name": self.name,
            "target": self.target,
            "actual": self.actual,
            "status": self.status.value,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: GateJSON) -> Gate:
        return cls(
            data["name"], data["target"], data["actual"], Status(data["status"]), data["detail"]
        )


def at_least(
    name: str, actual: float | None, target: float | None, unit: str = "%", what: str = ""
) -> Gate:
    """actual >= target; no target means the gate is not configured (n/a)."""
    if target is None:
        return Gate(name, "not set", _fmt(actual, unit), NOT_APPLICABLE)
    if actual is None:
        return Gate(
            name,
            f">= {_fmt(target, unit)}",
            "n/a",
            FAIL,
            f"{what or name}: nothing ran (no test passed, failed or errored)",
        )
    ok = actual >= target
    detail = "" if ok else f"{what or name} is {_fmt(actual, unit)}, below {_fmt(target, unit)}"
    return Gate(name, f">= {_fmt(target, unit)}", _fmt(actual, unit), PASS if ok else FAIL, detail)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}{unit}" if unit == "%" else f"{value:g}{unit}"


def any_failed(gates: Iterable[Gate]) -> bool:
    return any(g.failed for g in gates)


def gates_table(gates: Sequence[Gate], fmt: str = "simple") -> str:
    """The gate table, for the terminal (simple) or markdown (github)."""
    rows = [(g.name, g.target, g.actual, g.status.upper(), g.detail) for g in gates]
    return tabulate(rows, headers=["gate", "target", "actual", "result", "why"], tablefmt=fmt)
