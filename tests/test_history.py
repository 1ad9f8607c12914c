from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tasks.artifacts.history import HISTORY_FORMAT, load_history, previous, save_history, upsert
from tasks.errors import HistoryError


def entry(phase: str, coverage: float) -> dict[str, object]:
    return {"phase": phase, "coverage": coverage}


def test_rerunning_a_phase_replaces_its_entry() -> None:
    history = [entry("01", 50.0), entry("02", 60.0)]
    history = upsert(history, entry("02", 65.0))
    history = upsert(history, entry("02", 66.0))
    assert history == [entry("01", 50.0), entry("02", 66.0)]
    assert upsert(history, entry("03", 70.0))[-1] == entry("03", 70.0)


def test_previous_phase() -> None:
    history = [entry("01", 50.0), entry("02", 60.0)]
    assert previous(history, "02") == entry("01", 50.0)  # re-run of 02: compare with 01
    assert previous(history, "03") == entry("02", 60.0)  # a new phase: the last one
    assert previous(history, "01") is None
    assert previous([], "01") is None


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "trending.json"
    save_history(path, [entry("01", 50.0)])
    assert json.loads(path.read_text())["format"] == HISTORY_FORMAT
    assert load_history(path) == [entry("01", 50.0)]
    assert load_history(tmp_path / "missing.json") == []


def test_a_format_1_history_is_read_and_rewritten_as_the_current_format(tmp_path: Path) -> None:
    path = tmp_path / "trending.json"
    path.write_text(json.dumps({"format": 1, "phases": [{"phase": "01", "coverage": 50.0}]}))
    phases = load_history(path)
    save_history(path, upsert(phases, {"phase": "02", "coverage": 60.0, "files_tested": None}))
    data = json.loads(path.read_text())
    assert data["format"] == HISTORY_FORMAT == 2
    assert [p["phase"] for p in data["phases"]] == ["01", "02"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": 1}', 'expected {"format": 2, "phases": [...]}'),
        ('{"format": "1", "phases": []}', "format '1' is not a version number"),
        ('{"format": 1, "phases": [{"coverage": 5}]}', 'every entry of "phases" needs a "phase"'),
        ('{"format": 99, "phases": []}', "format 99 was written by a newer phasegate"),
    ],
)
def test_bad_history_is_refused_and_left_untouched(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "trending.json"
    path.write_text(text)
    with pytest.raises(HistoryError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_history(path)
    assert path.read_text() == text


def test_a_killed_writer_leaves_the_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "history" / "trending.json"
    save_history(path, [entry("01", 50.0)])
    before = path.read_text()
    # A writer that is killed after writing part of the new content, before the rename.
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        def die(self, target):
            os.kill(os.getpid(), signal.SIGKILL)
        Path.replace = die
        from tasks.artifacts.history import save_history
        save_history(Path({str(path)!r}), [{{"phase": "02", "coverage": 1.0}}] * 1000)
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=Path(__file__).parent.parent, check=False
    )
    assert done.returncode == -9
    assert path.read_text() == before
    assert load_history(path) == [entry("01", 50.0)]
    leftovers = [p.name for p in path.parent.iterdir() if p.name != "trending.json"]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")  # never read as history
