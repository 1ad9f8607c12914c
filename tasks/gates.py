"""Quality gates as plain data: each step computes its own, `validate` collects them all."""

from __future__ import annotations

import dataclasses
import decimal
import enum
import math
from collections.abc import Iterable, Sequence

from tabulate import tabulate

from tasks.artifacts.gates import GateJSON
from tasks.results import format_rate


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
    """actual >= target; no target means the gate is not configured (n/a). A percentage is
    shown as `format_rate` shows it, with at least as many decimals as the target, so an
    actual below the target never shows as the target."""
    places = max(2, _decimals(target))
    shown = _fmt(actual, unit, places)
    if target is None:
        return Gate(name, "not set", shown, NOT_APPLICABLE)
    required = _fmt(target, unit, places)
    if actual is None:
        return Gate(
            name,
            f">= {required}",
            "n/a",
            FAIL,
            f"{what or name}: nothing ran (no test passed, failed or errored)",
        )
    ok = actual >= target
    detail = "" if ok else f"{what or name} is {shown}, below {required}"
    return Gate(name, f">= {required}", shown, PASS if ok else FAIL, detail)


def _decimals(value: float | None) -> int:
    """How many decimals `value` is written with: 99.995 -> 3, 98.0 -> 0."""
    if value is None or not math.isfinite(value):
        return 0
    return max(0, -int(decimal.Decimal(repr(value)).normalize().as_tuple().exponent))


def _fmt(value: float | None, unit: str, places: int = 2) -> str:
    if value is None:
        return "n/a"
    if unit == "%":
        return format_rate(value, places)
    # Exactly the value: "%g" would show 97.9999999 as 98, the target it misses.
    return f"{value:g}{unit}" if float(f"{value:g}") == value else f"{value!r}{unit}"


def any_failed(gates: Iterable[Gate]) -> bool:
    return any(g.failed for g in gates)


def gates_table(gates: Sequence[Gate], fmt: str = "simple") -> str:
    """The gate table, for the terminal (simple) or markdown (github)."""
    rows = [(g.name, g.target, g.actual, g.status.upper(), g.detail) for g in gates]
    return tabulate(rows, headers=["gate", "target", "actual", "result", "why"], tablefmt=fmt)
