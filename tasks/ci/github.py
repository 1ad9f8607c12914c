"""A phase on GitHub Actions: the summary on the job page, annotations on the pull request,
the key numbers as step outputs for later steps (`steps.<id>.outputs.passed`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tasks import gitinfo
from tasks.artifacts.run import failing_record, node_ids
from tasks.artifacts.stability import FlakyRow
from tasks.ci import annotate, step_summary, workflow
from tasks.ci.annotate import Located, Place
from tasks.ci.phase import Phase
from tasks.console import Console
from tasks.results import format_rate


def repository_root(project: Path, env: Mapping[str, str]) -> Path:
    """What annotation paths are relative to: the checkout (GITHUB_WORKSPACE), which holds
    the project, maybe in a subfolder."""
    workspace = env.get("GITHUB_WORKSPACE")
    if workspace:
        return Path(workspace).resolve()
    return (gitinfo.toplevel(project) or project).resolve()


def placer(base: Path, root: Path) -> Place:
    """A path recorded relative to `base` (or absolute) as a file of the repository at
    `root`; None for what is not a file in it (an installed library)."""

    def place(path: str) -> str | None:
        full = (base / path).resolve()
        if not full.is_file() or not full.is_relative_to(root):
            return None
        return full.relative_to(root).as_posix()

    return place


def annotation_lines(phase: Phase, root: Path, where: str) -> list[str]:
    config, run = phase.config, phase.run
    rootdir = Path(run["rootdir"]) if run["rootdir"] else config.project
    place, in_rootdir = placer(config.project, root), placer(rootdir, root)

    def locate(row: FlakyRow) -> Located:
        failed = row["failed_in_run"]
        record = failing_record(config.reports_dir, failed, row["nodeid"]) if failed else None
        if record is not None and record.crash_path and place(record.crash_path):
            return place(record.crash_path), record.crash_lineno
        return in_rootdir(row["nodeid"].split("::")[0]), None

    verdict = annotate.gate_verdict(config.phase, phase.gates)
    flaky = phase.stability["flaky"] if phase.stability else []
    causes, flaky_causes = annotate.root_causes(
        phase.triage, {row["nodeid"] for row in flaky}, place, in_rootdir
    )
    errors = [*([verdict] if verdict else []), *causes]
    warnings = [*annotate.flaky_warnings(flaky, locate), *flaky_causes]
    return annotate.limited(errors, warnings, where)


def outputs(phase: Phase) -> dict[str, str]:
    """The step's outputs: numbers as plain decimals (no %), "" when not measured."""
    run, coverage, stability, triage = phase.run, phase.coverage, phase.stability, phase.triage
    rate = format_rate(run["pass_rate"]).removesuffix("%")
    return {
        "passed": "true" if phase.passed else "false",
        "coverage": coverage["display"].removesuffix("%") if coverage else "",
        "pass_rate": "" if rate == "n/a" else rate,
        "flaky": str(len(stability["flaky"])) if stability else "",
        "tests": str(len(node_ids(run))),
        "failed": str(run["counts"].get("failed", 0)),
        "errors": str(run["counts"].get("error", 0)),
        "root_causes": str(len(triage["groups"])) if triage else "",
        "gates_failed": str(sum(g.failed for g in phase.gates)),
        "summary": str(phase.config.summary),
    }


def _job_summary(phase: Phase, path: Path, shown: str, console: Console) -> None:
    try:
        markdown = phase.config.summary.read_text(encoding="utf-8")
    except OSError:
        return  # no summary was written: the gate table and annotations say it all
    used = path.stat().st_size if path.is_file() else 0
    text, trimmed = step_summary.for_github(markdown, step_summary.LIMIT - used, shown)
    if _append(path, text, "the job summary", console) and trimmed:
        console.write(f"phasegate: the job summary was trimmed to 1 MiB: {'; '.join(trimmed)}")


def _append(path: Path, text: str, what: str, console: Console) -> bool:
    """Append to a file the runner named; one that cannot be written is said, and the
    verdict (the exit code) stands: the CI's page is a view of it, not a gate."""
    try:
        workflow.append(path, text)
    except OSError as exc:
        console.write(f"phasegate: could not write {what} to {path}: {exc.strerror or exc}")
        return False
    return True


def publish(phase: Phase, env: Mapping[str, str], console: Console) -> None:
    root = repository_root(phase.config.project, env)
    summary = phase.config.summary.resolve()
    shown = summary.relative_to(root).as_posix() if summary.is_relative_to(root) else str(summary)
    if env.get("GITHUB_STEP_SUMMARY"):
        _job_summary(phase, Path(env["GITHUB_STEP_SUMMARY"]), f"`{shown}`", console)
    for line in annotation_lines(phase, root, shown):
        console.write(line)
    if env.get("GITHUB_OUTPUT"):
        _append(
            Path(env["GITHUB_OUTPUT"]), workflow.output_lines(outputs(phase)), "outputs", console
        )
    console.stream.flush()
