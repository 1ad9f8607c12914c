"""Every artifact has one schema: a real validate run writes files that load through them,
and the shared loader refuses a file of another format or shape, naming the step to rerun."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pytest
from conftest import commit_all

from tasks.artifacts import store
from tasks.artifacts.coverage import COVERAGE
from tasks.artifacts.flaky_seen import load_seen
from tasks.artifacts.gates import GATES
from tasks.artifacts.history import HistoryEntry, load_history
from tasks.artifacts.impact import IMPACT
from tasks.artifacts.run import RUN
from tasks.artifacts.shape import check
from tasks.artifacts.stability import STABILITY
from tasks.artifacts.triage import TRIAGE
from tasks.cli import main
from tasks.errors import MissingArtifactError, PhaseError

Sample = Callable[[str], Path]
KINDS = {
    "run.json": RUN,
    "stability.json": STABILITY,
    "triage.json": TRIAGE,
    "coverage-gates.json": COVERAGE,
    "gates.json": GATES,
    "impact.json": IMPACT,
}


def test_every_artifact_of_a_real_run_round_trips_through_its_schema(sample: Sample) -> None:
    # The flaky project fails once (counter file), so triage, the flaky rows, the suspects
    # and the seen-flaky record are all populated, not just empty lists.
    project = sample("flaky")
    commit_all(project, "start")
    assert main(["validate", "--project", str(project), "--seed", "1"]) == 1
    reports = project / ".phasegate" / "reports"
    for name, kind in KINDS.items():
        loaded = store.load(reports / name, kind)  # the shape check: raises on any drift
        # ...and the schema is no looser than the file: without any one key it is refused.
        for key in loaded:
            partial = {k: v for k, v in loaded.items() if k != key}
            with pytest.raises(PhaseError, match=f"missing key '{key}'"):
                store.from_json(kind, partial, name)
    stability = store.load(reports / "stability.json", STABILITY)
    assert stability["flaky"] and stability["suspects"]
    assert store.load(reports / "triage.json", TRIAGE)["failures"]
    history = load_history(project / ".phasegate" / "trending.json")
    assert [check(entry, HistoryEntry) for entry in history] == [None]
    assert list(load_seen(project / ".phasegate" / "flaky-seen.json")) == [
        "tests/test_flaky.py::test_fails_the_first_time"
    ]


class Inner(TypedDict):
    n: int
    note: NotRequired[str]


class Outer(TypedDict):
    name: str
    rate: float | None
    items: list[Inner]
    by_key: dict[str, bool]


GOOD: dict[str, Any] = {"name": "a", "rate": 1, "items": [{"n": 1}], "by_key": {"x": True}}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        # fits
        ({}, None),
        ({"rate": None}, None),
        ({"items": [{"n": 2, "note": "ok"}]}, None),
        # missing, unexpected and mistyped keys, with the path to the bad value
        ({"name": None}, "$.name: expected str, found None"),
        ({"extra": 1}, "$: unexpected key 'extra'"),
        ({"items": [{"n": "1"}]}, "$.items[0].n: expected int, found '1'"),
        ({"items": [{"n": True}]}, "$.items[0].n: expected int, found True"),
        ({"items": [{}]}, "$.items[0]: missing key 'n'"),
        ({"by_key": {"x": 1}}, "$.by_key['x']: expected bool, found 1"),
        ({"items": {"n": 1}}, "$.items: expected a list, found {'n': 1}"),
        ({"rate": "1"}, "$.rate: '1' is none of float | None"),
        ({"rate": True}, "$.rate: True is none of float | None"),  # a bool is no number
        ({"name": True}, "$.name: expected str, found True"),
    ],
)
def test_shape_check_names_the_first_bad_value(change: dict[str, Any], problem: str | None) -> None:
    assert check({**GOOD, **change}, Outer) == problem


def test_loader_refuses_another_format_or_shape_and_names_the_step(tmp_path: Path) -> None:
    path = tmp_path / "triage.json"
    with pytest.raises(
        MissingArtifactError, match=r"triage.json not found: run `phasegate triage`"
    ):
        store.load(path, TRIAGE)
    path.write_text(json.dumps({"format": 99}))
    with pytest.raises(
        MissingArtifactError, match=r"format 99, expected 2; rerun `phasegate triage`"
    ):
        store.load(path, TRIAGE)
    path.write_text(json.dumps({"format": 2, "base_run_id": "x"}))
    with pytest.raises(PhaseError, match=r"not a triage artifact \(\$: missing key 'base'\)"):
        store.load(path, TRIAGE)
    path.write_text("{not json")
    with pytest.raises(PhaseError, match=r"not valid JSON"):
        store.load(path, TRIAGE)
