"""Safety and speed of the pre-push hook's selection (`phasegate affected`) on a real project.

From a validated baseline of boltons 26.2.0 in a fresh git repository, plants N single-line
production mutations (benchmarks/hook_mutations.py, seeded), one at a time: commit it, run
`phasegate affected --json --base HEAD~1`, run the full suite and the selected subset with
plain pytest (alternating which goes first), then the hook itself (`phasegate hook run` with
git's stdin line for that push, as the installed shim starts it), and revert. The hook's
background index refresh is waited for (untimed) and the validated index, and the record of
what failed last, are put back after each mutation, so every mutation starts from the same
baseline. Then times `affected` and the hook on a docs-only commit.

    pip download --no-deps --no-binary :all: boltons==26.2.0 && tar xzf boltons-26.2.0.tar.gz
    python benchmarks/bench_hook_selection.py boltons-26.2.0 [--mutations 40] [--seed 7]

Safety: for every mutation whose full run fails, the failing tests are all selected.
Fraction: tests the subset ran / tests the full run ran (the whole suite counts 100%).
Time: (selection + subset) / one plain full run, each mutation side by side; and the hook's
own wall time / one plain full run (it adds phasegate's runner, and for a failing push the rerun
at the base that tells a failure the push brought from one that was there before).
Hook verdicts: every mutation whose full run fails must be blocked (exit 1).

phasegate's own modules are byte-compiled first, as `pip install` leaves them (a machine
with PYTHONDONTWRITEBYTECODE set would otherwise recompile them in every hook).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hook_mutations import Mutation, generate

REPO = Path(__file__).resolve().parent.parent
GIT = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com"]
# Both runs alike: plain pytest, no cache, and neither of the two heavy plugins this machine
# has installed globally that boltons does not use (the same flags on both sides).
PYTEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
PYTEST += ["-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "bench_outcomes"]
# Written as the run goes, so a run stopped at its time limit (a mutation that loops) still
# says what it collected, what failed and which test it was stuck in (counted as failing).
PLUGIN = """
import json, os
LOG = open(os.environ["BENCH_OUT"], "a", buffering=1)  # a line reaches the file at once
def _write(key, value):
    LOG.write(json.dumps([key, value]) + "\\n")
def pytest_collectreport(report):
    if report.failed:
        _write("failed", report.nodeid)
def pytest_collection_finish(session):
    _write("collected", len(session.items))
def pytest_runtest_logstart(nodeid, location):
    _write("current", nodeid)
def pytest_runtest_logreport(report):
    if report.failed:
        _write("failed", report.nodeid)
    if report.when == "teardown":
        _write("current", None)
"""
# A mutation that loops forever must not take the machine with it.
RUN_LIMIT = 120.0
MEMORY_LIMIT = 2 * 1024**3


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def env(plugin_dir: Path, out: Path | None = None) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith(("PHASEGATE_", "PYTEST_"))}
    values["PYTHONPATH"] = os.pathsep.join([str(REPO), str(plugin_dir)])
    if out is not None:
        values["BENCH_OUT"] = str(out)
    return values


def _records(path: Path, key: str) -> list[Any]:
    lines = path.read_text().splitlines() if path.is_file() else []
    return [value for k, value in map(json.loads, lines) if k == key]


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def pytest(project: Path, plugin_dir: Path, args: list[str]) -> tuple[float, dict[str, Any]]:
    """Wall time and (collected, failed node ids, stopped) of one plain pytest run; a run
    stopped at RUN_LIMIT counts the test it was in as failed."""
    out = plugin_dir / "outcome.jsonl"
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *PYTEST, *args],
        cwd=project,
        env=env(plugin_dir, out),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_limits,  # no threads here; the limit must be the child's alone
    )
    try:
        proc.wait(timeout=RUN_LIMIT)
        stopped = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        stopped = True
    elapsed = time.perf_counter() - started
    failed = set(_records(out, "failed"))
    current = _records(out, "current")
    if current and current[-1] is not None:  # stopped or crashed inside this test
        failed.add(current[-1])
    collected = _records(out, "collected")
    result = {"collected": collected[-1] if collected else 0, "failed": sorted(failed)}
    return elapsed, {**result, "stopped": stopped}


def affected(project: Path, plugin_dir: Path) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tasks", "affected", "--json", "--base", "HEAD~1"],
        cwd=project,
        env=env(plugin_dir),
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, json.loads(done.stdout)


def refreshing() -> bool:
    """Whether a hook's detached index refresh is still running."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"tasks.affected.refresher" in cmdline.read_bytes():
                return True
        except OSError:
            continue
    return False


