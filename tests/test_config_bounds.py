"""Every input is checked before the first test runs: a bound on every number, a pyproject of
any shape, and `preflight` (the history, the quarantine, the flaky record, `source`,
`base_ref`) stop phasegate at once with one line naming where the value came from, exit 2."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import commit_all, git, write_files

from tasks.cli import main
from tasks.config import load_config
from tasks.errors import ConfigError
from tasks.options import OPTIONS
from tasks.preflight import preflight

Sample = Callable[[str], Path]
F = "{f}"  # the pyproject's path, filled in by the test

# --- a bound on every number ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # counts: a few zeros too many ran the suite until the machine killed it
        (
            "runs = 100000000000000000000",
            f"runs = 100000000000000000000 in [tool.phasegate] ({F}): "
            "must be an integer from 1 to 1000",
        ),
        (
            "runs = 1001",
            f"runs = 1001 in [tool.phasegate] ({F}): must be an integer from 1 to 1000",
        ),
        (
            "seed = 4294967296",
            f"seed = 4294967296 in [tool.phasegate] ({F}): must be an integer from 0 to 4294967295",
        ),
        # durations and budgets: at most a week
        (
            'max_duration = "169h"',
            f'max_duration = "169h" in [tool.phasegate] ({F}): must be at most a week '
            "(604800 seconds)",
        ),
        (
            "max_duration = 1e300",
            f"max_duration = 1e+300 in [tool.phasegate] ({F}): must be at most a week "
            "(604800 seconds)",
        ),
        (
            "rerun_budget = 604801",
            f"rerun_budget = 604801 in [tool.phasegate] ({F}): must be at most a week "
            "(604800 seconds)",
        ),
        # points: an increase past 100 cannot be met
        (
            "min_increase = 101",
            f"min_increase = 101 in [tool.phasegate] ({F}): must be a number from 0 to 100 "
            "(percentage points)",
        ),
        # an integer too big for a float is out of bounds, not an OverflowError
        (
            "min_increase = 1" + "0" * 400,
            f"min_increase = 1{'0' * 400} in [tool.phasegate] ({F}): "
            "must be a number >= 0 (percentage points)",
        ),
        (
            "coverage_target = 1" + "0" * 400,
            f"coverage_target = 1{'0' * 400} in [tool.phasegate] ({F}): "
            "must be a number from 0 to 100",
        ),
    ],
)
def test_numbers_over_their_bound_get_one_line(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.phasegate]\n{body}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={})
    assert str(caught.value) == message.format(f=tmp_path / "pyproject.toml")


@pytest.mark.parametrize(
    ("cli", "env", "message"),
    [
        ({"runs": "5000"}, {}, '--runs "5000": must be an integer from 1 to 1000'),
        ({}, {"PHASEGATE_SEED": "99999999999"}, 'PHASEGATE_SEED="99999999999": must be an '
         "integer from 0 to 4294967295"),
        ({"rerun_budget": "1000h"}, {}, '--rerun-budget "1000h": must be at most a week '
         "(604800 seconds)"),
        ({}, {"PHASEGATE_MIN_INCREASE": "1e400"}, 'PHASEGATE_MIN_INCREASE="1e400": must be a '
         "number >= 0 (percentage points)"),
    ],
)  # fmt: skip
def test_bounds_name_the_environment_or_the_command_line(
    tmp_path: Path, cli: dict[str, str], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, cli=cli, env=env)
    assert str(caught.value) == message


def test_every_number_has_an_upper_bound() -> None:
    unbounded = [
        o.name for o in OPTIONS if o.kind in ("int", "number", "duration") and o.maximum is None
    ]
    assert unbounded == []  # percents and floors stop at 100 by their kind


def test_a_bound_stops_validate_before_anything_runs_or_is_written(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        text.replace("runs = 2", "runs = 100000000000000000000")
    )
    assert main(["--project", str(project), "validate"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"phasegate: error: runs = 100000000000000000000 in [tool.phasegate] "
        f"({project / 'pyproject.toml'}): must be an integer from 1 to 1000\n"
    )
    assert not (project / ".phasegate").exists()


# --- a pyproject of any shape -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tool = 5\n", "tool = 5 in {f}: must be a table, e.g. [tool.phasegate]"),
        (
            'tool = "phasegate"\n',
            "tool = 'phasegate' in {f}: must be a table, e.g. [tool.phasegate]",
        ),
        ("[tool]\nphasegate = 3\n", "[tool.phasegate] in {f} must be a table"),
    ],
)
def test_a_pyproject_of_another_shape_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    assert main(["--project", str(tmp_path), "run"]) == 2
    expected = message.format(f=tmp_path / "pyproject.toml")
    assert capsys.readouterr().err == f"phasegate: error: {expected}\n"


def test_a_missing_pythonpath_folder_from_the_command_line_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, cli={"pythonpath": "backend"}, env={})
    assert str(caught.value) == (
        f'pythonpath entry "backend" in --pythonpath "backend": no such folder under {tmp_path}'
    )


# --- preflight: every input file before the first test --------------------------------------


def validate_stops_early(project: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run validate; it must exit 2 before any test ran. Returns the error line."""
    assert main(["--project", str(project), "validate", *argv]) == 2
    reports = project / ".phasegate" / "reports"
    assert not (reports / "run.log").exists() and not (reports / "run.json").exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err.removeprefix("phasegate: error: ").rstrip("\n")


