"""coverage.py's JSON, HTML and term-missing reports and the per-test impact index, made
from the run's data file.

The run step starts this in a background process as soon as the instrumented run ends, so
the reports are written while the stability runs use the suite (on another core); the
coverage step waits for it. Reports use the project's own coverage config (cwd = project).
A status file is written last: present means finished, its "error" says whether it worked.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from coverage import Coverage
from coverage.exceptions import CoverageException

from tasks import impact
from tasks.artifacts import Artifacts, write_text_atomic

STATUS = "reports-status.json"
PID = "reports.pid"


def write_reports(arts: Artifacts) -> None:
    """Write the three reports from the data file (in the project's folder)."""
    cov = Coverage(data_file=str(arts.coverage_data), config_file=True)
    cov.load()
    cov.json_report(outfile=str(arts.coverage_report_json))
    cov.html_report(directory=str(arts.coverage_html))
    text = io.StringIO()
    cov.report(file=text, show_missing=True)
    write_text_atomic(arts.coverage_dir / "report.txt", text.getvalue())


def start(arts: Artifacts, project: Path, run_id: str) -> None:
    """Start writing the reports and the impact index in the background."""
    (arts.coverage_dir / STATUS).unlink(missing_ok=True)
    log = str(arts.coverage_dir / "reports.log")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    # posix_spawn, not Popen: the process outlives this step and is reaped by `wait`, which
    # a Popen object dropped while its child runs would report as a ResourceWarning.
    pid = os.posix_spawn(
        sys.executable,
        [sys.executable, "-m", "tasks.run.reporter", str(arts.root), str(project), run_id],
        dict(os.environ),
        file_actions=[(os.POSIX_SPAWN_OPEN, 1, log, flags, 0o644), (os.POSIX_SPAWN_DUP2, 1, 2)],
    )
    (arts.coverage_dir / PID).write_text(str(pid), encoding="utf-8")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A finished child of this process stays a zombie until reaped: reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == 0


def wait(arts: Artifacts, project: Path, timeout: float = 900.0) -> str | None:
    """Wait for the background reports; write them here if that process is gone.

    Returns the error message of a failed report, or None.
    """
    status = arts.coverage_dir / STATUS
    pid_file = arts.coverage_dir / PID
    deadline = time.monotonic() + timeout
    while not status.is_file() and time.monotonic() < deadline:
        try:
            pid = int(pid_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            break
        if not _alive(pid):
            break
        time.sleep(0.05)
    if not status.is_file():  # the background process is gone: write them here and now
        run_id = json.loads(arts.run_json.read_text(encoding="utf-8"))["run_id"]
        subprocess.run(
            [sys.executable, "-m", "tasks.run.reporter", str(arts.root), str(project), run_id],
            check=False,
        )
    if not status.is_file():
        return f"the coverage reports were not written; see {arts.coverage_dir / 'reports.log'}"
    error: str | None = json.loads(status.read_text(encoding="utf-8")).get("error")
    return error


def main(root: str, project: str, run_id: str) -> int:
    os.chdir(project)  # coverage reads the project's own config from the current folder
    arts = Artifacts(Path(root))
    error = None
    try:
        write_reports(arts)
        impact.write(arts.impact_json, arts.coverage_data, Path(project).resolve(), run_id)
    except CoverageException as exc:
        error = str(exc)
    write_text_atomic(arts.coverage_dir / STATUS, json.dumps({"error": error}))
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
