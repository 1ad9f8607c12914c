"""On GitHub Actions: the job summary, annotations, step outputs and folded pytest output of
real `validate` runs, read back from the files the variables name, line by line."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tasks.artifacts import Artifacts
from tasks.ci.step_summary import LIMIT, for_github
from tasks.cli import main
from tasks.config import load_config
from tasks.console import Console
from tasks.orders import FILE, Order, OrderKind
from tasks.pytest_command import Invocation
from tasks.pytest_runner import run_pytest
from tests.conftest import FIXTURES, write_files

pytestmark = pytest.mark.xdist_group("github")
COMMAND = re.compile(r"^::(?P<name>\w+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


@dataclasses.dataclass(frozen=True)
class GithubRun:
    project: Path
    workspace: Path
    code: int
    stdout: str
    step_summary: str
    output: str

    @property
    def reports(self) -> Artifacts:
        return Artifacts(self.project / ".phasegate/reports")

    def commands(self, name: str) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith(f"::{name}")]


def unescape(text: str) -> str:
    for code, char in (("%0A", "\n"), ("%0D", "\r"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner splits it: name, properties, message."""
    match = COMMAND.match(line)
    assert match is not None, line
    props = dict(p.split("=", 1) for p in (match["props"] or "").split(",") if p)
    return match["name"], {k: unescape(v) for k, v in props.items()}, unescape(match["message"])


def validate_on_github(
    workspace: Path, project: Path, argv: list[str], prefill: str = ""
) -> GithubRun:
    summary, output = workspace / "step-summary.md", workspace / "output.txt"
    summary.write_text(prefill, encoding="utf-8")
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch, contextlib.redirect_stdout(out):
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        monkeypatch.setenv("GITHUB_OUTPUT", str(output))
        monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
        code = main(["validate", "--project", str(project), *argv])
    return GithubRun(
        project,
        workspace,
        code,
        out.getvalue(),
        summary.read_text(encoding="utf-8"),
        output.read_text(encoding="utf-8"),
    )


@pytest.fixture(scope="module")
def basic(tmp_path_factory: pytest.TempPathFactory) -> GithubRun:
    """`basic` (four root causes) in a subfolder of the checkout, as in a monorepo."""
    workspace = tmp_path_factory.mktemp("workspace")
    project = workspace / "basic"
    shutil.copytree(FIXTURES / "basic", project)
    return validate_on_github(workspace, project, ["--runs", "1", "--rerun-budget", "0"])


