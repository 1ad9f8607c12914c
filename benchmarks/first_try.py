"""Does `phasegate validate` work on the first try on real projects? Plain pytest vs phasegate.

    python benchmarks/first_try.py                       # the built-in list below
    python benchmarks/first_try.py toolz==1.2.0 six==1.17.0 --timeout 900
    python benchmarks/first_try.py --only iniconfig pluggy --work /work/scratch/corpus

For each PyPI sdist, sequentially:

1. `pip download --no-deps --no-binary :all: NAME==VER`, unpack it, `git init`, commit it and
   tag it with its version (phasegate reads git history; setuptools-scm/hatch-vcs read the tag);
2. one venv per project (`python -m venv`), with the project installed editable together with
   what it declares for tests (a `test`/`tests`/`testing`/`dev` dependency group or extra, test
   requirement files), pytest, and phasegate itself (`pip install -e` of this checkout), all in
   one pip command so that phasegate's dependencies cannot replace the project under test;
3. plain `python -m pytest -q -p no:cacheprovider -rN --junitxml=...` from the project root,
   its counts read from pytest's own final line (its JUnit XML totals are kept beside them);
   a run that collection errors interrupt is repeated with --continue-on-collection-errors
   (as phasegate runs pytest) for counts that compare;
4. `phasegate validate --phase 01-first-try --venv none` from the project root, in the same
   venv; its counts from `.phasegate/reports/run.json`, coverage from `coverage-gates.json`.

Every command has a time limit (`--timeout`, per command). Logs go to WORK/logs/, the table is
printed and written as JSON to WORK/results.json. Needs only pip, venv, git, pytest, phasegate.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tabulate import tabulate

REPO = Path(__file__).resolve().parent.parent
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
TEST_NAMES = ("test", "tests", "testing", "dev")
REQUIREMENT_FILES = (
    "requirements-test.txt",
    "requirements-tests.txt",
    "test-requirements.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
    "requirements/testing.txt",
    "tests/requirements.txt",
    "test/requirements.txt",
    "testing/requirements.txt",
    "requirements-dev.txt",
)
GITIGNORE = "*.egg-info/\n__pycache__/\nbuild/\ndist/\n.nox/\nreports/\n"


@dataclasses.dataclass(frozen=True)
class Project:
    name: str
    version: str
    shape: str = ""
    install: tuple[str, ...] | None = None  # pip arguments; None: detected from the sdist

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}"


CORPUS: tuple[Project, ...] = (
    Project("attrs", "26.1.0", "src; group tests; hatch-vcs; --import-mode=importlib"),
    Project("boltons", "26.2.0", "tests/; group dev; doctests only in tox"),
    Project("cachetools", "8.0.2", "src; tests/; no declared test deps"),
    Project("click", "8.5.1", "src; group tests; addopts -m 'not stress'"),
    Project("humanize", "4.17.0", "src; extra [tests]; --doctest-modules; testpaths src+tests"),
    Project("idna", "3.20", "flit; tests/; extra [all]", ("-e", ".[all]")),
    Project("iniconfig", "2.3.1", "src; testing/; group dev; pytest dep"),
    Project("itsdangerous", "2.2.0", "src; requirements/tests.txt"),
    Project("marshmallow", "4.4.0", "src; group tests"),
    Project("more-itertools", "11.2.1", "tests/ unittest; requirements/testing.txt"),
    Project("packaging", "24.2", "src; tests/requirements.txt; pytest dep"),
    Project("pluggy", "1.7.0", "src; testing/; group testing; [pytest] in tox.ini; pytest dep"),
    Project("python-dateutil", "4.0.0", "src; requirements-dev.txt; python_files *_test.py"),
    Project("six", "1.17.0", "single module; test_six.py at root"),
    Project("tabulate", "0.10.0", "test/; doctests via tox --doctest-modules"),
    Project("toolz", "1.2.0", "tests inside package; group test; testpaths=toolz"),
    Project("wrapt", "2.5.2", "src; C extension; nested tests/; group dev"),
)


@dataclasses.dataclass
class Outcome:
    """One project's row: what plain pytest and phasegate said."""

    project: str
    shape: str
    install: list[str] = dataclasses.field(default_factory=list)
    pytest_exit: int | None = None
    pytest_counts: dict[str, int] | None = None
    pytest_junit: dict[str, int] | None = None
    pytest_seconds: float | None = None
    pytest_note: str = ""
    phasegate_exit: int | None = None
    phasegate_counts: dict[str, int] | None = None
    phasegate_seconds: float | None = None
    coverage: float | None = None
    equal: bool | None = None
    error: str = ""


