from __future__ import annotations

from pathlib import Path

import pytest

from tasks.config import load_config
from tasks.errors import ConfigError
from tasks.options import OPTIONS


def write_pyproject(root: Path, body: str) -> Path:
    (root / "pyproject.toml").write_text(f"[tool.phasegate]\n{body}\n")
    return root


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert config.tests == ()  # what plain pytest runs
    assert config.runs == 3
    assert config.min_pass_rate == 98.0
    assert config.max_duration == 3600.0
    assert config.reports_dir == tmp_path / ".phasegate/reports"
    assert config.trending == tmp_path / ".phasegate/trending.json"
    assert config.summary == tmp_path / ".phasegate/reports/PHASE-SUMMARY.md"
    assert config.coverage_target is None


def test_precedence_defaults_pyproject_env_cli(tmp_path: Path) -> None:
    write_pyproject(tmp_path, 'runs = 4\nphase = "from-file"\nmin_pass_rate = 90')
    config = load_config(
        tmp_path, cli={"runs": "6"}, env={"PHASEGATE_RUNS": "5", "PHASEGATE_PHASE": "from-env"}
    )
    assert (config.runs, config.phase, config.min_pass_rate) == (6, "from-env", 90.0)


def test_lists_from_env_are_split_like_a_shell(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={"PHASEGATE_PYTEST_ARGS": "-k 'not slow' -x"})
    assert config.pytest_args == ("-k", "not slow", "-x")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("60m", 3600.0), ("90s", 90.0), ("2h", 7200.0), ("45", 45.0), ("1.5m", 90.0)],
)
def test_durations(tmp_path: Path, value: str, seconds: float) -> None:
    assert load_config(tmp_path, cli={"max_duration": value}, env={}).max_duration == seconds


def test_file_floors_from_toml_env_and_cli(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.phasegate]\nfile_floors = {"src/core/*" = 90, "src/cli/*" = 60.5}\n'
    )
    assert load_config(tmp_path, env={}).file_floors == {"src/core/*": 90.0, "src/cli/*": 60.5}
    env = {"PHASEGATE_FILE_FLOORS": "src/a=b/*=70"}  # the last "=" splits glob and floor
    assert load_config(tmp_path, env=env).file_floors == {"src/a=b/*": 70.0}
    cli = {"file_floors": "x/*=50 y/*=40"}
    assert load_config(tmp_path, cli=cli, env={}).file_floors == {"x/*": 50.0, "y/*": 40.0}
    with pytest.raises(ConfigError, match=r'^--file-floors "x/\*": must map file globs'):
        load_config(tmp_path, cli={"file_floors": "x/*"}, env={})


def test_a_zero_rerun_budget_turns_reruns_off(tmp_path: Path) -> None:
    assert load_config(tmp_path, env={"PHASEGATE_RERUN_BUDGET": "0"}).rerun_budget == 0.0


