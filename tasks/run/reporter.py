"""coverage.py's JSON, HTML and term-missing reports and the per-test impact index, made
from the run's data file.

The run step starts this in a background process as soon as the instrumented run ends, so
the reports are written while the stability runs use the suite (on another core); readers
wait for it (`tasks.artifacts.coverage.wait_for_reports`). Reports use the project's own
coverage config (cwd = project), which is never on this process's sys.path (`python -P`): a
project's own `tasks` module cannot shadow phasegate's. A status file is written last:
present means finished, its "error" says whether it worked.

The process stops itself, removing its partial files, after REPORT_TIMEOUT seconds, on
SIGTERM, and when phasegate (its parent) is gone.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from coverage import Coverage
from coverage.exceptions import CoverageException

from tasks import impact, processes
from tasks.artifacts import Artifacts, write_text_atomic
from tasks.artifacts.coverage import REPORT_TIMEOUT, reporter_command
from tasks.artifacts.impact import config_file, config_fingerprint

if TYPE_CHECKING:
    from tasks.config import PhaseConfig


class Stopped(Exception):
    """The reporter was told to stop (SIGTERM) or ran out of time (SIGALRM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def write_reports(arts: Artifacts) -> None:
    """Write the three reports from the data file (in the project's folder)."""
    cov = Coverage(data_file=str(arts.coverage_data), config_file=True)
    if not arts.coverage_data.is_file():
        # The project's `parallel = true` left one data file per process: combine them the
        # way `coverage combine` does, with the project's [paths].
        cov.combine(keep=False)
        cov.save()
    cov.load()
    report = arts.coverage_report_json
    partial = report.with_name(f".{report.name}.{os.getpid()}.tmp")
    cov.json_report(outfile=str(partial))
    partial.replace(report)  # readers never see half a JSON report
    cov.html_report(directory=str(arts.coverage_html))
    text = io.StringIO()
    cov.report(file=text, show_missing=True)
    write_text_atomic(arts.coverage_text, text.getvalue())


def remove_partial(arts: Artifacts) -> None:
    """The temporary files of a reporter stopped midway (its own, and write_text_atomic's)."""
    for tmp in [*arts.coverage_dir.glob(".*.tmp"), *arts.root.glob(f".{arts.impact_json.name}.*")]:
        tmp.unlink(missing_ok=True)


def start(config: PhaseConfig, arts: Artifacts, run_id: str) -> None:
    """Start writing the reports and the impact index in the background, after the settings
    that decided what the run measured (the index's fingerprint: `phasegate affected` only
    trusts an index made under the same ones)."""
    fingerprint = config_fingerprint(
        config.tests, config.pytest_args, config.pythonpath, config.source
    )
    write_text_atomic(config_file(arts.coverage_dir), json.dumps(fingerprint))
    arts.coverage_status.unlink(missing_ok=True)
    pid = processes.spawn_background(
        reporter_command(arts, config.project, run_id),
        arts.coverage_reporter_log,
        processes.helper_env(),
        lambda: remove_partial(arts),
    )
    arts.coverage_pid.write_text(str(pid), encoding="utf-8")


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


def _watch_parent(parent: int) -> None:
    """Stop when phasegate is gone (even killed outright): nothing waits for the reports."""
    while os.getppid() == parent:
        time.sleep(0.2)
    os.kill(os.getpid(), signal.SIGTERM)


def main(root: str, project: str, run_id: str) -> int:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGALRM, _stop)
    signal.alarm(int(REPORT_TIMEOUT))
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    os.chdir(project)  # coverage reads the project's own config from the current folder
    arts = Artifacts(Path(root))
    error = None
    try:
        write_reports(arts)
        fingerprint = json.loads(config_file(arts.coverage_dir).read_text(encoding="utf-8"))
        impact.write(
            arts.impact_json, arts.coverage_data, Path(project).resolve(), run_id, fingerprint
        )
    except CoverageException as exc:
        error = str(exc)
    except Stopped as stop:
        remove_partial(arts)
        if stop.signum != signal.SIGALRM:
            return 128 + stop.signum
        error = f"the coverage reports took longer than {REPORT_TIMEOUT:g}s"
    write_text_atomic(arts.coverage_status, json.dumps({"error": error}))
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