# --- running commands ---------------------------------------------------------------------


def run_limited(
    command: list[str], cwd: Path, log: Path, timeout: float, env: dict[str, str] | None = None
) -> tuple[int | None, str]:
    """Run a command in its own process group, output to `log`; kill the group on timeout.

    Returns (exit code or None on timeout, the output)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
    text = log.read_text(encoding="utf-8", errors="replace")
    if code is None:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"\n[first_try] timed out after {timeout:.0f}s\n")
    return code, text


def venv_env(venv: Path) -> dict[str, str]:
    """The environment of a shell with `venv` activated."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PHASEGATE_"))}
    env.pop("VIRTUAL_ENV", None)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


class StepFailed(Exception):
    """A preparation step (download, unpack, install) failed; its message is the row's error."""


def must(code: int | None, text: str, what: str) -> None:
    if code == 0:
        return
    if code is None:
        raise StepFailed(f"{what}: timed out")
    lines = [line for line in text.splitlines() if "error" in line.lower()] or text.splitlines()
    raise StepFailed(f"{what} (exit {code}): {lines[-1].strip() if lines else ''}")


# --- preparing a project ------------------------------------------------------------------


def download(project: Project, sdists: Path, logs: Path, timeout: float) -> Path:
    sdists.mkdir(parents=True, exist_ok=True)
    prefixes = {project.name, project.name.replace("-", "_")}
    found = [p for p in sdists.glob("*.tar.gz") if any_version(p.name, prefixes, project.version)]
    if found:
        return found[0]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    code, text = run_limited(
        [*command, project.spec, "-d", str(sdists)], sdists, logs / "download.log", timeout
    )
    must(code, text, "pip download")
    found = [p for p in sdists.glob("*.tar.gz") if any_version(p.name, prefixes, project.version)]
    if not found:
        raise StepFailed(f"pip download: no sdist for {project.spec} in {sdists}")
    return found[0]


def any_version(filename: str, prefixes: set[str], version: str) -> bool:
    return any(filename.lower() == f"{p}-{version}.tar.gz".lower() for p in prefixes)


def unpack(sdist: Path, projects: Path) -> Path:
    """A fresh tree from the sdist (any earlier one is removed)."""
    projects.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        shutil.rmtree(projects / top, ignore_errors=True)
        tar.extractall(projects, filter="data")
    return projects / top


def git_commit(root: Path, project: Project, logs: Path, timeout: float) -> None:
    """Make the tree a git repository with one commit, tagged with the version."""
    if not (root / ".gitignore").exists():
        (root / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    ident = ["-c", "user.name=first-try", "-c", "user.email=first-try@example.invalid"]
    message = f"{project.name} {project.version} from its sdist"
    for what, step in (
        ("init", ["init", "-q", "-b", "main"]),
        ("add", ["add", "-A"]),
        ("commit", [*ident, "commit", "-q", "-m", message]),
        ("tag", [*ident, "tag", project.version]),
    ):
        code, text = run_limited(["git", *step], root, logs / f"git-{what}.log", timeout)
        must(code, text, f"git {what}")


def detect_install(root: Path) -> list[str]:
    """pip arguments that install the project with what it declares for its tests."""
    pyproject = root / "pyproject.toml"
    data: dict[str, Any] = tomllib.loads(pyproject.read_text()) if pyproject.exists() else {}
    groups = data.get("dependency-groups", {})
    extras = data.get("project", {}).get("optional-dependencies", {})
    extra = next((name for name in TEST_NAMES if name in extras), None)
    args = ["-e", f".[{extra}]" if extra else "."]
    group = next((name for name in TEST_NAMES if name in groups), None)
    if group:
        args += ["--group", group]
    for name in REQUIREMENT_FILES:
        if (root / name).is_file():
            args += ["-r", name]
            break
    return args


def make_venv(root: Path, venv: Path, install: list[str], logs: Path, timeout: float) -> None:
    """A new venv with a current pip, the project, its test dependencies and phasegate."""
    shutil.rmtree(venv, ignore_errors=True)
    python = str(venv / "bin" / "python")
    env = venv_env(venv)
    # One resolver run for everything: installed afterwards, phasegate's own dependencies
    # could replace the project under test (nox -> virtualenv -> packaging>=26.3).
    steps = (
        ("venv", [sys.executable, "-m", "venv", str(venv)]),
        ("pip upgrade", [python, "-m", "pip", "install", "-q", "-U", "pip"]),
        ("install", [python, "-m", "pip", "install", *install, "pytest", "-e", str(REPO)]),
    )
    for i, (what, command) in enumerate(steps):
        code, text = run_limited(command, root, logs / f"install-{i}.log", timeout, env)
        must(code, text, what)


# --- reading results ----------------------------------------------------------------------

SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)\b")
FINAL = re.compile(r"^=*\s*(no tests ran|\d+ \w+.*) in [\d.]+s")


