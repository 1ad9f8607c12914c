"""The CI recipes in docs/ci/ run real phasegate commands and upload what phasegate writes.

Every command a recipe runs is parsed by phasegate's own parser (a misspelt option or step
fails here, not in a user's pipeline); every path it uploads or reports is where phasegate
writes (tasks.artifacts, the `reports_dir` default, `<reports_dir>/shards/K-of-N/`).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks.artifacts import Artifacts
from tasks.ci.gitlab import coverage_line
from tasks.cli import COMMANDS, build_parser
from tasks.config import load_config
from tasks.options import OPTIONS_BY_NAME

RECIPES = Path(__file__).resolve().parents[1] / "docs" / "ci"
SHARDS_LANDED = "combine" in COMMANDS and "shard" in OPTIONS_BY_NAME


def recipe(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((RECIPES / name).read_text(encoding="utf-8"))
    return data


def reports_dir(tmp_path: Path) -> Path:
    """Where phasegate writes by default, relative to the project (the CI checkout)."""
    return load_config(tmp_path, env={}).reports_dir.relative_to(tmp_path)


def shard_dir(tmp_path: Path, k: int, n: int) -> Path:
    return reports_dir(tmp_path) / "shards" / f"{k}-of-{n}"


def folder(path: str) -> Path:
    return Path(path.rstrip("/"))


def phasegate_argv(line: str) -> list[str]:
    """The arguments of a `phasegate ...` line, checked by phasegate's own parser."""
    argv = shlex.split(line)
    assert argv[0] == "phasegate", line
    if not SHARDS_LANDED and ("combine" in argv or any(a.startswith("--shard") for a in argv)):
        pytest.skip("`combine` and `--shard` come with the shards branch (issue 12)")
    build_parser().parse_args(argv[1:])  # exits 2 on an unknown step or option
    return argv[1:]


def run_lines(job: dict[str, Any]) -> list[str]:
    return [line for step in job["steps"] if "run" in step for line in step["run"].splitlines()]


def uploads(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s["with"] for s in job["steps"] if s.get("uses", "").startswith("actions/upload")]


def test_github_single_job(tmp_path: Path) -> None:
    job = recipe("github-actions-single.yml")["jobs"]["phasegate"]
    commands = [phasegate_argv(line) for line in run_lines(job) if line.startswith("phasegate")]
    assert commands == [["validate"]]
    # Later steps read the step's outputs by the names phasegate writes.
    used = set(re.findall(r"steps\.phasegate\.outputs\.(\w+)", yaml.safe_dump(job)))
    assert used == {"passed", "coverage", "pass_rate", "flaky"}
    [upload] = uploads(job)
    assert folder(upload["path"]) == reports_dir(tmp_path)
    assert upload["include-hidden-files"] is True  # coverage/.coverage starts with a dot


def test_github_shards_upload_what_each_shard_writes_and_combine_reads_them(
    tmp_path: Path,
) -> None:
    jobs = recipe("github-actions.yml")["jobs"]
    shards = jobs["shard"]["strategy"]["matrix"]["shard"]
    n = len(shards)
    assert shards == list(range(1, n + 1))
    [upload] = uploads(jobs["shard"])
    for k in shards:
        assert folder(upload["path"].replace("${{ matrix.shard }}", str(k))) == shard_dir(
            tmp_path, k, n
        )
    assert upload["include-hidden-files"] is True
    assert jobs["combine"]["needs"] == "shard"
    [download] = [s["with"] for s in jobs["combine"]["steps"] if "download" in s.get("uses", "")]
    assert download["pattern"] == upload["name"].replace("${{ matrix.shard }}-of-4", "*")
    assert folder(download["path"]) == reports_dir(tmp_path) / "shards"
    [everything] = uploads(jobs["combine"])
    assert folder(everything["path"]) == reports_dir(tmp_path)
    assert jobs["combine"]["outputs"]["passed"] == "${{ steps.phasegate.outputs.passed }}"
    lines = [line for line in run_lines(jobs["combine"]) if line.startswith("phasegate")]
    assert [phasegate_argv(line) for line in lines] == [["combine"]]
    for k in shards:
        line = run_lines(jobs["shard"])[-1].replace("${{ matrix.shard }}", str(k))
        assert phasegate_argv(line) == ["validate", "--shard", f"{k}/{n}"]


def test_gitlab_shards_reports_and_coverage(tmp_path: Path) -> None:
    pipeline = recipe("gitlab-ci.yml")
    shard, combine = pipeline["phasegate-shard"], pipeline["phasegate"]
    n = shard["parallel"]
    assert folder(shard["artifacts"]["paths"][0]) == reports_dir(tmp_path) / "shards"
    junit = shard["artifacts"]["reports"]["junit"]
    for k in range(1, n + 1):  # each job's own JUnit XML, matched by the glob
        assert Path(str(Artifacts(shard_dir(tmp_path, k, n)).junit_xml)).match(junit)
    assert shard["artifacts"]["when"] == combine["artifacts"]["when"] == "always"
    report = combine["artifacts"]["reports"]["coverage_report"]
    assert report["coverage_format"] == "cobertura"
    assert Path(report["path"]) == Artifacts(reports_dir(tmp_path)).coverage_xml
    # GitLab reads the number the `coverage:` regex matches in the job log.
    regex = re.compile(combine["coverage"].strip("/"))
    for display in ("87.50%", "88%", "100.000%"):
        match = regex.search(f"phasegate > ...\n{coverage_line(display)}\n")
        assert match is not None and match[0] == f"Coverage: {display}"
    assert combine["needs"] == ["phasegate-shard"]
    assert [phasegate_argv(line) for line in combine["script"][1:]] == [["combine"]]
    for k in range(1, n + 1):
        line = shard["script"][-1].replace("$CI_NODE_INDEX", str(k))
        line = line.replace("$CI_NODE_TOTAL", str(n))
        assert phasegate_argv(line) == ["validate", "--shard", f"{k}/{n}"]


def job_lines(name: str) -> list[list[str]]:
    """Each job's command lines, in order (GitHub's `run:` steps, GitLab's `script:`)."""
    data = recipe(name)
    jobs = data["jobs"].values() if "jobs" in data else [j for j in data.values() if "script" in j]
    return [run_lines(j) if "steps" in j else list(j["script"]) for j in jobs]


@pytest.mark.parametrize("name", sorted(p.name for p in RECIPES.glob("*.yml")))
def test_every_job_installs_phasegate_before_running_it(name: str) -> None:
    for lines in job_lines(name):
        first = next(i for i, line in enumerate(lines) if line.startswith("phasegate"))
        assert "python -m pip install phasegate" in lines[:first]
