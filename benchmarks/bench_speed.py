"""How much a phase costs: `phasegate validate` against plain pytest, alternating rounds.

    python benchmarks/bench_speed.py [--workdir DIR] [--rounds 3] [--synthetic-rounds 2]
        [--suites attrs,synthetic,planted]

Three suites, each timed in alternating rounds (plain, validate, plain, ...) so machine noise
hits both alike; the ratios of the medians are what to read:

- attrs: the latest attrs sdist (pip download) and its tests, in phasegate's own test
  environment (.nox/phasegate, made by the warm-up). Target on 2 cores: validate <= 3x plain.
- synthetic: a generated suite of 30,000 tests (this interpreter, `venv = "none"`); also the
  instrumented run alone (`phasegate run`), and coverage without per-test contexts, to show
  where the instrumented run's time goes. Target: validate <= 1.3x the instrumented run alone.
- planted: boltons 26.2.0 with the triage corpus planted (benchmarks/triage_corpus.py, 26
  plants, 31 failing tests of every category). Target: validate <= 8x plain, with the same
  triage categories and suspect kinds as one validate with `--jobs 1 --suspect-reruns each`
  (today's sequential per-test reruns), timed once. Counter files are reset before every
  validate.

phasegate is this checkout (PYTHONPATH). Needs network for pip and the test environments.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_triage import prepare

REPO = Path(__file__).resolve().parent.parent
REPORTS = ".phasegate/bench"
SYNTHETIC_FILES, SYNTHETIC_PER_FILE = 300, 100
SEQUENTIAL = ("--jobs", "1", "--suspect-reruns", "each")  # as before issue 13
RANDOM_BY_DESIGN = "tests/test_planted_random.py::test_planted_coin"


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - started, done.returncode


def phasegate(project: Path, *options: str, step: str = "validate") -> list[str]:
    return [sys.executable, "-m", "tasks", "--project", str(project), "--reports-dir", REPORTS,
            "--quiet", *options, step]  # fmt: skip


def artifact(project: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / REPORTS / name).read_text(encoding="utf-8"))
    return data


def sdist(workdir: Path, spec: str, name: str) -> Path:
    """An unpacked sdist (downloaded once) as a fresh copy to work in."""
    src = workdir / "src"
    found = sorted(p for p in src.glob(f"{name}-*") if p.is_dir()) if src.is_dir() else []
    if not found:
        src.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--no-binary", ":all:", "-d", str(src), spec], check=True)  # fmt: skip
        for archive in src.glob(f"{name}-*.tar.gz"):
            shutil.unpack_archive(archive, src)
        found = sorted(p for p in src.glob(f"{name}-*") if p.is_dir())
    return found[-1]


def rounds(
    n: int, commands: dict[str, tuple[list[str], Path]], before: Callable[[], None] = lambda: None
) -> dict[str, float]:
    """Each command once per round, in turn; the median of each."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(1, n + 1):
        shown = []
        for name, (command, cwd) in commands.items():
            before()
            seconds, code = timed(command, cwd)
            times[name].append(seconds)
            shown.append(f"{name} {seconds:.1f}s (exit {code})")
        print(f"  round {i}: " + ", ".join(shown), flush=True)
    return {name: statistics.median(t) for name, t in times.items()}


def bench_attrs(workdir: Path, n: int) -> list[str]:
    project = workdir / "attrs"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(sdist(workdir, "attrs", "attrs"), project)
    print("attrs: warm-up (creates .nox/phasegate) ...", flush=True)
    timed(phasegate(project), project)
    python = project / ".nox/phasegate/bin/python"
    plain = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "tests"]
    sequential = phasegate(project, *SEQUENTIAL)
    med = rounds(
        n,
        {
            "plain": (plain, project),
            "validate": (phasegate(project), project),
            "validate --jobs 1": (sequential, project),
        },
    )
    tests = sum(artifact(project, "run.json")["counts"].values())
    return [f"attrs ({tests} tests): plain {med['plain']:.1f}s, validate {med['validate']:.1f}s "
            f"= {med['validate'] / med['plain']:.2f}x plain (target <= 3.0x); with --jobs 1 "
            f"--suspect-reruns each {med['validate --jobs 1'] / med['plain']:.2f}x"]  # fmt: skip


def generate(project: Path) -> None:
    """SYNTHETIC_FILES test files of SYNTHETIC_PER_FILE tests over a small measured package."""
    shutil.rmtree(project, ignore_errors=True)
    (project / "synth").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.phasegate]\nvenv = "none"\nsource = ["synth"]\nrerun_budget = 60\n'
    )
    (project / "synth/__init__.py").write_text(
        "def f(x):\n    if x % 3 == 0:\n        return x // 3\n    return x * 2\n\n\n"
        "def g(x):\n    return [f(i) for i in range(x % 5)]\n"
    )
    for k in range(SYNTHETIC_FILES):
        (project / f"tests/test_{k:03d}.py").write_text(
            "import pytest\n\nfrom synth import f, g\n\n\n"
            f"@pytest.mark.parametrize('i', range({SYNTHETIC_PER_FILE}))\n"
            f"def test_f(i):\n    assert f(i + {k}) is not None and len(g(i)) == i % 5\n"
        )