def test_summary_goes_to_planning_when_the_project_has_it(tmp_path: Path) -> None:
    (tmp_path / ".planning").mkdir()
    write_pyproject(tmp_path, 'phase = "19-coverage-push-and-bug-fixes"')
    config = load_config(tmp_path, env={})
    assert config.summary == (
        tmp_path / ".planning/phases/19-coverage-push-and-bug-fixes/19-PHASE-SUMMARY.md"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # integers
        ("runs = 0", "runs = 0 in [tool.phasegate] ({f}): must be an integer >= 1"),
        ('runs = "three"', 'runs = "three" in [tool.phasegate] ({f}): must be an integer >= 1'),
        ("runs = 2.5", "runs = 2.5 in [tool.phasegate] ({f}): must be an integer >= 1"),
        ("runs = true", "runs = true in [tool.phasegate] ({f}): must be an integer >= 1"),
        ("seed = -1", "seed = -1 in [tool.phasegate] ({f}): must be an integer >= 0"),
        # percentages
        (
            "min_pass_rate = 101",
            "min_pass_rate = 101 in [tool.phasegate] ({f}): must be a number from 0 to 100",
        ),
        (
            "coverage_target = -5",
            "coverage_target = -5 in [tool.phasegate] ({f}): must be a number from 0 to 100",
        ),
        (
            'coverage_baseline = "70%"',
            'coverage_baseline = "70%" in [tool.phasegate] ({f}): must be a number from 0 to 100',
        ),
        (
            "file_min_coverage = nan",
            "file_min_coverage = nan in [tool.phasegate] ({f}): must be a number from 0 to 100",
        ),
        (
            "min_increase = -1",
            "min_increase = -1 in [tool.phasegate] ({f}): "
            "must be a number >= 0 (percentage points)",
        ),
        (
            "tested_min_coverage = 101",
            "tested_min_coverage = 101 in [tool.phasegate] ({f}): must be a number from 0 to 100",
        ),
        (
            'new_file_min_coverage = "high"',
            'new_file_min_coverage = "high" in [tool.phasegate] ({f}): '
            "must be a number from 0 to 100",
        ),
        (
            "diff_min_coverage = -1",
            "diff_min_coverage = -1 in [tool.phasegate] ({f}): must be a number from 0 to 100",
        ),
        (
            'file_floors = {"src/*" = 120}',
            'file_floors = {{"src/*" = 120}} in [tool.phasegate] ({f}): must map file globs to '
            'percentages, e.g. {{"src/core/*" = 90}} '
            '(PHASEGATE_FILE_FLOORS="src/core/*=90 src/cli/*=60")',
        ),
        (
            'file_floors = ["src/*"]',
            'file_floors = ["src/*"] in [tool.phasegate] ({f}): must map file globs to '
            'percentages, e.g. {{"src/core/*" = 90}} '
            '(PHASEGATE_FILE_FLOORS="src/core/*=90 src/cli/*=60")',
        ),
        # durations
        (
            "timeout = 0",
            "timeout = 0 in [tool.phasegate] ({f}): must be a number of seconds > 0 or a "
            'string like "90s", "60m", "2h"',
        ),
        (
            'max_duration = "soon"',
            'max_duration = "soon" in [tool.phasegate] ({f}): must be a '
            'number of seconds > 0 or a string like "90s", "60m", "2h"',
        ),
        (
            "max_duration = 0",
            "max_duration = 0 in [tool.phasegate] ({f}): must be a number of "
            'seconds > 0 or a string like "90s", "60m", "2h"',
        ),
        (
            'hook_budget = "fast"',
            'hook_budget = "fast" in [tool.phasegate] ({f}): must be a number of '
            'seconds > 0 or a string like "90s", "60m", "2h"',
        ),
        (
            "rerun_budget = -5",
            "rerun_budget = -5 in [tool.phasegate] ({f}): must be a number of "
            'seconds >= 0 or a string like "90s", "60m", "2h"',
        ),
        # lists, strings and choices
        (
            "quarantine = 7",
            "quarantine = 7 in [tool.phasegate] ({f}): must be a non-empty string",
        ),
        (
            'tests = "tests"',
            'tests = "tests" in [tool.phasegate] ({f}): must be a list of strings, e.g. ["tests"]',
        ),
        (
            "pytest_args = [1]",
            "pytest_args = [1] in [tool.phasegate] ({f}): must be a list of "
            'strings, e.g. ["tests"]',
        ),
        (
            "source = [true]",
            'source = [true] in [tool.phasegate] ({f}): must be a list of strings, e.g. ["tests"]',
        ),
        (
            'install = "-e ."',
            'install = "-e ." in [tool.phasegate] ({f}): must be a list of strings, e.g. ["tests"]',
        ),
        (
            'files = "*.py"',
            'files = "*.py" in [tool.phasegate] ({f}): must be a list of strings, e.g. ["tests"]',
        ),
        (
            'venv = "conda"',
            'venv = "conda" in [tool.phasegate] ({f}): must be one of auto, uv, virtualenv, none',
        ),
        (
            'suspect_reruns = "all"',
            'suspect_reruns = "all" in [tool.phasegate] ({f}): must be one of batch, each',
        ),
        ("jobs = 0", "jobs = 0 in [tool.phasegate] ({f}): must be an integer >= 1"),
        (
            'orders = ["sideways"]',
            'orders = ["sideways"] in [tool.phasegate] ({f}): must list '
            "orders from file, reverse, shuffle",
        ),
        ('phase = ""', 'phase = "" in [tool.phasegate] ({f}): must be a non-empty string'),
        (
            "reports_dir = 3",
            "reports_dir = 3 in [tool.phasegate] ({f}): must be a non-empty string",
        ),
        ("trending = []", "trending = [] in [tool.phasegate] ({f}): must be a non-empty string"),
        ("summary = 1", "summary = 1 in [tool.phasegate] ({f}): must be a non-empty string"),
        ("base_ref = 7", "base_ref = 7 in [tool.phasegate] ({f}): must be a non-empty string"),
        ("durations = 7", "durations = 7 in [tool.phasegate] ({f}): must be a non-empty string"),
        (
            'shard = "3/2"',
            'shard = "3/2" in [tool.phasegate] ({f}): must have 1 <= K <= N (got K=3, N=2)',
        ),
        (
            'shard = "all"',
            'shard = "all" in [tool.phasegate] ({f}): must be K/N, e.g. 2/4 (shard 2 of 4)',
        ),
        # keys and folders
        ("run = 3", "unknown key run in [tool.phasegate] ({f}); did you mean runs?"),
        ("colour = 1", "unknown key colour in [tool.phasegate] ({f})"),
        (
            'pythonpath = ["backend"]',
            'pythonpath entry "backend" in [tool.phasegate]: no such folder under {root}',
        ),
    ],
)
def test_bad_values_get_one_clear_line(tmp_path: Path, body: str, message: str) -> None:
    write_pyproject(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={})
    expected = message.format(f=tmp_path / "pyproject.toml", root=tmp_path)
    assert str(caught.value) == expected
    assert "\n" not in str(caught.value)


def test_every_option_has_a_bad_value_case() -> None:
    cases = " ".join(
        str(p)
        for p in test_bad_values_get_one_clear_line.pytestmark[0].args[1]  # type: ignore[attr-defined]
    )
    untested = [o.name for o in OPTIONS if f"'{o.name} =" not in cases]
    assert untested == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PHASEGATE_RUNS": "0"}, 'PHASEGATE_RUNS="0": must be an integer >= 1'),
        (
            {"PHASEGATE_MIN_PASS_RATE": "high"},
            'PHASEGATE_MIN_PASS_RATE="high": must be a number from 0 to 100',
        ),
    ],
)
def test_bad_environment_values(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(") + "$"):
        load_config(tmp_path, env=env)


def test_bad_cli_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, cli={"venv": "docker"}, env={})
    assert str(caught.value) == '--venv "docker": must be one of auto, uv, virtualenv, none'


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.phasegate\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: not valid TOML"):
        load_config(tmp_path, env={})


def test_missing_project_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a directory"):
        load_config(tmp_path / "nope", env={})


def test_only_options_without_a_default_say_what_unset_means() -> None:
    # `unset` documents a None default; a real default is shown as itself.
    assert [o.name for o in OPTIONS if o.unset and o.default is not None] == []
    assert all(o.help and o.help == o.help.strip() for o in OPTIONS)
