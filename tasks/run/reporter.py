"""coverage.py's JSON, HTML and term-missing reports and the per-test impact index, made
from the run's data file.

The run step starts this in a background process as soon as the instrumented run ends, so
the reports are written while the stability runs use the suite (on another core); readers
wait for it (`tasks.artifacts.coverage.wait_for_reports`). Reports use the project's own
coverage config (cwd = project). A status file is written last: present means finished, its
"error" says whether it worked.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

from coverage import Coverage
from coverage.exceptions import CoverageException

from tasks import impact
from tasks.artifacts import Artifacts, write_text_atomic
from tasks.artifacts.coverage import reporter_command


def write_reports(arts: Artifacts) -> None:
    """Write the three reports from the data file (in the project's folder)."""
    cov = Coverage(data_file=str(arts.coverage_data), config_file=True)
    cov.load()
    cov.json_report(outfile=str(arts.coverage_report_json))
    cov.html_report(directory=str(arts.coverage_html))
    text = io.StringIO()
    cov.report(file=text, show_missing=True)
    write_text_atomic(arts.coverage_text, text.getvalue())


def start(arts: Artifacts, project: Path, run_id: str) -> None:
    """Start writing the reports and the impact index in the background."""
    arts.coverage_status.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    command = reporter_command(arts, project, run_id)
    # posix_spawn, not Popen: the process outlives this step and is reaped by the reader
    # that waits for it, which a dropped Popen object would report as a ResourceWarning.
    pid = os.posix_spawn(
        command[0],
        command,
        dict(os.environ),
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 1, str(arts.coverage_reporter_log), flags, 0o644),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
    )
    arts.coverage_pid.write_text(str(pid), encoding="utf-8")


def main(root: str, project: str, run_id: str) -> int:
    os.chdir(project)  # coverage reads the project's own config from the current folder
    arts = Artifacts(Path(root))
    error = None
    try:
        write_reports(arts)
        impact.write(arts.impact_json, arts.coverage_data, Path(project).resolve(), run_id)
    except CoverageException as exc:
        error = str(exc)
    write_text_atomic(arts.coverage_status, json.dumps({"error": error}))
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