def hook(project: Path, plugin_dir: Path, base: str, head: str) -> tuple[float, int]:
    """Wall time and exit code of the pre-push hook for pushing `head` over `base`."""
    values = {**env(plugin_dir), "PHASEGATE_VENV": "none", "PHASEGATE_TIMEOUT": str(RUN_LIMIT)}
    # The same global plugins left out as in the plain runs (boltons uses neither).
    values["PYTEST_ADDOPTS"] = "-p no:hypothesispytest -p no:benchmark"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-P", "-m", "tasks", "hook", "run", "origin", "bench"],
        input=f"refs/heads/main {head} refs/heads/main {base}\n",
        cwd=project,
        env=values,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"the hook failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    while refreshing():  # not timed: it runs after the verdict, the push is not held
        time.sleep(0.2)
    return elapsed, done.returncode


def covered(nodeid: str, selected: list[str]) -> bool:
    return any(
        nodeid == s or nodeid.startswith(s + "::") or nodeid.startswith(s.rstrip("/") + "/")
        for s in selected
    )


def baseline(source: Path, work: Path) -> tuple[Path, dict[str, set[int]]]:
    """A validated git copy of the project, and the lines its run executed per file."""
    project = work / "project"
    shutil.copytree(
        source, project, ignore=shutil.ignore_patterns(".git", ".phasegate", "__pycache__")
    )
    (project / ".gitignore").write_text(".phasegate/\n__pycache__/\n")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "baseline")
    validate = [sys.executable, "-m", "tasks", "validate", "--venv", "none", "-q"]
    subprocess.run(validate, cwd=project, env=env(work), check=False, capture_output=True)
    index = json.loads((project / ".phasegate/reports/impact.json").read_text())
    executed = {
        f: {int(n) for n in e["lines"]} | set(e["import_lines"]) for f, e in index["files"].items()
    }
    return project, executed


def one(project: Path, plugin_dir: Path, mutation: Mutation, first_full: bool) -> dict[str, Any]:
    index = project / ".phasegate/reports/impact.json"
    validated = index.read_bytes()
    base = git(project, "rev-parse", "HEAD")
    mutation.apply(project)
    git(project, "commit", "-q", "-am", f"mutate {mutation.path}:{mutation.line}")
    try:
        select_time, sel = affected(project, plugin_dir)
        selected = [t["nodeid"] for t in sel["selected"]]
        runs = {}
        for name in ("full", "subset") if first_full else ("subset", "full"):
            if name == "full" or sel["full_suite"]:
                runs[name] = pytest(project, plugin_dir, [])
            elif selected:
                runs[name] = pytest(project, plugin_dir, selected)
            else:
                runs[name] = (0.0, {"collected": 0, "failed": [], "stopped": False})
        hook_time, hook_code = hook(project, plugin_dir, base, git(project, "rev-parse", "HEAD"))
    finally:
        git(project, "reset", "-q", "--hard", "HEAD~1")
        index.write_bytes(validated)
        (project / ".phasegate/last-failures.json").unlink(missing_ok=True)
    failing = runs["full"][1]["failed"]
    safe = sel["full_suite"] or all(covered(n, selected) for n in failing)
    return {
        "mutation": f"{mutation.path}:{mutation.line} {mutation.kind}: {mutation.new.strip()}",
        "kills": bool(failing),
        "stopped": runs["full"][1]["stopped"],
        "safe": safe,
        "missed": [] if safe else [n for n in failing if not covered(n, selected)],
        "full_suite": sel["full_suite"],
        "fraction": runs["subset"][1]["collected"] / max(runs["full"][1]["collected"], 1),
        "ratio": (select_time + runs["subset"][0]) / runs["full"][0],
        "hook_ratio": hook_time / runs["full"][0],
        "blocked": hook_code == 1,
        "select_time": select_time,
        "full_time": runs["full"][0],
    }


