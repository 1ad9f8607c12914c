"""A phase on GitLab CI: coverage.py's Cobertura XML beside junit.xml (for
`artifacts:reports:coverage_report`, which marks covered lines in merge requests) and a
`Coverage: NN.NN%` line for the job's `coverage:` regex."""

from __future__ import annotations

from tasks import processes
from tasks.artifacts import Artifacts
from tasks.ci.phase import Phase
from tasks.console import Console

XML_TIMEOUT = 600.0


def coverage_line(display: str) -> str:
    """The coverage gates' total as coverage.py rounds it, with the project's precision:
    "Coverage: 87.50%", or "Coverage: 88%" with coverage.py's default precision of 0."""
    return f"Coverage: {display}"


def write_cobertura(phase: Phase, console: Console) -> None:
    """`coverage xml` on the run's data, in the project's folder so the project's own
    coverage config applies (omit, paths, precision), as for the other reports."""
    arts = Artifacts(phase.config.reports_dir)
    if not arts.coverage_data.is_file():
        console.write(f"phasegate: no coverage data ({arts.coverage_data}): no Cobertura XML")
        return
    arts.coverage_xml.unlink(missing_ok=True)
    command = processes.helper_python(
        "coverage", "xml", f"--data-file={arts.coverage_data}", "-o", str(arts.coverage_xml)
    )
    log = arts.coverage_reporter_log
    processes.run_limited(
        command, XML_TIMEOUT, log=log, env=processes.helper_env(), cwd=phase.config.project
    )
    # Its exit code says whether the total met the project's own fail_under, which the
    # coverage gate already reported; the file says whether the report was written.
    if arts.coverage_xml.is_file():
        console.write(f"phasegate: Cobertura XML for GitLab: {arts.coverage_xml}")
    else:
        console.write(f"phasegate: the Cobertura XML was not written; see {log}")


def publish(phase: Phase, console: Console) -> None:
    write_cobertura(phase, console)
    if phase.coverage is not None:
        console.write(coverage_line(phase.coverage["display"]))
