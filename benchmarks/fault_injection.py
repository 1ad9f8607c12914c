"""Kill `phasegate validate` at each step with SIGINT, SIGTERM and SIGKILL, then check that
nothing was lost: every JSON artifact parses, no process of the killed run is left, the
history is intact, and the next validate succeeds.

    python benchmarks/fault_injection.py path/to/project [--signals INT,TERM,KILL]

The project is copied (once per moment and signal) into a temporary folder and made a git
repository; phasegate runs with `--venv none` in this interpreter, so the project's test
dependencies must be installed here (boltons needs none). A moment is "the progress line of
step X appeared, plus a delay", so the kill lands inside that step. Prints one table row per
moment and signal.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

MOMENTS = (
    ("run", "step run:", 1.0),
    ("stability", "stability: run 2/", 0.5),
    ("triage", "step triage:", 0.05),
    ("coverage", "step coverage:", 0.05),
    ("summary", "step summary:", 0.0),
)
SIGNALS = {"INT": signal.SIGINT, "TERM": signal.SIGTERM, "KILL": signal.SIGKILL}
LIMIT = 600.0


def copy_project(source: Path, into: Path) -> Path:
    project = into / source.name
    shutil.copytree(source, project, ignore=shutil.ignore_patterns(".nox", ".phasegate", "reports"))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "start"], cwd=project, check=True)
    return project


def validate(project: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tasks", "--project", str(project), "validate"]
    return subprocess.Popen(
        [*command, "--venv", "none", "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a signal to it must not reach this script
    )


def kill_at(proc: subprocess.Popen[str], marker: str, delay: float, sig: int) -> bool:
    """Send `sig` to phasegate (its process alone) once `marker` is printed; False if the run
    ended before it."""
    for line in proc.stdout or ():
        if marker in line:
            time.sleep(delay)
            proc.send_signal(sig)
            proc.communicate(timeout=LIMIT)
            return True
    proc.wait(timeout=LIMIT)
    return False


def processes_in(project: Path) -> list[int]:
    """Processes whose working folder or command line is inside the project (Linux /proc):
    pytest, the coverage reporter, whatever process group phasegate gave them."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = str((entry / "cwd").readlink())
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(str(project)) or str(project) in cmdline:
            found.append(int(entry.name))
    return found


def leftovers(project: Path) -> bool:
    """Whether any process of the killed run is still alive after a grace period."""
    deadline = time.monotonic() + 5.0
    while processes_in(project) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = processes_in(project)
    for pid in left:  # do not leak them into the next case
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return bool(left)


def bad_json(project: Path) -> list[str]:
    bad = []
    for path in project.rglob("*.json"):
        if ".git" in path.parts or ".nox" in path.parts:
            continue
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            bad.append(str(path.relative_to(project)))
    return bad


def history_ok(project: Path) -> str:
    found = [p for p in project.rglob("trending.json") if ".git" not in p.parts]
    if not found:
        return "none yet"
    data = json.loads(found[0].read_text(encoding="utf-8"))
    return "intact" if isinstance(data.get("phases"), list) else "CORRUPT"


def one_case(source: Path, moment: tuple[str, str, float], name: str) -> list[str]:
    step, marker, delay = moment
    with tempfile.TemporaryDirectory(prefix="phasegate-fault-") as tmp:
        project = copy_project(source, Path(tmp))
        proc = validate(project)
        hit = kill_at(proc, marker, delay, SIGNALS[name])
        left = leftovers(project)
        bad = bad_json(project)
        history = history_ok(project)
        again = validate(project)
        again.communicate(timeout=LIMIT)
        next_code = again.returncode
        return [
            step,
            f"SIG{name}",
            "yes" if hit else "finished first",
            proc.returncode,
            "LEFT" if left else "none",
            ", ".join(bad) or "all parse",
            history,
            next_code,
        ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--signals", default="INT,TERM,KILL")
    args = parser.parse_args()
    rows = [
        one_case(args.project.resolve(), moment, name)
        for moment in MOMENTS
        for name in args.signals.split(",")
    ]
    headers = ["moment", "signal", "hit", "exit", "processes left", "JSON", "history", "next run"]
    print(tabulate(rows, headers=headers, tablefmt="github"))
    failed = [r for r in rows if r[4] != "none" or r[5] != "all parse" or r[6] == "CORRUPT"]
    failed += [r for r in rows if r[7] not in (0, 1)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
