"""Time `phasegate validate` against one plain pytest run of the same suite, side by side.

    python benchmarks/bench_validate.py PROJECT_DIR [--rounds 3] [-- extra phasegate options]

The test environment must already be installed (with `venv = "none"`, the current interpreter).
Rounds alternate the two commands so machine noise hits both alike; the ratio of the medians
is printed, with the instrumented run's own share (run.json) for the coverage overhead.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - started, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("project", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tests", default="tests", help="test path for the plain pytest run")
    parser.add_argument(
        "--python",
        type=Path,
        default=None,
        help="the test environment's interpreter for the plain run "
        "(default: PROJECT/.nox/phasegate/bin/python if it exists)",
    )
    parser.add_argument("phasegate_args", nargs="*", help="extra options after --")
    args = parser.parse_args()
    project = args.project.resolve()
    reports = project / "reports" / "phasegate-bench"
    python = args.python or project / ".nox" / "phasegate" / "bin" / "python"
    if not python.exists():
        python = Path(sys.executable)
    plain = [str(python), "-m", "pytest", "-p", "no:cacheprovider", args.tests]
    validate = [
        sys.executable,
        "-m",
        "tasks",
        "--project",
        str(project),
        "--reports-dir",
        str(reports.relative_to(project)),
        "--quiet",
        *args.phasegate_args,
        "validate",
    ]
    print("warm-up (installs nothing new, fills caches) ...", flush=True)
    timed(validate, project)
    plain_times, validate_times, run_times = [], [], []
    for i in range(1, args.rounds + 1):
        p, p_code = timed(plain, project)
        v, v_code = timed(validate, project)
        run = json.loads((reports / "run.json").read_text())
        plain_times.append(p)
        validate_times.append(v)
        run_times.append(run["duration"])
        print(
            f"round {i}: plain pytest {p:.2f}s (exit {p_code}), phasegate validate {v:.2f}s "
            f"(exit {v_code}), its instrumented run {run['duration']:.2f}s",
            flush=True,
        )
    p, v, r = (statistics.median(x) for x in (plain_times, validate_times, run_times))
    print(f"median: plain {p:.2f}s, validate {v:.2f}s, instrumented run {r:.2f}s")
    print(f"ratio validate / plain = {v / p:.2f}x (target <= 4x; the hand procedure: 7.7x)")
    print(f"ratio instrumented run / plain = {r / p:.2f}x")
    shutil.rmtree(reports, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