def docs_only(project: Path, plugin_dir: Path, rounds: int = 5) -> tuple[float, float]:
    """Median times of `affected` and of the whole hook on a docs-only commit."""
    base = git(project, "rev-parse", "HEAD")
    (project / "README.md").write_text((project / "README.md").read_text() + "\nmore docs\n")
    git(project, "commit", "-q", "-am", "docs")
    head = git(project, "rev-parse", "HEAD")
    try:
        times, hook_times = [], []
        for _ in range(rounds):
            seconds, sel = affected(project, plugin_dir)
            if not sel["nothing_to_test"]:
                raise SystemExit(f"a docs-only commit selected tests: {sel}")
            times.append(seconds)
            hook_times.append(hook(project, plugin_dir, base, head)[0])
    finally:
        git(project, "reset", "-q", "--hard", "HEAD~1")
    return statistics.median(times), statistics.median(hook_times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--mutations", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write every mutation's figures here")
    args = parser.parse_args()
    # phasegate byte-compiled, as `pip install` leaves it: under PYTHONDONTWRITEBYTECODE (set
    # on some machines) every hook would otherwise recompile the modules it imports.
    tasks_dir = Path(__file__).resolve().parent.parent / "tasks"
    compileall.compile_dir(str(tasks_dir), quiet=1)
    with tempfile.TemporaryDirectory(prefix="bench-hook-") as tmp:
        work = Path(tmp)
        (work / "bench_outcomes.py").write_text(PLUGIN)
        project, executed = baseline(args.source.resolve(), work)
        mutations = generate(project, executed, args.mutations, args.seed)
        print(f"seed {args.seed}: {len(mutations)} mutations of {len(executed)} files")
        results = []
        for i, mutation in enumerate(mutations):
            result = one(project, work, mutation, first_full=i % 2 == 0)
            results.append(result)
            flag = "" if result["safe"] else f"  MISSED {result['missed']}"
            if result["kills"] and not result["blocked"]:
                flag += "  NOT BLOCKED"
            print(
                f"{'kill' if result['kills'] else 'live'} {result['fraction']:6.1%} "
                f"{result['ratio']:6.1%} hook {result['hook_ratio']:6.1%} "
                f"{result['mutation'][:70]}{flag}"
            )
        docs, docs_hook = docs_only(project, work)
    killing = [r for r in results if r["kills"]]
    safe = sum(r["safe"] for r in killing)
    print(f"\nmutations: {len(results)}, killed by the full suite: {len(killing)}")
    print(f"safety: {safe}/{len(killing)} = {safe / max(len(killing), 1):.0%} (target 100%)")
    print(f"full-suite fallbacks: {sum(r['full_suite'] for r in results)}")
    fraction = statistics.median(r["fraction"] for r in results)
    ratio = statistics.median(r["ratio"] for r in results)
    print(f"selected fraction, median: {fraction:.1%} (target <= 15%)")
    print(f"(selection + subset) / full run, median: {ratio:.1%}")
    hook_ratio = statistics.median(r["hook_ratio"] for r in results)
    print(f"hook wall time / full run, median: {hook_ratio:.1%} (target <= 25%)")
    blocked = sum(r["blocked"] for r in killing)
    print(f"breaking pushes blocked by the hook: {blocked}/{len(killing)} (target all)")
    select = statistics.median(r["select_time"] for r in results)
    full = statistics.median(r["full_time"] for r in results)
    print(f"selection time, median: {select:.2f}s; full run, median: {full:.2f}s")
    print(f"docs-only commit, `phasegate affected` median: {docs:.2f}s")
    print(f"docs-only commit, the hook, median: {docs_hook:.2f}s (target < 1 s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if safe == blocked == len(killing) else 1


if __name__ == "__main__":
    sys.exit(main())