def pytest_counts(output: str) -> dict[str, int] | None:
    """The six outcomes from pytest's own final line ("3 passed, 1 skipped in 0.1s")."""
    for line in reversed(output.splitlines()):
        if FINAL.match(line.strip()):
            counts = dict.fromkeys(OUTCOMES, 0)
            for number, word in SUMMARY.findall(line):
                counts["error" if word.startswith("error") else word] += int(number)
            return counts
    return None


def junit_counts(path: Path) -> dict[str, int] | None:
    """Totals of pytest's JUnit XML (xfail counts as skipped there, xpass as passed)."""
    if not path.exists():
        return None
    root = ET.parse(path).getroot()  # noqa: S314  (written by our own pytest run)
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    keys = ("tests", "failures", "errors", "skipped")
    return {key: sum(int(s.get(key, "0")) for s in suites) for key in keys}


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def phasegate_error(reports: Path, output: str, code: int | None) -> str:
    """One line: the first failed gate, else phasegate's own error line, else its last line."""
    if code is None:
        return "phasegate: timed out"
    gates = read_json(reports / "gates.json")
    for gate in (gates or {}).get("gates", []):
        if gate.get("status") == "fail":
            return f"gate {gate['name']}: {gate.get('detail') or gate.get('actual')}"
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("phasegate: error") or "Error:" in line:
            return line
    return lines[-1] if lines else ""


def clean(counts: dict[str, int] | None) -> dict[str, int] | None:
    return None if counts is None else {k: int(counts.get(k, 0)) for k in OUTCOMES}


# --- one project --------------------------------------------------------------------------


def prepare(project: Project, work: Path, logs: Path, timeout: float) -> tuple[Path, list[str]]:
    """The project's git tree and its venv (work/venvs/NAME); returns (tree, install args)."""
    sdist = download(project, work / "sdists", logs, timeout)
    root = unpack(sdist, work / "projects")
    git_commit(root, project, logs, timeout)
    install = list(project.install) if project.install else detect_install(root)
    print(f"  install: pip install {' '.join(install)} pytest -e {REPO}", flush=True)
    make_venv(root, work / "venvs" / project.name, install, logs, timeout)
    return root, install


def run_plain(row: Outcome, root: Path, venv: Path, logs: Path, timeout: float) -> None:
    """Plain pytest from the project root. When a collection error interrupts it, its counts
    come from a second run with --continue-on-collection-errors, as phasegate runs it."""
    python = str(venv / "bin" / "python")
    junit = logs / "pytest-junit.xml"
    plain = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rN", f"--junitxml={junit}"]
    started = time.perf_counter()
    code, text = run_limited(plain, root, logs / "pytest.log", timeout, venv_env(venv))
    row.pytest_seconds = round(time.perf_counter() - started, 1)
    row.pytest_exit = code
    if "during collection !" in text:
        row.pytest_note = "interrupted by collection errors; counts from a rerun that continues"
        code, text = run_limited(
            [*plain, "--continue-on-collection-errors"],
            root,
            logs / "pytest-continue.log",
            timeout,
            venv_env(venv),
        )
    row.pytest_counts = pytest_counts(text)
    row.pytest_junit = junit_counts(junit)


