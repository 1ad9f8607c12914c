"""Time real `git push` runs through the pre-push hook against the same pushes without it.

    python benchmarks/bench_hook_push.py PROJECT_DIR [--rounds 5] [--work DIR]

PROJECT_DIR is copied into a fresh git repository with a bare remote (under --work, default
a temporary folder); the hook is installed by this interpreter (the phasegate it imports).
Each round, alternating so machine noise hits all alike:

    docs        a push of a commit that changes only README-like text, through the hook
    docs-bare   the same kind of push with --no-verify (git alone)
    py          a push of a comment-only change to a Python module, through the hook (what it
                runs is what the selection selects: the whole suite without an index)
    pytest      one plain `python -m pytest` of the project in the same test environment

The first push that needs the test environment builds it; that round is reported apart.
Medians are printed, and the hook's own share of a docs-only push (docs - docs-bare).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def timed(command: list[str], cwd: Path) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    return time.perf_counter() - started, done.returncode, done.stdout


def setup(project: Path, work: Path) -> Path:
    repo = work / "repo"
    shutil.copytree(project, repo, ignore=shutil.ignore_patterns(".nox", ".git", "__pycache__"))
    (repo / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n.phasegate/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "baseline")
    git(work, "init", "-q", "--bare", "origin.git")
    git(repo, "remote", "add", "origin", str(work / "origin.git"))
    git(repo, "push", "-q", "--no-verify", "-u", "origin", "main")
    subprocess.run(
        [sys.executable, "-m", "tasks", "hook", "install"],
        cwd=repo,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return repo


def a_module(repo: Path) -> Path:
    """A production module to touch: the first .py outside the tests."""
    for path in sorted(repo.rglob("*.py")):
        rel = path.relative_to(repo).parts
        if not any(p.startswith("test") or p in ("docs", "conftest.py") for p in rel):
            return path
    raise SystemExit(f"{repo}: no production module found")


def push(repo: Path, change: Path, n: int, *, hook: bool) -> tuple[float, int, str]:
    with change.open("a", encoding="utf-8") as handle:
        handle.write(f"\n# bench {n}\n" if change.suffix == ".py" else f"\nbench {n}\n")
    git(repo, "commit", "-q", "-am", f"bench {n}")
    return timed(["git", "push", "origin", "main", *([] if hook else ["--no-verify"])], repo)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("project", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-hook-"))
    work.mkdir(parents=True, exist_ok=True)
    repo = setup(args.project.resolve(), work)
    docs, module = repo / "BENCH.md", a_module(repo)
    docs.write_text("bench\n")
    git(repo, "add", "BENCH.md")
    git(repo, "commit", "-q", "-m", "bench docs")
    git(repo, "push", "-q", "--no-verify")
    first = push(repo, module, 0, hook=True)
    print(
        f"first .py push (builds the test environment if needed): {first[0]:.2f}s exit {first[1]}"
    )
    venv = repo / ".nox" / "phasegate" / "bin" / "python"
    python = venv if venv.exists() else Path(sys.executable)
    times: dict[str, list[float]] = {"docs": [], "docs-bare": [], "py": [], "pytest": []}
    pytest = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    for n in range(1, args.rounds + 1):
        for name in times:
            if name == "pytest":
                seconds, code, out = timed(pytest, repo)
            else:
                change = module if name == "py" else docs
                seconds, code, out = push(
                    repo, change, n * 10 + len(name), hook=name != "docs-bare"
                )
                if code != 0:
                    print(out)
                    raise SystemExit(f"round {n}: {name} push failed (exit {code})")
            times[name].append(seconds)
            print(f"round {n} {name:<10} {seconds:6.2f}s", flush=True)
    medians = {k: statistics.median(v) for k, v in times.items()}
    print()
    for name, value in medians.items():
        print(f"median {name:<10} {value:6.2f}s")
    print(f"hook's share of a docs-only push: {medians['docs'] - medians['docs-bare']:.2f}s")
    print(f"py push through the hook / plain pytest: {medians['py'] / medians['pytest']:.2f}")
    print(f"(work folder: {work}; python: {python}; {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