def bench_synthetic(workdir: Path, n: int) -> list[str]:
    project = workdir / "synthetic"
    generate(project)
    print(f"synthetic ({SYNTHETIC_FILES * SYNTHETIC_PER_FILE} tests): warm-up ...", flush=True)
    timed(phasegate(project), project)
    py = [sys.executable, "-m"]
    plain = [*py, "pytest", "-p", "no:cacheprovider", "-q", "tests"]
    no_contexts = [*py, "coverage", "run", "--source=synth", "--data-file=.bench-cov",
                   "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests"]  # fmt: skip
    med = rounds(
        n,
        {
            "plain": (plain, project),
            "coverage without contexts": (no_contexts, project),
            "instrumented run alone": (phasegate(project, step="run"), project),
            "validate": (phasegate(project), project),
        },
    )
    alone = med["instrumented run alone"]
    return [
        f"synthetic: plain {med['plain']:.1f}s, coverage without contexts "
        f"{med['coverage without contexts']:.1f}s, instrumented run alone (`phasegate run`) "
        f"{alone:.1f}s, validate {med['validate']:.1f}s",
        f"synthetic: validate = {med['validate'] / alone:.2f}x the instrumented run alone "
        f"(target <= 1.3x); {med['validate'] / med['plain']:.2f}x plain; per-test contexts cost "
        f"{alone / med['coverage without contexts']:.2f}x coverage without them",
    ]


def reset(project: Path) -> None:
    for counter in project.glob(".planted-*"):
        counter.unlink()


def verdicts(project: Path) -> tuple[dict[str, str], dict[str, str]]:
    triage = artifact(project, "triage.json")
    stability = artifact(project, "stability.json")
    return (
        {f["nodeid"]: f["category"] for f in triage["failures"]},
        {n: s["kind"] for n, s in stability["suspects"].items()},
    )


def bench_planted(workdir: Path, n: int) -> list[str]:
    source = sdist(workdir, "boltons==26.2.0", "boltons")
    folder = workdir / "planted"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "ref").mkdir(parents=True)
    project, base = prepare(source, folder, "base")
    reference, _ = prepare(source, folder / "ref", "base")
    options = ("--base-ref", base, "--seed", "11")
    print("planted: warm-up (`phasegate run` creates .nox/phasegate in both copies) ...")
    for copy in (project, reference):
        timed(phasegate(copy, step="run"), copy)
    print("planted: the sequential per-test reference, once ...", flush=True)
    reset(reference)
    ref, _ = timed(phasegate(reference, *options, *SEQUENTIAL), reference)
    python = project / ".nox/phasegate/bin/python"
    # A planted module fails to import: plain pytest would stop at collection without this.
    plain = [str(python), "-m", "pytest", "-p", "no:cacheprovider",
             "--continue-on-collection-errors", "tests"]  # fmt: skip
    med = rounds(
        n,
        {"plain": (plain, project), "validate": (phasegate(project, *options), project)},
        lambda: reset(project),
    )
    (cats, kinds), (ref_cats, ref_kinds) = verdicts(project), verdicts(reference)
    lines = [f"planted ({len(cats)} failures): plain {med['plain']:.1f}s, validate "
             f"{med['validate']:.1f}s = {med['validate'] / med['plain']:.2f}x plain (target "
             f"<= 8x); the sequential per-test reference (--jobs 1 --suspect-reruns each) "
             f"{ref:.1f}s = {ref / med['plain']:.2f}x"]  # fmt: skip
    for what, new, old in (("category", cats, ref_cats), ("kind", kinds, ref_kinds)):
        differ = sorted(k for k in set(new) | set(old) if new.get(k) != old.get(k))
        lines.append(
            f"planted: {len(new)} {what} verdicts, "
            + (f"{len(differ)} differ from the reference" if differ else "all as the reference")
        )
        lines += [
            f"    {k}: {old.get(k)} -> {new.get(k)}"
            + (" (random by design)" if k == RANDOM_BY_DESIGN else "")
            for k in differ
        ]
    return lines


SUITES = {"attrs": bench_attrs, "synthetic": bench_synthetic, "planted": bench_planted}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", type=Path, default=Path("bench-speed"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synthetic-rounds", type=int, default=2, help="its rounds are long")
    parser.add_argument("--suites", default=",".join(SUITES))
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs; phasegate from {REPO}", flush=True)
    report = []
    for name in args.suites.split(","):
        report += SUITES[name](
            workdir, args.synthetic_rounds if name == "synthetic" else args.rounds
        )
    print("\n" + "\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
