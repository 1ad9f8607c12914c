"""The hook's head start (tasks.hook.early): pytest starts while the selection is made and reads
the node ids from a named pipe; when there is no selection to run it collects nothing, and
nothing it printed is shown."""

from __future__ import annotations

import io
import stat
import sys
import threading
from pathlib import Path

from hookrepo import Pushed, pushed_project

from tasks.affected.model import CommitRange
from tasks.artifacts import Artifacts
from tasks.artifacts.coverage import wait_for_reports
from tasks.config import load_config
from tasks.console import Console
from tasks.hook.check import Where
from tasks.hook.early import Gate, HeadStart, feed, make_pipe
from tasks.run.step import run_step

SWAPPED = {"calc/__init__.py": "def add(a, b):\n    return b + a\n"}


def head_start(repo: Pushed, out: io.StringIO) -> tuple[HeadStart, Path]:
    config = load_config(repo.work)
    where = Where.of(repo.work)
    base = repo.sha()
    head = repo.commit(SWAPPED)
    announce = lambda selection: out.write("phasegate: announced\n")  # noqa: E731
    start = HeadStart(config, where.top, [CommitRange(base, head)], Console(out), announce)
    return start, where.state


def test_the_selection_reaches_the_started_pytest_through_the_pipe(tmp_path: Path) -> None:
    repo = pushed_project(tmp_path, hook=False)
    config = load_config(repo.work)
    run_step(config, Path(sys.executable), Console(quiet=True))  # leaves impact.json
    wait_for_reports(Artifacts(config.reports_dir), config.project)
    out = io.StringIO()
    start, state = head_start(repo, out)
    selected, run = start.run(lambda: Path(sys.executable), state)
    assert selected.fed
    assert selected.selection is not None
    wanted = [t.nodeid for t in selected.selection.selected]
    assert "tests/test_calc.py::test_add" in wanted
    assert run is not None
    assert sorted(run.ran) == sorted(wanted)
    # The pipe is a plain file of the same ids afterwards: the log's replay command reads it.
    ids = state / "run.ids"
    assert not stat.S_ISFIFO(ids.stat().st_mode)
    assert ids.read_text() == "".join(f"{n}\n" for n in wanted)
    # What pytest printed shows after what the hook said about the selection.
    shown = out.getvalue()
    assert shown.startswith("phasegate: announced\n")
    assert shown.count("test session starts") == 1


def test_without_a_selection_the_started_pytest_collects_nothing_unseen(tmp_path: Path) -> None:
    repo = pushed_project(tmp_path, hook=False)  # no impact index: the whole suite
    out = io.StringIO()
    start, state = head_start(repo, out)
    selected, run = start.run(lambda: Path(sys.executable), state)
    assert selected.selection is not None and selected.selection.full_suite
    assert (run, selected.fed) == (None, False)
    assert out.getvalue() == ""  # the started pytest's output was not shown
    assert "no tests ran" in (state / "run.log").read_text()  # it started, and ran nothing
    assert not (state / "run.ids").exists()


def test_no_head_start_when_it_is_not_ready(tmp_path: Path) -> None:
    repo = pushed_project(tmp_path, hook=False)
    out = io.StringIO()
    start, state = head_start(repo, out)
    selected, run = start.run(lambda: None, state)
    assert selected.selection is not None and run is None
    assert not (state / "run.log").exists()  # no pytest was started


def test_feeding_gives_up_when_pytest_ended_without_opening_the_pipe(tmp_path: Path) -> None:
    pipe = make_pipe(tmp_path / "run.ids")
    assert pipe is not None
    ended = threading.Event()
    ended.set()
    assert not feed(pipe, ["tests/test_a.py::test_a"], ended)


def test_feeding_writes_every_id_to_the_reader(tmp_path: Path) -> None:
    pipe = make_pipe(tmp_path / "run.ids")
    assert pipe is not None
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_text()))
    reader.start()
    ids = [f"tests/test_a.py::test_{i}" for i in range(20000)]  # more than a pipe holds
    assert feed(pipe, ids, threading.Event())
    reader.join()
    assert got == ["".join(f"{n}\n" for n in ids)]


def test_the_gate_holds_output_until_decided() -> None:
    shown = io.StringIO()
    gate = Gate(shown)
    gate.write("header\n")
    assert shown.getvalue() == ""
    gate.decide(True)
    gate.write("tests\n")
    assert shown.getvalue() == "header\ntests\n"
    dropped = io.StringIO()
    gate = Gate(dropped)
    gate.write("no tests ran\n")
    gate.decide(False)
    gate.write("more\n")
    assert dropped.getvalue() == ""
