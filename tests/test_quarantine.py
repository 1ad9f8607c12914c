"""The quarantine file: parsing with one-line errors, and its effect on the flaky gate."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tasks.artifacts import flaky_seen
from tasks.config import load_config
from tasks.console import Console
from tasks.errors import ConfigError, HistoryError
from tasks.run.step import run_step
from tasks.stability import quarantine
from tasks.stability.step import stability_step

Sample = Callable[[str], Path]
PYTHON = Path(sys.executable)
VICTIM = "tests/test_b_victim.py::test_mode_is_ok"
BRITTLE = "tests/test_c_brittle.py::test_plugin_is_registered"
BROKEN = "tests/test_d_broken.py::test_always_fails"
FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=1)).isoformat()


def entry(test: str, expires: str, owner: str = "alice") -> str:
    return (
        f'[[quarantine]]\ntest = "{test}"\nreason = "shared state"\n'
        f'owner = "{owner}"\nexpires = {expires}\n'
    )


def gates_of(data: dict[str, object]) -> dict[str, dict[str, str]]:
    return {g["name"]: g for g in data["gates"]}  # type: ignore[attr-defined,index]


def test_quarantined_flaky_tests_run_but_do_not_fail_the_flaky_gate(sample: Sample) -> None:
    project = sample("polluted")
    (project / "phasegate-quarantine.toml").write_text(
        entry(VICTIM, FUTURE) + entry(BRITTLE, FUTURE, owner="bob")
    )
    config = load_config(project, cli={"rerun_budget": "0"})  # the full runs show both flaky
    run_step(config, PYTHON, Console(quiet=True))
    data = stability_step(config, PYTHON, Console(quiet=True))
    flaky = {f["nodeid"]: f for f in data["flaky"]}
    assert set(flaky) == {VICTIM, BRITTLE}  # still run and reported
    assert flaky[BRITTLE]["quarantined"]["owner"] == "bob"
    gates = gates_of(data)
    assert (gates["flaky tests"]["status"], gates["flaky tests"]["actual"]) == ("pass", "0")
    assert gates["quarantine"]["status"] == "pass"
    seen = json.loads(config.seen_flaky.read_text())["tests"]
    assert seen[VICTIM]["kind"] == "mixed outcomes"


def test_expired_and_never_seen_flaky_entries_fail(sample: Sample) -> None:
    project = sample("polluted")
    (project / "phasegate-quarantine.toml").write_text(
        entry(VICTIM, FUTURE) + entry(BRITTLE, PAST) + entry(BROKEN, FUTURE)
    )
    config = load_config(project, cli={"rerun_budget": "0"})
    run_step(config, PYTHON, Console(quiet=True))
    data = stability_step(config, PYTHON, Console(quiet=True))
    gates = gates_of(data)
    # The expired entry no longer shields its test; the never-flaky one fails the gate.
    assert (gates["flaky tests"]["status"], gates["flaky tests"]["actual"]) == ("fail", "1")
    assert BRITTLE in gates["flaky tests"]["detail"]
    detail = gates["quarantine"]["detail"]
    assert gates["quarantine"]["status"] == "fail"
    assert f"{BRITTLE} expired on {PAST} (owner alice)" in detail
    assert f"{BROKEN} was never seen flaky" in detail


def test_a_test_seen_flaky_in_an_earlier_phase_may_stay_quarantined(tmp_path: Path) -> None:
    seen_file = tmp_path / "flaky-seen.json"
    flaky_seen.record_seen(seen_file, {}, {VICTIM: "non-deterministic"}, "01")
    seen = flaky_seen.load_seen(seen_file)
    entries = [quarantine.Entry(VICTIM, "r", "o", dt.date.today())]
    gate = quarantine.quarantine_gate(entries, seen, [], dt.date.today())
    assert gate.status == "pass"  # expires today: still valid today


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[quarantine]\n", "not valid TOML"),
        ('[[quarantine]]\ntest = "t.py::x"\nreason = "r"\nowner = "o"\n', "entry 1 has no expires"),
        (
            '[[quarantine]]\ntest = "t.py::x"\nreason = "r"\nowner = "o"\nexpires = "soon"\n',
            "entry 1: expires = 'soon' must be a TOML date like 2026-12-31 (no quotes)",
        ),
        (
            '[[quarantine]]\ntest = "t.py"\nreason = "r"\nowner = "o"\nexpires = 2030-01-01\n',
            "entry 1: test = 't.py' is not a pytest node id",
        ),
        (
            '[[quarantine]]\ntest = "t.py::x"\nreason = ""\nowner = "o"\nexpires = 2030-01-01\n',
            "entry 1: reason = '' must be a non-empty string",
        ),
        (
            '[[quarantine]]\ntest = "t.py::x"\nreason = "r"\nowner = "o"\nexpires = 2030-01-01\n'
            "until = 3\n",
            "entry 1: unknown key until",
        ),
        (entry("t.py::x", FUTURE) + entry("t.py::x", FUTURE), "t.py::x is quarantined twice"),
        ("[tests]\nx = 1\n", "unknown table tests"),
    ],
)
def test_bad_quarantine_file_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "phasegate-quarantine.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        quarantine.load(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_quarantine_file_stops_stability_before_any_run(sample: Sample) -> None:
    project = sample("polluted")
    config = load_config(project)
    run_step(config, PYTHON, Console(quiet=True))
    (project / "phasegate-quarantine.toml").write_text("[[quarantine]]\ntest = 1\n")
    with pytest.raises(ConfigError, match="entry 1 has no reason"):
        stability_step(config, PYTHON, Console(quiet=True))
    assert not (project / ".phasegate/reports/stability.json").exists()
    assert not (project / ".phasegate/reports/stability").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", ": not valid JSON"),
        ('{"format": 9, "tests": {}}', "format 9 was written by a newer phasegate"),
    ],
)
def test_unreadable_seen_flaky_file_is_refused_and_kept(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "flaky-seen.json"
    path.write_text(text)
    with pytest.raises(HistoryError, match=message):
        flaky_seen.load_seen(path)
    assert path.read_text() == text