def run_phasegate(row: Outcome, root: Path, venv: Path, logs: Path, timeout: float) -> None:
    """`phasegate validate` with its defaults, in the project's venv (`--venv none`)."""
    validate = [str(venv / "bin" / "phasegate"), "validate", "--phase", "01-first-try"]
    reports = root / ".phasegate" / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    started = time.perf_counter()
    code, text = run_limited(
        [*validate, "--venv", "none"], root, logs / "phasegate.log", timeout, venv_env(venv)
    )
    row.phasegate_seconds = round(time.perf_counter() - started, 1)
    run = read_json(reports / "run.json") or {}
    coverage = read_json(reports / "coverage-gates.json") or {}
    row.phasegate_exit, row.phasegate_counts = code, clean(run.get("counts"))
    row.coverage = coverage.get("total")
    if code != 0:
        row.error = phasegate_error(reports, text, code)


def run_project(project: Project, work: Path, timeout: float) -> Outcome:
    logs = work / "logs" / project.name
    shutil.rmtree(logs, ignore_errors=True)
    row = Outcome(project.spec, project.shape)
    try:
        root, row.install = prepare(project, work, logs, timeout)
    except StepFailed as failed:
        row.error = f"setup: {failed}"
        return row
    venv = work / "venvs" / project.name
    run_plain(row, root, venv, logs, timeout)
    run_phasegate(row, root, venv, logs, timeout)
    row.equal = row.pytest_counts is not None and row.pytest_counts == row.phasegate_counts
    return row


# --- the table ----------------------------------------------------------------------------


def short(counts: dict[str, int] | None) -> str:
    if counts is None:
        return "-"
    return " ".join(f"{v}{k[0] if k != 'xpassed' else 'X'}" for k, v in counts.items() if v)


def table(rows: list[Outcome]) -> str:
    headers = ["project", "shape", "pytest", "phasegate", "equal?", "exit", "cov %", "error"]
    body = [
        [
            r.project,
            r.shape,
            f"{short(r.pytest_counts)} (exit {r.pytest_exit}{'*' if r.pytest_note else ''})",
            short(r.phasegate_counts),
            {True: "yes", False: "NO", None: "-"}[r.equal],
            r.phasegate_exit,
            "-" if r.coverage is None else f"{r.coverage:.1f}",
            r.error[:110],
        ]
        for r in rows
    ]
    legend = (
        "counts: p passed, f failed, e error, s skipped, x xfailed, X xpassed; * pytest was "
        "interrupted by collection errors: counts from a rerun with --continue-on-collection-errors"
    )
    return tabulate(body, headers=headers, tablefmt="github") + "\n" + legend


def parse_projects(specs: list[str], only: list[str]) -> list[Project]:
    known = {p.name: p for p in CORPUS}
    chosen = list(CORPUS)
    if specs:
        chosen = []
        for spec in specs:
            name, _, version = spec.partition("==")
            if not version:
                raise SystemExit(f"first_try: {spec}: give NAME==VERSION")
            base = known.get(name)
            chosen.append(Project(name, version, base.shape if base else "", None))
    if only:
        chosen = [p for p in chosen if p.name in only]
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("specs", nargs="*", help="NAME==VERSION sdists (default: built-in list)")
    parser.add_argument("--only", nargs="*", default=[], help="names to keep from the list")
    parser.add_argument("--work", type=Path, default=Path("/work/scratch/corpus"))
    parser.add_argument("--timeout", type=float, default=900, help="seconds per command")
    parser.add_argument("--results", type=Path, default=None, help="default: WORK/results.json")
    args = parser.parse_args()
    work: Path = args.work.resolve()
    results: Path = args.results or work / "results.json"
    rows: list[Outcome] = []
    for project in parse_projects(args.specs, args.only):
        print(f"== {project.spec} ({project.shape})", flush=True)
        row = run_project(project, work, args.timeout)
        print(
            f"  pytest {short(row.pytest_counts)} exit {row.pytest_exit}; phasegate "
            f"{short(row.phasegate_counts)} exit {row.phasegate_exit}; {row.error}",
            flush=True,
        )
        rows.append(row)
        results.write_text(json.dumps([dataclasses.asdict(r) for r in rows], indent=2) + "\n")
    print(table(rows))
    print(f"\nresults: {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