def test_a_corrupt_history_stops_validate_before_the_first_test(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    history = project / ".phasegate" / "trending.json"
    history.parent.mkdir()
    history.write_text('{"format": 2, "phases": [')
    err = validate_stops_early(project, capsys)
    assert err.startswith(f"{history}: not valid JSON (")
    assert err.endswith("; fix or move the file; phasegate left it untouched")
    assert history.read_text() == '{"format": 2, "phases": ['


def test_a_corrupt_flaky_record_stops_validate_before_the_first_test(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    seen = project / ".phasegate" / "flaky-seen.json"
    seen.parent.mkdir()
    seen.write_text('{"format": 1, "tests": []}')
    err = validate_stops_early(project, capsys)
    assert err == (
        f'{seen}: expected {{"format": 1, "tests": {{...}}}}; restore it from version '
        "control, or remove it to start a new record"
    )


def test_a_bad_quarantine_stops_validate_before_the_first_test(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    (project / "phasegate-quarantine.toml").write_text("[[quarantine]\n")
    err = validate_stops_early(project, capsys)
    assert err.startswith(f"{project / 'phasegate-quarantine.toml'}: not valid TOML (")


def test_a_source_naming_no_package_stops_validate(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    err = validate_stops_early(project, capsys, "--source", "shapes nosuchpkg")
    assert err == (
        '--source "shapes nosuchpkg": "nosuchpkg" is neither a folder of the project nor a '
        "package in it; name the package or folder coverage should measure"
    )


def test_a_source_naming_a_module_or_subpackage_passes(sample: Sample) -> None:
    project = sample("quiet")
    write_files(project, {"shapes/sub/__init__.py": "", "shapes/mod.py": ""})
    preflight(load_config(project, cli={"source": "shapes.sub shapes.mod shapes"}, env={}))


def test_an_unknown_base_ref_stops_validate(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    commit_all(project, "start")
    err = validate_stops_early(project, capsys, "--base-ref", "v9.9")
    assert err == (
        f'--base-ref "v9.9": no such commit in {project}; '
        "use a branch, tag or sha of this repository"
    )


def test_a_base_ref_outside_a_shallow_clone_names_the_shallow_clone(
    sample: Sample, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = sample("quiet")
    first = commit_all(origin, "first")
    (origin / "shapes" / "extra.py").write_text("X = 1\n")
    commit_all(origin, "second")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(clone)], check=True
    )
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    (clone / "pyproject.toml").write_text(
        (clone / "pyproject.toml").read_text() + f'base_ref = "{first}"\n'
    )
    err = validate_stops_early(clone, capsys)
    assert err == (
        f'base_ref = "{first}" in [tool.phasegate] ({clone / "pyproject.toml"}): no such commit '
        f"in {clone}; this is a shallow clone, which may not hold it: fetch the history "
        "(git fetch --unshallow; in GitHub Actions, fetch-depth: 0)"
    )


def test_a_summary_path_inside_a_file_stops_before_anything_runs(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    err = validate_stops_early(project, capsys, "--summary", "pyproject.toml/SUMMARY.md")
    assert err == (
        f'--summary "pyproject.toml/SUMMARY.md": {project / "pyproject.toml"} is a file, '
        "not a folder"
    )


def test_a_floor_too_big_for_a_float_is_one_line_not_a_crash(tmp_path: Path) -> None:
    big = "1" + "0" * 400
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.phasegate]\nfile_floors = {{ "src/*" = {big} }}\n'
    )
    with pytest.raises(ConfigError, match=r"^file_floors = .* must map file globs to percentages"):
        load_config(tmp_path, env={})