ERRORS = ["ValueError", "KeyError", "TypeError", "IndexError", "LookupError", "RuntimeError"]
ERRORS += ["OSError", "NameError", "AttributeError", "ZeroDivisionError", "OverflowError"]
ERRORS += ["UnicodeError"]
MANY_TESTS = """
import pytest
from pathlib import Path

import app


@pytest.mark.parametrize("n", range(3))
def test_shared(n):
    app.f0()


def bump(name):
    path = Path(__file__).resolve().parent / f"counter-{name}.txt"
    count = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(count))
    return count
"""


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> GithubRun:
    """12 root causes (one of 3 tests) and 11 flaky tests: more than GitHub shows; and a
    step summary already near its 1 MiB, so the phase's must be trimmed."""
    project = tmp_path_factory.mktemp("many")
    production = "".join(
        f"def f{i}():\n    raise {e}('cause {i}')\n\n\n" for i, e in enumerate(ERRORS)
    )
    tests = MANY_TESTS + "".join(
        f"\n\ndef test_cause_{i}():\n    app.f{i}()\n" for i in range(1, 12)
    )
    tests += "".join(f"\n\ndef test_flaky_{i}():\n    assert bump('{i}') > 1\n" for i in range(11))
    write_files(
        project,
        {
            "pyproject.toml": '[tool.phasegate]\nphase = "many"\nvenv = "none"\nruns = 2\n'
            "rerun_budget = 0\njobs = 2\n",
            "app/__init__.py": production,
            "tests/test_many.py": tests,
        },
    )
    earlier = "an earlier step's summary\n" * ((LIMIT - 6000) // 26)
    return validate_on_github(project, project, [], prefill=earlier)


# --- annotations -------------------------------------------------------------------------


def test_the_failed_gates_are_one_error_with_github_escaping(basic: GithubRun) -> None:
    assert basic.code == 1
    assert basic.commands("error")[0] == (
        "::error title=phasegate%3A phase 03-basic failed 2 gates::collection: 1 module not "
        "collected (target every test module collected); pass rate, run 1 (file): 33.33%25 "
        "(target >= 98.00%25)"
    )


def test_one_error_per_root_cause_at_its_site_relative_to_the_checkout(basic: GithubRun) -> None:
    triage = json.loads(basic.reports.triage_json.read_text())
    fixes = {f["nodeid"]: f["fix"] for f in triage["failures"]}
    causes = basic.commands("error")[1:]
    assert len(causes) == len(triage["groups"]) == 4
    for line, group in zip(causes, triage["groups"], strict=True):
        _, props, message = parse(line)
        path, _, number = group["site"].rpartition(":")
        if number.isdigit():  # a site in the project: the file from the checkout's root
            assert props["file"] == f"basic/{path}" and props["line"] == number
        else:  # a module that failed to import: its test file, no line
            assert props["file"] == f"basic/{group['tests'][0]}" and "line" not in props
        assert (basic.workspace / props["file"]).is_file()
        assert props["title"].endswith(f"(1 test): {group['exception']}")
        assert message.splitlines() == [
            group["message"],
            f"failing: {group['tests'][0]}",
            f"fix: {fixes[group['tests'][0]]}",
        ]
    # Escaped: a property's `:` and `,`, a message's line breaks; one command, one line.
    zero = next(line for line in causes if "ZeroDivisionError" in line)
    assert zero.startswith(
        "::error file=basic/calc/__init__.py,line=6,title=production bug (1 test)%3A "
        "ZeroDivisionError::division by zero%0Afailing: tests/test_calc.py::test_div_zero%0Afix: "
    )


def test_at_most_ten_errors_and_ten_warnings_biggest_first_then_a_notice(many: GithubRun) -> None:
    errors, warnings = many.commands("error"), many.commands("warning")
    assert len(errors) == 10 and len(warnings) == 10
    assert parse(errors[0])[1]["title"] == "phasegate: phase many failed 3 gates"
    assert parse(errors[1])[1]["title"] == "test bug (3 tests): ValueError"  # the biggest group
    assert all("(1 test)" in parse(e)[1]["title"] for e in errors[2:])
    for line in warnings:
        _, props, message = parse(line)
        assert props["title"] == "flaky test (mixed outcomes)"
        assert props["file"] == "tests/test_many.py" and int(props["line"]) > 0
        assert "passed 1 of 2" in message
    # 1 verdict + 12 causes = 13 errors, 11 flaky warnings: 3 and 1 more than shown.
    assert many.commands("notice") == [
        "::notice title=phasegate%3A more in the summary::3 more errors and 1 more warning than "
        "GitHub shows for one step (10 of each): every root cause and flaky test is in the job "
        "summary and in .phasegate/reports/PHASE-SUMMARY.md"
    ]


# --- job summary ----------------------------------------------------------------------------


def test_the_job_summary_is_the_phase_summary_without_front_matter(basic: GithubRun) -> None:
    written = (basic.project / ".phasegate/reports/PHASE-SUMMARY.md").read_text()
    body = written.split("\n---\n", 1)[1].lstrip("\n")
    # The chart's relative link cannot resolve on a job page; nothing else differs.
    assert [line for line in body.splitlines() if not line.endswith(".svg)")] == (
        basic.step_summary.splitlines()
    )
    assert basic.step_summary.startswith("# Phase summary: 03-basic\n")
    assert "Trimmed" not in basic.step_summary


def test_a_summary_over_the_limit_loses_rows_first_never_the_gates(many: GithubRun) -> None:
    path = many.workspace / "step-summary.md"
    assert path.stat().st_size <= LIMIT
    earlier, sep, ours = many.step_summary.partition("> **Trimmed** to fit")
    assert sep and earlier.startswith("an earlier step's summary\n")
    assert "per-test rows (failures, flaky tests)" in ours.splitlines()[0]
    written = (many.project / ".phasegate/reports/PHASE-SUMMARY.md").read_text()
    gates = written.split("## Gates\n", 1)[1].split("\n## ", 1)[0]
    assert "## Gates\n" + gates in ours
    assert "phasegate: the job summary was trimmed to 1 MiB: per-test rows" in many.stdout


FULL = "`PHASE-SUMMARY.md`"


def sections(markdown: str) -> dict[str, str]:
    parts = ("\n" + markdown).split("\n## ")[1:]
    return {p.split("\n", 1)[0]: p for p in parts}


@pytest.fixture
def written(many: GithubRun) -> str:
    return (many.project / ".phasegate/reports/PHASE-SUMMARY.md").read_text()


def test_within_budget_nothing_is_cut(written: str) -> None:
    text, trimmed = for_github(written, len(written.encode()) + 1000, FULL)
    assert trimmed == [] and text.startswith("# Phase summary: many\n")


@pytest.mark.parametrize(
    ("budget", "cut"),
    [
        (15000, ["per-test rows (failures, flaky tests)", "the evidence of each failure"]),
        (8000, ["per-test rows (failures, flaky tests)", "the evidence of each failure"]),
        (4000, ["every section after the gates"]),
    ],
)
def test_rows_go_first_then_whole_sections_never_the_gates(
    written: str, budget: int, cut: list[str]
) -> None:
    text, trimmed = for_github(written, budget, FULL)
    assert trimmed == cut
    assert len(text.encode()) <= budget
    assert text.startswith(f"> **Trimmed** to fit GitHub's 1 MiB job summary: {'; '.join(cut)}.")
    assert sections(text)["Gates"] == sections(written)["Gates"]
    assert sections(text)["Overview"] == sections(written)["Overview"]
    if "every section after the gates" not in cut:
        assert "## Quality metrics" in text  # a section is kept, only its rows are cut
        assert "rows not shown here (GitHub's 1 MiB limit): see `PHASE-SUMMARY.md`." in text


# --- outputs and folded output -----------------------------------------------------------


def test_step_outputs_are_key_value_lines_from_the_artifacts(basic: GithubRun) -> None:
    coverage = json.loads(basic.reports.coverage_json.read_text())
    assert coverage["display"] == "62%"
    assert basic.output.splitlines() == [
        "passed=false",
        "coverage=62",
        "pass_rate=33.33",
        "flaky=0",
        "tests=8",
        "failed=2",
        "errors=2",
        "root_causes=4",
        "gates_failed=2",
        f"summary={basic.project / '.phasegate/reports/PHASE-SUMMARY.md'}",
    ]


def groups(stdout: str) -> dict[str, list[str]]:
    """Each `::group::` title and the lines up to its `::endgroup::` (groups never nest)."""
    found: dict[str, list[str]] = {}
    title = None
    for line in stdout.splitlines():
        if line.startswith("::group::"):
            assert title is None, f"{line} inside {title}"
            title = line.removeprefix("::group::")
            found[title] = []
        elif line == "::endgroup::":
            assert title is not None
            title = None
        elif title is not None:
            found[title].append(line)
    assert title is None
    return found


def test_a_pytest_run_streams_folded_under_a_group(basic: GithubRun) -> None:
    folded = groups(basic.stdout)
    assert list(folded) == ["pytest: phasegate run"]
    # Between the markers: exactly pytest's output, as its log has it (less the command line).
    assert folded["pytest: phasegate run"] == basic.reports.run_log.read_text().splitlines()[1:]


def test_runs_side_by_side_are_each_folded_whole_once_ended(many: GithubRun) -> None:
    folded = groups(many.stdout)  # jobs = 2: run 2 ran beside run 1
    assert sorted(folded) == ["pytest: phasegate run", "pytest: phasegate run 2"]
    assert folded["pytest: phasegate run"] == many.reports.run_log.read_text().splitlines()[1:]
    log_2 = (many.reports.stability_dir / "run-2.log").read_text().splitlines()[1:]
    assert folded["pytest: phasegate run 2"] == log_2
    for lines in folded.values():  # each ends with pytest's own summary line
        assert re.fullmatch(r"=+ \d+ failed(, \d+ passed)? in [\d.]+s =+", lines[-1])


def test_nothing_of_this_outside_ci(
    sample: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("basic")
    assert main(["validate", "--project", str(project), "--runs", "1", "--rerun-budget", "0"]) == 1
    out = capsys.readouterr().out
    assert not [line for line in out.splitlines() if line.startswith("::")]
    assert "Coverage: " not in out
    assert not Artifacts(project / ".phasegate/reports").coverage_xml.exists()


def test_an_error_that_stops_phasegate_is_an_annotation_too(
    sample: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["validate", "--project", str(sample("basic")), "--runs", "0"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        'phasegate: error: --runs "0": must be an integer >= 1',
        '::error title=phasegate stopped (exit 2)::--runs "0": must be an integer >= 1',
    ]


def test_a_file_the_runner_named_that_cannot_be_written_leaves_the_verdict(
    sample: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "gone" / "summary.md"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "gone" / "output"))
    argv = ["validate", "--project", str(sample("basic")), "--runs", "1", "--rerun-budget", "0"]
    assert main(argv) == 1  # the gates' verdict, as without a CI
    out = capsys.readouterr().out.splitlines()
    gone = tmp_path / "gone"
    assert f"phasegate: could not write the job summary to {gone / 'summary.md'}: " in "\n".join(
        out
    )
    assert (
        f"phasegate: could not write outputs to {gone / 'output'}: No such file or directory" in out
    )
    assert len([line for line in out if line.startswith("::error ")]) == 5


@pytest.mark.parametrize(
    ("order", "folded"), [(FILE, True), (Order(OrderKind.IDS, ids=("tests/test_a.py",)), False)]
)
def test_on_github_a_full_run_beside_another_is_folded_once_ended_a_rerun_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: Order, folded: bool
) -> None:
    """A quiet run with a temporary folder of its own ran beside another: a full run's output
    is written as one folded group when it ends; a rerun of suspects only has its log."""
    project = write_files(
        tmp_path / "p",
        {
            "pyproject.toml": '[tool.phasegate]\nvenv = "none"\n',
            "tests/test_a.py": "def test_a():\n    pass\n",
        },
    )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = io.StringIO()
    log = tmp_path / "run.log"
    inv = Invocation(
        label="run 2", order=order, record=tmp_path / "r.json", log=log, echo=False,
        tmpdir=tmp_path,
    )  # fmt: skip
    run_pytest(load_config(project, env={}), Path(sys.executable), inv, Console(out))
    expected = ["::group::pytest: phasegate run 2", *log.read_text().splitlines()[1:]]
    expected.append("::endgroup::")
    assert (out.getvalue().splitlines() == expected) is folded
    assert ("::group::" in out.getvalue()) is folded
