"""A selection as people read it (`phasegate affected`, the hook's `--explain`) and as
tools read it (`--json`): pure functions of the Selection."""

from __future__ import annotations

from tasks.affected.model import SelectedTest, Selection
from tasks.artifacts.affected import AffectedArtifact, SelectedJSON

NOTHING = (
    "affected: nothing to test: the changes touch no Python file, no configuration and no "
    "file the tests read"
)


def seconds(value: float | None) -> str:
    return "time unknown" if value is None else f"about {value:.1f}s"


def _listing(tests: tuple[SelectedTest, ...]) -> list[str]:
    lines = []
    for test in tests:
        lines.append(test.nodeid)
        lines.extend(f"    {reason}" for reason in test.reasons)
    return lines


def explain(selection: Selection) -> str:
    """Every selected test with its reasons, then the counts; or why the whole suite runs."""
    if selection.nothing_to_test:
        return NOTHING
    if selection.full_suite:
        return (
            f"affected: the whole suite ({selection.known} known tests, "
            f"{seconds(selection.estimated_seconds)}): {selection.why}"
        )
    lines = _listing(selection.selected)
    if not selection.selected:
        lines.append("affected: no test executes the changed code")
    lines.append(
        f"affected: {len(selection.selected)} selected of {selection.known} known tests, "
        f"{seconds(selection.estimated_seconds)}"
    )
    if selection.left_out:
        lines.append(f"affected: {len(selection.left_out)} left out by hook_budget:")
        lines.extend(_listing(selection.left_out))
    return "\n".join(lines)


def _entry(test: SelectedTest) -> SelectedJSON:
    return SelectedJSON(nodeid=test.nodeid, reasons=list(test.reasons))


def to_json(selection: Selection) -> AffectedArtifact:
    return AffectedArtifact(
        full_suite=selection.full_suite,
        why=selection.why,
        nothing_to_test=selection.nothing_to_test,
        selected=[_entry(t) for t in selection.selected],
        left_out=[_entry(t) for t in selection.left_out],
        known=selection.known,
        estimated_seconds=selection.estimated_seconds,
        rootdir=selection.rootdir,
    )


def from_json(data: AffectedArtifact) -> Selection:
    """The selection back from its JSON (what a CI job or the hook reads)."""
    return Selection(
        full_suite=data["full_suite"],
        why=data["why"],
        nothing_to_test=data["nothing_to_test"],
        selected=tuple(SelectedTest(t["nodeid"], tuple(t["reasons"])) for t in data["selected"]),
        left_out=tuple(SelectedTest(t["nodeid"], tuple(t["reasons"])) for t in data["left_out"]),
        known=data["known"],
        estimated_seconds=data["estimated_seconds"],
        rootdir=data["rootdir"],
    )
