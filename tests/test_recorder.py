"""The recorder plugin's orders, in real pytest runs: replayable shuffles that keep modules and
classes together, and reruns that select their tests from a file, never the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tasks.config import load_config
from tasks.console import Console
from tasks.pytest_command import PLUGIN_DIR
from tasks.pytest_plugin.phasegate_order import shuffle_key
from tasks.run.step import run_step
from tasks.stability.rerunner import Rerunner
from tasks.stability.reruns import stable_keys
from tasks.stability.suspects import NotRun

Sample = Callable[[str], Path]
PYTHON = Path(sys.executable)


RECORDER = [sys.executable, "-m", "pytest", "-p", "phasegate_recorder", "-p", "no:cacheprovider"]


def pytest_env(order: str) -> dict[str, str]:
    # No entry-point plugins: only the recorder, and a fast start.
    return {
        **os.environ,
        "PHASEGATE_ORDER": order,
        "PYTHONPATH": str(PLUGIN_DIR),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }


def collected(project: Path, order: str) -> list[str]:
    """The node ids pytest collects, in the order the recorder gives them."""
    done = subprocess.run(
        [*RECORDER, "--collect-only", "-q", "tests"],
        cwd=project,
        env=pytest_env(order),
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if "::" in line]


def contiguous(order: list[str], prefix: str) -> bool:
    where = [i for i, nodeid in enumerate(order) if nodeid.startswith(prefix)]
    return where == list(range(where[0], where[-1] + 1))


MODULES = ["tests/test_a.py::", "tests/test_b.py::", "tests/test_c.py::"]
CLASSES = ["tests/test_a.py::TestAlpha::", "tests/test_b.py::TestBeta::"]


def test_a_new_test_moves_no_other_and_groups_stay_whole(sample: Sample) -> None:
    project = sample("shuffled")
    before = collected(project, "shuffle:1")
    assert before != collected(project, "file")
    assert all(contiguous(before, group) for group in MODULES + CLASSES)
    with (project / "tests/test_b.py").open("a") as handle:
        handle.write("\n\ndef test_b_new():\n    pass\n")
    after = collected(project, "shuffle:1")
    assert [n for n in after if n != "tests/test_b.py::test_b_new"] == before


def test_shuffles_by_hash_over_many_seeds() -> None:
    ids = [
        *(f"tests/test_a.py::test_a{i}" for i in range(5)),
        *(f"tests/test_a.py::TestAlpha::test_{c}" for c in "xyz"),
        *(f"tests/test_b.py::test_b[{i}]" for i in range(4)),
        *(f"tests/test_b.py::TestBeta::TestInner::test_{c}" for c in "pq"),
        *(f"tests/test_c.py::test_c{i}" for i in range(3)),
    ]
    orders = set()
    for seed in range(200):
        order = sorted(ids, key=lambda n: shuffle_key(seed, n))
        assert all(contiguous(order, group) for group in [*MODULES, *CLASSES])
        assert contiguous(order, "tests/test_b.py::TestBeta::TestInner::")
        grown = sorted([*ids, "tests/test_a.py::test_new"], key=lambda n: shuffle_key(seed, n))
        assert [n for n in grown if n != "tests/test_a.py::test_new"] == order
        orders.add(tuple(order))
    assert len(orders) == 200  # every seed its own order


def ids_file(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "rerun.ids"
    path.write_text("\n".join(lines) + "\n")
    return f"ids:{path}"


# A conftest.py answering the hook for every file (boltons' returns False unless a file is
# for another Python) must not make a rerun collect every file: the hook stops at the first
# answer, so the recorder's comes first.
CONFTEST_ANSWERS = "def pytest_ignore_collect(collection_path, config):\n    return False\n"


@pytest.mark.parametrize("conftest", ["", CONFTEST_ANSWERS], ids=["plain", "conftest-answers"])
def test_a_rerun_runs_the_files_tests_in_its_order_and_deselects_the_rest(
    sample: Sample, tmp_path: Path, conftest: str
) -> None:
    project = sample("shuffled")
    if conftest:
        (project / "tests" / "conftest.py").write_text(conftest)
    wanted = ["tests/test_b.py::TestBeta::test_q", "tests/test_a.py::test_a2"]
    done = subprocess.run(
        [*RECORDER, "-v", "tests"],
        cwd=project,
        env=pytest_env(ids_file(tmp_path, wanted)),
        capture_output=True,
        text=True,
        check=True,
    )
    ran = [line.split(" ")[0] for line in done.stdout.splitlines() if " PASSED" in line]
    assert ran == wanted
    # test_c.py is never collected (as if the ids were on the command line); the other
    # tests of test_a.py and test_b.py are deselected, and pytest says so.
    assert "collected 12 items / 10 deselected / 2 selected" in done.stdout


def rerun(project: Path, tests: list[str], keys: dict[str, str] | None = None) -> str | None:
    """One rerun through the stability step's runner."""
    runner = Rerunner(
        load_config(project),
        PYTHON,
        xdist=False,
        rootdir=project,
        deadline=time.monotonic() + 60,
        keys=keys or {},
        console=Console(quiet=True),
    )
    return runner.last(tests)


def test_tens_of_thousands_of_ids_never_reach_the_command_line(sample: Sample) -> None:
    project = sample("many")  # 500 ids of 5 kB each: 2.5 MB, over ARG_MAX (2 MB)
    ids = [f"tests/test_many.py::test_many[{i:03d}-{'x' * 5000}]" for i in range(1, 500)]
    assert rerun(project, ids) == "failed"  # the last one fails
    log = (project / ".phasegate/reports/stability/reruns/rerun-1.log").read_text()
    assert "collected 500 items / 1 deselected / 499 selected" in log


def test_an_id_built_from_the_clock_is_found_by_its_position_or_not_replayable(
    sample: Sample,
) -> None:
    project = sample("stamped")
    data = run_step(load_config(project), PYTHON, Console(quiet=True))
    record = json.loads((project / ".phasegate/reports/run-record.json").read_text())
    keys = stable_keys([record])
    first, second = data["test_order"]  # test_stamp[1732...]: the id changes every process
    assert keys[second] == "tests/test_stamped.py::test_stamp[stamp=1]"
    assert rerun(project, [first, second], keys) == "failed"
    gone = "tests/test_stamped.py::test_stamp[42]"  # no stable key: nothing to match it by
    with pytest.raises(NotRun, match=r"^rerun 1: .*test_stamp\[42\] is not replayable"):
        rerun(project, [first, gone], keys)
