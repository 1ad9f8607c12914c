"""Triage on a project with one planted failure of each kind, in a real git history."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Stabilised, commit_all, write_files

from tasks.config import load_config
from tasks.console import Console
from tasks.run.step import run_step
from tasks.stability.step import stability_step
from tasks.triage.step import triage_step

PYTHON = Path(sys.executable)

BASE = {
    "pyproject.toml": """
        [tool.phasegate]
        venv = "none"
        runs = 3
        orders = ["file", "file"]
    """,
    "shop/__init__.py": "",
    "shop/pricing.py": """
        def total(prices):
            return sum(prices)


        def average(prices):
            return total(prices) / len(prices)


        def with_vat(amount):
            return round(amount * 1.2, 2)
    """,
    "shop/settings.py": """
        import os


        def api_token():
            return os.environ["SHOP_API_TOKEN_FOR_TESTS"]
    """,
    "tests/conftest.py": """
        import pytest


        @pytest.fixture
        def basket():
            return [1, 2, 3]
    """,
    "tests/test_vat.py": """
        from shop.pricing import with_vat


        def test_with_vat():
            assert with_vat(10) == 12.0
    """,
    "shop/rates.py": """
        def apply_rate(price, rate):
            if not 0 <= rate <= 1:
                raise ValueError(f"rate must be between 0 and 1, got {rate}")
            return price * (1 - rate)


        def label(code):
            return {"A": "gold", "B": "silver"}.get(code, "none")
    """,
    "tests/test_labels.py": """
        from shop.rates import label


        def test_label():
            assert label("A").upper() == "GOLD"
    """,
}
PHASE = {
    # production regression: the code changed, its old test did not
    "shop/pricing.py": """
        def total(prices):
            return sum(prices)


        def average(prices):
            return total(prices) / len(prices)


        def with_vat(amount):
            return round(amount * 1.25, 2)
    """,
    "tests/test_new.py": """
        import socket
        from unittest import mock

        import pytest

        from shop.pricing import average, total
        from shop.settings import api_token


        def test_total_expectation_wrong(basket):
            assert total(basket) == 7


        def test_average_of_nothing():
            average([])


        def test_fixture_typo(baskett):
            pass


        def test_patches_a_missing_name():
            with mock.patch("shop.pricing.totl"):
                pass


        def test_needs_a_token():
            assert api_token()


        def test_needs_a_server():
            socket.create_connection(("127.0.0.1", 9), timeout=1)


        def test_calls_api_wrongly():
            total(1, 2, 3)
    """,
    # a regression that makes label() return None: the test's .upper() fails
    "shop/rates.py": """
        def apply_rate(price, rate):
            if not 0 <= rate <= 1:
                raise ValueError(f"rate must be between 0 and 1, got {rate}")
            return price * (1 - rate)


        def label(code):
            return {"a": "gold", "b": "silver"}.get(code)
    """,
    # a new test passing input the code rejects on purpose
    "tests/test_rates.py": """
        from shop.rates import apply_rate


        def test_rate_in_percent():
            assert apply_rate(100, 20) == 80
    """,
    "tests/test_imports.py": """
        from shop.pricing import discount


        def test_discount():
            assert discount(10) == 9
    """,
    "tests/test_machine.py": """
        import os
        import subprocess


        def test_reads_system_config():
            with open("/etc/shop-planted/settings.ini") as handle:
                assert handle.read()


        def test_runs_a_tool():
            subprocess.run(["shop-planted-tool", "--version"], check=True)


        def test_token_from_env():
            assert os.environ.get("SHOP_PLANTED_TOKEN"), "the token must be set"
    """,
    "shop/report.py": """
        from shop.pricing import totl


        def report(prices):
            return totl(prices)
    """,
    "tests/test_report.py": """
        from shop.report import report


        def test_report():
            assert report([1]) == 1
    """,
    "tests/test_thirdparty.py": """
        import no_such_thirdparty_lib


        def test_uses_it():
            pass
    """,
    "tests/test_flaky.py": """
        from pathlib import Path

        COUNTER = Path(__file__).parent.parent / "counter.txt"


        def test_flaky():
            count = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
            COUNTER.write_text(str(count))
            assert count != 2, "fails on its second run only"
    """,
}
EXPECTED = {
    "tests/test_vat.py::test_with_vat": "production",
    "tests/test_new.py::test_total_expectation_wrong": "test",
    # a new test, unchanged code that raises: the test calls it wrongly (issue 9)
    "tests/test_new.py::test_average_of_nothing": "test",
    "tests/test_new.py::test_fixture_typo": "test",
    "tests/test_new.py::test_patches_a_missing_name": "test",
    "tests/test_new.py::test_needs_a_token": "environment",
    "tests/test_new.py::test_needs_a_server": "environment",
    "tests/test_new.py::test_calls_api_wrongly": "test",
    "tests/test_imports.py": "test",
    "tests/test_thirdparty.py": "environment",
    "tests/test_flaky.py::test_flaky": "flaky",
    "tests/test_machine.py::test_reads_system_config": "environment",
    "tests/test_machine.py::test_runs_a_tool": "environment",
    "tests/test_machine.py::test_token_from_env": "environment",
    "tests/test_report.py": "production",
    "tests/test_labels.py::test_label": "production",
    "tests/test_rates.py::test_rate_in_percent": "test",
}


@pytest.fixture(scope="module")
def triaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = tmp_path_factory.mktemp("shop")
    base = commit_all(write_files(project, BASE), "shop with one test")
    commit_all(write_files(project, PHASE), "phase: new tests, vat change")
    # No reruns: the three full runs already show test_flaky's mixed outcomes.
    config = load_config(project, cli={"base_ref": base, "rerun_budget": "0"}, env={})
    console = Console(quiet=True)
    run_step(config, PYTHON, console)
    stability_step(config, PYTHON, console)
    data = triage_step(config, PYTHON, console)
    data["project"] = project
    return data


def verdicts(triaged: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["nodeid"]: f for f in triaged["failures"]}


@pytest.mark.parametrize(("nodeid", "category"), sorted(EXPECTED.items()))
def test_category(triaged: dict[str, Any], nodeid: str, category: str) -> None:
    assert verdicts(triaged)[nodeid]["category"] == category


def test_nothing_else_failed(triaged: dict[str, Any]) -> None:
    assert set(verdicts(triaged)) == set(EXPECTED)


@pytest.mark.parametrize(
    ("nodeid", "fix"),
    [
        ("tests/test_new.py::test_fixture_typo", "use an existing fixture: basket"),
        (
            "tests/test_new.py::test_patches_a_missing_name",
            "patch an existing name: shop.pricing.total",
        ),
        (
            "tests/test_new.py::test_needs_a_token",
            "set SHOP_API_TOKEN_FOR_TESTS in the test environment (CI settings or "
            "monkeypatch.setenv)",
        ),
        ("tests/test_thirdparty.py", "install no_such_thirdparty_lib in the test environment"),
        ("tests/test_imports.py", "import a name shop.pricing defines"),
        ("tests/test_machine.py::test_runs_a_tool", "install shop-planted-tool"),
        ("tests/test_machine.py::test_token_from_env", "set SHOP_PLANTED_TOKEN"),
        ("tests/test_report.py", "fix the import at shop/report.py:1; did you mean total?"),
    ],
)
def test_proposed_fix(triaged: dict[str, Any], nodeid: str, fix: str) -> None:
    assert verdicts(triaged)[nodeid]["fix"].startswith(fix)


def test_evidence_is_sentences_a_developer_can_check(triaged: dict[str, Any]) -> None:
    found = verdicts(triaged)
    assert (
        "ZeroDivisionError was raised at shop/pricing.py:6 in average(), which is "
        "production code" in found["tests/test_new.py::test_average_of_nothing"]["evidence"]
    )
    regression = found["tests/test_vat.py::test_with_vat"]
    assert regression["confidence"] == "medium"
    assert "shop/pricing.py" in regression["reason"] and "the test did not" in regression["reason"]
    wrong = found["tests/test_new.py::test_total_expectation_wrong"]
    assert wrong["reason"].startswith("the test changed since the base;")
    never = found["tests/test_imports.py"]
    assert "git history of shop/pricing.py never had 'discount'" in never["evidence"]


def test_repro_commands_run_one_test(triaged: dict[str, Any]) -> None:
    found = verdicts(triaged)
    assert found["tests/test_new.py::test_fixture_typo"]["repro"] == (
        "python -m pytest -p no:randomly tests/test_new.py::test_fixture_typo"
    )


def test_failures_txt_and_groups(triaged: dict[str, Any]) -> None:
    text = (triaged["project"] / ".phasegate/reports/failures.txt").read_text()
    assert text.startswith(f"{len(EXPECTED)} root causes ({len(EXPECTED)} failures and errors)")
    assert "FAILED tests/test_new.py::test_average_of_nothing (call)" in text
    assert triaged["by_category"] == {"test": 7, "production": 3, "flaky": 1, "environment": 6}


# --- without a base: git blame decides which changed last -----------------------------------

NO_BASE_START = {
    "pyproject.toml": """
        [tool.phasegate]
        venv = "none"
        runs = 1
    """,
    "calc/__init__.py": "",
    "calc/ops.py": """
        def double(x):
            return 2 * x


        def half(x):
            return x / 2
    """,
    "tests/test_ops.py": """
        from calc.ops import double, half


        def test_double():
            assert double(4) == 8


        def test_half():
            assert half(8) == 4


        def test_half_of_ten():
            assert half(10) == 5


        def test_arithmetic_itself():
            assert 1 + 1 == 2
    """,
}


@pytest.fixture(scope="module")
def blamed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = tmp_path_factory.mktemp("calc")
    commit_all(write_files(project, NO_BASE_START), "calc with tests")
    tests = project / "tests/test_ops.py"
    text = tests.read_text().replace("double(4) == 8", "double(4) == 9")
    tests.write_text(text.replace("1 + 1 == 2", "1 + 1 == 3"))
    commit_all(project, "test: tighten expectations")  # a test bug, committed
    ops = project / "calc/ops.py"
    ops.write_text(ops.read_text().replace("x / 2", "x // 3"))  # a regression, uncommitted
    config = load_config(project, env={})  # no base_ref, no history
    console = Console(quiet=True)
    run_step(config, PYTHON, console)
    data = triage_step(config, PYTHON, console)
    assert data["base"] is None
    return data


def test_a_test_changed_after_the_code_it_runs_is_a_test_bug(blamed: dict[str, Any]) -> None:
    found = verdicts(blamed)["tests/test_ops.py::test_double"]
    assert (found["category"], found["confidence"]) == ("test", "low")
    assert found["reason"].startswith("the test's own lines last changed in commit ")
    assert "after the newest production line it executes changed in commit" in found["reason"]


def test_uncommitted_production_change_is_a_regression(blamed: dict[str, Any]) -> None:
    found = verdicts(blamed)["tests/test_ops.py::test_half"]
    assert found["category"] == "production"
    assert found["reason"].startswith(
        "the newest production line it executes changed in uncommitted changes (calc/ops.py:6)"
    )


def test_failures_blamed_on_one_changed_line_are_one_root_cause(blamed: dict[str, Any]) -> None:
    first = blamed["groups"][0]  # the biggest group first
    assert (first["count"], first["category"], first["site"]) == (2, "production", "calc/ops.py:6")
    assert first["tests"] == ["tests/test_ops.py::test_half", "tests/test_ops.py::test_half_of_ten"]
    assert blamed["headline"] == "3 root causes (4 failures and errors)"


def test_a_test_that_runs_no_production_code_is_a_test_bug(blamed: dict[str, Any]) -> None:
    found = verdicts(blamed)["tests/test_ops.py::test_arithmetic_itself"]
    assert (found["category"], found["confidence"]) == ("test", "medium")
    assert "per-test coverage shows it executes no line of production code" in found["evidence"]


# --- order dependency: the polluter in the fix, the two-test repro --------------------------


def test_order_dependent_failure_names_its_polluter(polluted: Stabilised) -> None:
    found = verdicts(polluted.triage)
    victim = found["tests/test_b_victim.py::test_mode_is_ok"]
    assert (victim["category"], victim["reason"]) == ("flaky", "flaky (order-dependent)")
    assert victim["fix"].startswith("tests/test_a_setup.py::test_switches_mode leaves state")
    assert victim["repro"] == (
        "python -m pytest -p no:randomly tests/test_a_setup.py::test_switches_mode "
        "tests/test_b_victim.py::test_mode_is_ok"
    )
    # Passed in run 1, failed in run 2: explained from the run that failed.
    brittle = found["tests/test_c_brittle.py::test_plugin_is_registered"]
    assert brittle["exception"] == "AssertionError"
    assert brittle["site"] == "tests/test_c_brittle.py:5"
    assert "it passes after tests/test_a_setup.py::test_registers_a_plugin" in " ".join(
        brittle["evidence"]
    )
    broken = found["tests/test_d_broken.py::test_always_fails"]
    assert broken["category"] == "test"  # runs no production code
    assert (
        "it is not flaky: it failed in every full run and again when rerun in one fresh process"
        in (broken["evidence"])
    )


# --- without git: where and what was raised still decide, the rest says it is unsure -------


def test_without_git_a_none_from_production_is_a_low_confidence_regression(
    tmp_path: Path,
) -> None:
    project = write_files(
        tmp_path / "nogit",
        {
            "pyproject.toml": '[tool.phasegate]\nvenv = "none"\nruns = 1\n',
            "calc/__init__.py": "",
            "calc/table.py": """
                def lookup(key):
                    return {"a": 1}.get(key)
            """,
            "tests/test_table.py": """
                from calc.table import lookup


                def test_lookup_b():
                    assert lookup("b") + 1 == 3


                def test_lookup_a():
                    assert lookup("a") == 2
            """,
        },
    )
    config = load_config(project, env={})
    run_step(config, PYTHON, Console(quiet=True))
    found = verdicts(triage_step(config, PYTHON, Console(quiet=True)))
    none = found["tests/test_table.py::test_lookup_b"]
    assert (none["category"], none["confidence"]) == ("production", "low")
    assert none["reason"] == "TypeError on a None the production code returned"
    undecided = found["tests/test_table.py::test_lookup_a"]
    assert (undecided["category"], undecided["confidence"]) == ("production", "low")
    assert (
        "the evidence does not decide between the test's expectation and the code"
        in undecided["evidence"]
    )


def test_an_expectation_edited_with_the_code_it_runs_is_a_test_bug(tmp_path: Path) -> None:
    project = tmp_path / "onecommit"
    commit_all(
        write_files(
            project,
            {
                "pyproject.toml": '[tool.phasegate]\nvenv = "none"\nruns = 1\n',
                "calc/__init__.py": "",
                "calc/ops.py": """
                    def triple(x):
                        return 3 * x


                    def inc(x):
                        return x + 1
                """,
                "tests/test_ops.py": """
                    from calc.ops import inc, triple


                    def test_triple():
                        value = triple(2)
                        assert value == 6


                    def test_inc():
                        assert inc(1) == 2
                """,
            },
        ),
        "calc",
    )
    # One commit refactors triple(), breaks inc() and edits test_triple's expectation.
    write_files(
        project,
        {"calc/ops.py": "def triple(x):\n    return x * 3\n\n\ndef inc(x):\n    return x + 2\n"},
    )
    tests = project / "tests/test_ops.py"
    tests.write_text(tests.read_text().replace("value == 6", "value == 7"))
    commit_all(project, "refactor and new expectations")
    config = load_config(project, env={})
    run_step(config, PYTHON, Console(quiet=True))
    found = verdicts(triage_step(config, PYTHON, Console(quiet=True)))
    edited = found["tests/test_ops.py::test_triple"]
    assert edited["category"] == "test"
    assert "changed both the code and the line that fails (tests/test_ops.py:6)" in edited["reason"]
    assert found["tests/test_ops.py::test_inc"]["category"] == "production"


def test_a_doctest_failure_is_production_and_its_repro_runs_the_doctest(tmp_path: Path) -> None:
    # The package is listed in `tests` for its doctests, with --doctest-modules in pytest_args:
    # the module stays production code, and the repro command carries the pytest_args that a
    # doctest needs to be found at all.
    project = write_files(
        tmp_path / "proj",
        {
            "pyproject.toml": """
                [tool.phasegate]
                venv = "none"
                runs = 1
                rerun_budget = 0
                tests = ["calc", "tests"]
                pytest_args = ["--doctest-modules"]
            """,
            "calc/__init__.py": '''
                def half(x):
                    """
                    >>> half(4)
                    2
                    """
                    return x / 2
            ''',
            "tests/test_calc.py": "from calc import half\n\ndef test_half():\n    assert half(2)\n",
        },
    )
    commit_all(project, "calc")
    config = load_config(project, env={})
    run_step(config, PYTHON, Console(quiet=True))
    data = triage_step(config, PYTHON, Console(quiet=True))
    [failure] = data["failures"]
    assert failure["nodeid"] == "calc/__init__.py::calc.half"
    assert failure["category"] == "production"
    repro = failure["repro"]
    assert repro == "python -m pytest -p no:randomly --doctest-modules calc/__init__.py::calc.half"
    done = subprocess.run(
        [sys.executable, *shlex.split(repro)[1:]],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1  # the doctest ran and failed: not "ERROR: not found" (4)


def test_one_production_bug_failing_many_assertions_is_one_root_cause(tmp_path: Path) -> None:
    # A wrong rounding in price() makes five tests' assertions fail; each asserts on its own
    # line, but they all run the one line the passing tests never reach: one root cause.
    tests = "\n".join(
        f"def test_price_{n}():\n    assert price({n}.5) == {n + 1}\n\n" for n in range(5)
    )
    project = write_files(
        tmp_path / "proj",
        {
            "pyproject.toml": '[tool.phasegate]\nvenv = "none"\nruns = 1\nrerun_budget = 0\n',
            "shop/__init__.py": "def price(x):\n    if x % 1:\n        return int(x)\n"
            "    return x\n",
            "tests/test_price.py": "from shop import price\n\n\n"
            + tests
            + "def test_whole():\n    assert price(2) == 2\n",
        },
    )
    commit_all(project, "shop")
    config = load_config(project, env={})
    run_step(config, PYTHON, Console(quiet=True))
    data = triage_step(config, PYTHON, Console(quiet=True))
    assert len(data["failures"]) == 5
    [only] = data["groups"]
    assert (only["count"], only["category"], only["site"]) == (
        5,
        "production",
        "shop/__init__.py:3",
    )
