"""`phasegate` end to end: exit codes, messages, artifacts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import tasks.sessions
from tasks import __version__
from tasks.cli import COMMANDS, main
from tasks.options import OPTIONS
from tasks.options_doc import default_plain

ROOT = Path(__file__).resolve().parents[1]

Sample = Callable[[str], Path]


def test_validate_passes_with_exit_0(sample: Sample, capsys: pytest.CaptureFixture[str]) -> None:
    project = sample("quiet")
    assert main(["--project", str(project), "validate"]) == 0
    out = capsys.readouterr().out
    # Beside run 1 ("run 2/2 started, order reverse, log ...") on a machine of several CPUs.
    assert re.search(r"phasegate > stability: run 2/2( started)?, order reverse", out)
    assert "phase current: all gates pass" in out
    gates = json.loads((project / ".phasegate/reports/gates.json").read_text())
    assert gates["passed"] is True
    summary = (project / ".phasegate/reports/PHASE-SUMMARY.md").read_text()
    assert "| Pass rate (run 1)  | 100.00%" in summary
    # One phase in the history: the SVG chart beside the summary, linked from it.
    assert "![Coverage by phase](PHASE-SUMMARY-coverage.svg)" in summary
    svg = (project / ".phasegate/reports/PHASE-SUMMARY-coverage.svg").read_text()
    assert svg.startswith("<svg") and "current" in svg


def test_validate_with_failures_exits_1_and_still_writes_the_summary(sample: Sample) -> None:
    project = sample("basic")
    assert main(["validate", "--project", str(project), "--runs", "1", "--rerun-budget", "0"]) == 1
    summary = (project / ".phasegate/reports/PHASE-SUMMARY.md").read_text()
    assert "status: failed" in summary
    assert "4 root causes (4 failures and errors)" in summary


def test_bad_config_exits_2_with_one_line_and_writes_nothing(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    assert main(["--project", str(project), "validate", "--runs", "0"]) == 2
    err = capsys.readouterr().err
    assert err == 'phasegate: error: --runs "0": must be an integer >= 1\n'
    assert not (project / ".phasegate").exists()


def test_no_tests_exits_2(sample: Sample, capsys: pytest.CaptureFixture[str]) -> None:
    project = sample("empty")
    assert main(["--project", str(project), "validate"]) == 2
    assert "no tests collected where plain pytest looks" in capsys.readouterr().err


def test_all_skipped_fails_the_pass_rate_gate(sample: Sample) -> None:
    project = sample("allskipped")
    assert main(["--project", str(project), "validate"]) == 1
    gates = json.loads((project / ".phasegate/reports/gates.json").read_text())["gates"]
    rate = next(g for g in gates if g["name"].startswith("pass rate"))
    assert (rate["actual"], rate["status"]) == ("n/a", "fail")


def test_a_step_without_its_input_names_the_step_to_run(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    assert main(["--project", str(project), "coverage"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("phasegate: error: ")
    assert "run.json not found: run `phasegate run` (or `nox -s run`) first" in err


def test_run_alone_fails_like_pytest_on_a_failed_test(sample: Sample) -> None:
    assert main(["run", "--project", str(sample("basic"))]) == 1
    assert main(["run", "--project", str(sample("quiet"))]) == 0


def test_unknown_step_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["deploy"])
    assert caught.value.code == 2
    assert "invalid choice: 'deploy'" in capsys.readouterr().err


def test_console_script_and_module_entry_point(sample: Sample) -> None:
    project = sample("monorepo")
    done = subprocess.run(
        [sys.executable, "-m", "tasks", "validate"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (project / ".phasegate/reports/PHASE-SUMMARY.md").is_file()


# --- help, version and the entry points ---------------------------------------------------


def help_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What `phasegate <argv>` prints before it exits 0, with argparse's wrapping undone."""
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return " ".join(captured.out.split())


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-h"],
        # every step, and validate, with both spellings
        *([command, "--help"] for command in COMMANDS),
        *([command, "-h"] for command in COMMANDS),
    ],
    ids=" ".join,
)
def test_help_lists_every_option_with_its_help(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = help_of(argv, capsys)
    for option in OPTIONS:
        # argparse %-formats help strings: a "%" in a help must come out as itself.
        text = f"{option.help} [default: {default_plain(option)}; {option.env_var}]"
        assert f"{option.flag} VALUE {' '.join(text.split())}" in out


def test_top_level_help_names_every_step(capsys: pytest.CaptureFixture[str]) -> None:
    out = help_of(["--help"], capsys)
    assert out.startswith("usage: phasegate ")
    for command in COMMANDS:
        assert f" {command} " in out
    assert "exit codes: 0 all gates pass" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"phasegate {__version__}\n"


def this_checkout() -> dict[str, str]:
    """The environment for a subprocess that imports `tasks` from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def test_module_entry_point_help_and_version() -> None:
    for flag, expected in [("--help", "usage: phasegate "), ("--version", "phasegate ")]:
        done = subprocess.run(
            [sys.executable, "-m", "tasks", flag],
            capture_output=True,
            text=True,
            check=False,
            env=this_checkout(),
        )
        assert (done.returncode, done.stderr) == (0, ""), done.stderr
        assert done.stdout.startswith(expected)


def test_nox_lists_the_phasegate_sessions_with_their_docstrings() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nox", "--list", "--no-color"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=this_checkout(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    names = ["run", "stability", "triage", "coverage", "summary", "validate_phase"]
    listed = [line for line in done.stdout.splitlines() if line.startswith(("- ", "* "))]
    expected = []
    for name in names:
        doc = getattr(tasks.sessions, name).__doc__
        expected.append(f"- {name} -> {doc}")
    assert listed[: len(names)] == expected
