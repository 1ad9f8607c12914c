"""Triage rules: from one failure and its evidence to a category, a confidence and sentences a
developer can check. Pure: every fact from git, the file system or other runs comes in
through the `Probe` and `Layout` arguments, so each rule is testable with a table of cases.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from tasks.results import TestRecord

TEST, PRODUCTION, FLAKY, ENVIRONMENT = "test", "production", "flaky", "environment"
CATEGORIES = (TEST, PRODUCTION, FLAKY, ENVIRONMENT)
HIGH, MEDIUM, LOW = "high", "medium", "low"

ENV_TYPES = frozenset(
    {
        "builtins.ConnectionRefusedError",
        "builtins.ConnectionResetError",
        "builtins.ConnectionAbortedError",
        "builtins.ConnectionError",
        "builtins.TimeoutError",
        "builtins.PermissionError",
        "socket.gaierror",
        "socket.herror",
        "socket.timeout",
        "urllib.error.URLError",
        "http.client.RemoteDisconnected",
        "requests.exceptions.ConnectionError",
        "requests.exceptions.ConnectTimeout",
        "requests.exceptions.ReadTimeout",
        "requests.exceptions.Timeout",
        "httpx.ConnectError",
        "httpx.ConnectTimeout",
        "httpx.ReadTimeout",
        "aiohttp.client_exceptions.ClientConnectorError",
        "redis.exceptions.ConnectionError",
        "psycopg2.OperationalError",
        "sqlalchemy.exc.OperationalError",
        "pymongo.errors.ServerSelectionTimeoutError",
        "subprocess.TimeoutExpired",
    }
)
ENV_MESSAGES = re.compile(
    r"connection refused|name or service not known|temporary failure in name resolution|"
    r"nodename nor servname|network is unreachable|no route to host|timed out|"
    r"permission denied|no space left on device|read-only file system|"
    r"could not connect to server|failed to establish a new connection|"
    r"address already in use|too many open files|certificate verify failed|"
    r"cannot open shared object file|unable to open database file|connection reset by peer",
    re.IGNORECASE,
)
ASSERTION_TYPES = frozenset({"builtins.AssertionError", "_pytest.outcomes.Failed"})
FIXTURE_MISSING = re.compile(r"fixture '([^']+)' not found")
AVAILABLE_FIXTURES = re.compile(
    r"available fixtures: (.*?)(?:\n\s*use 'pytest --fixtures|$)", re.DOTALL
)
MOCK_MISSING = re.compile(r"<module '([\w.]+)'.*?> does not have the attribute '(\w+)'")
NO_SUCH_FILE = re.compile(r"\[Errno 2\] No such file or directory: '([^']+)'")
ENV_READ = re.compile(r"os\.environ\b|os\.getenv\(|getenv\(")
ENV_NAME = re.compile(r"""(?:environ(?:\.get)?[\[(]|getenv\()\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")
CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'(?: \(([^)]+)\))?")


@dataclasses.dataclass(frozen=True)
class Layout:
    """Which files are the project's tests and which its production code."""

    project: Path
    test_roots: tuple[Path, ...]
    import_roots: tuple[Path, ...]  # where the project's own top-level modules live
    top_modules: frozenset[str]  # the project's own importable top-level names

    def in_project(self, path: str) -> bool:
        p = Path(path)
        if not p.is_relative_to(self.project):
            return False
        parts = p.relative_to(self.project).parts
        return not any(part in (".nox", ".venv", "venv", ".tox", "site-packages") for part in parts)

    def is_test_code(self, path: str) -> bool:
        p = Path(path)
        return (
            p.name == "conftest.py"
            or p.name.startswith("test_")
            or p.name.endswith("_test.py")
            or any(p.is_relative_to(root) for root in self.test_roots)
        )

    def rel(self, path: str) -> str:
        p = Path(path)
        return p.relative_to(self.project).as_posix() if p.is_relative_to(self.project) else path

    def module_file(self, dotted: str) -> Path | None:
        parts = dotted.split(".")
        for root in self.import_roots:
            for candidate in (
                root.joinpath(*parts, "__init__.py"),
                root.joinpath(*parts[:-1], parts[-1] + ".py"),
            ):
                if candidate.is_file():
                    return candidate
        return None


class Probe(Protocol):
    """Facts the rules may ask for; the triage step answers them from git and the sources."""

    def ever_had(self, module: Path, name: str) -> bool | None: ...

    def names_in(self, module: Path) -> list[str]: ...

    def test_changed(self, test_file: Path) -> bool | None: ...

    def production_changed(self, nodeid: str) -> tuple[bool, list[str]] | None: ...

    def runs_production(self, nodeid: str) -> list[str] | None: ...

    def newest_change(self, record: TestRecord) -> tuple[str, str, str] | None: ...

    def source_line(self, path: str, lineno: int) -> str: ...


@dataclasses.dataclass(frozen=True)
class Verdict:
    """A failure's category with the evidence that decided it."""

    nodeid: str
    category: str
    confidence: str
    reason: str
    evidence: tuple[str, ...]
    fix: str
    exception: str
    message: str
    site: str  # where it was raised: path:line in the project, else the crash location
    repro: str = ""
    cause: str = ""  # the changed line the evidence points at, when it points at one

    @property
    def group_key(self) -> tuple[str, str, str]:
        """Failures with one root cause: the same category, exception and site, or, for
        assertions blamed on one changed line, that line."""
        return (self.category, self.exception, self.cause or self.site)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["evidence"] = list(self.evidence)
        return data


def _short(exc_type: str) -> str:
    return exc_type.removeprefix("builtins.")


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _closest(word: str, names: Sequence[str]) -> list[str]:
    return difflib.get_close_matches(word, list(names), n=3, cutoff=0.5)


@dataclasses.dataclass(frozen=True)
class _Facts:
    """What one failure shows, pulled out of the record once."""

    exc_type: str
    message: str
    frames: list[Mapping[str, Any]]
    cause: Mapping[str, Any] | None
    project_frame: Mapping[str, Any] | None  # innermost frame in the project's own code
    site: str

    @property
    def types(self) -> set[str]:
        return {self.exc_type} | ({str(self.cause.get("type"))} if self.cause else set())

    @property
    def messages(self) -> str:
        return self.message + "\n" + (str(self.cause.get("message")) if self.cause else "")


def _facts(record: TestRecord, layout: Layout) -> _Facts:
    exc = dict(record.exception or {})
    frames = list(exc.get("frames") or [])
    if exc.get("filename"):  # a SyntaxError points at the file it could not parse
        frames.append({"path": exc["filename"], "lineno": exc.get("lineno"), "function": ""})
    own = [f for f in frames if layout.in_project(str(f["path"]))]
    project_frame = own[-1] if own else None
    if project_frame is not None:
        site = f"{layout.rel(str(project_frame['path']))}:{project_frame['lineno']}"
    elif record.crash_path:
        site = f"{layout.rel(record.crash_path)}:{record.crash_lineno}"
    else:
        site = record.nodeid.split("::")[0]
    exc_type = str(exc.get("type") or ("collect error" if record.when == "collect" else "unknown"))
    message = str(exc.get("message") or record.message or "")
    return _Facts(exc_type, message, frames, exc.get("cause"), project_frame, site)


def _verdict(
    record: TestRecord,
    facts: _Facts,
    category: str,
    confidence: str,
    reason: str,
    evidence: list[str],
    fix: str,
) -> Verdict:
    return Verdict(
        nodeid=record.nodeid,
        category=category,
        confidence=confidence,
        reason=reason,
        evidence=tuple(evidence),
        fix=fix,
        exception=_short(facts.exc_type),
        message=_first_line(facts.message),
        site=facts.site,
    )


def _where_raised(facts: _Facts, layout: Layout) -> tuple[str, str | None]:
    """A sentence on where it was raised, and "test"/"production"/None for whose code."""
    frame = facts.project_frame
    if frame is None:
        return "it was raised outside the project's own code", None
    side = TEST if layout.is_test_code(str(frame["path"])) else PRODUCTION
    where = f"{layout.rel(str(frame['path']))}:{frame['lineno']}"
    fn = f" in {frame['function']}()" if frame.get("function") else ""
    return f"{_short(facts.exc_type)} was raised at {where}{fn}, which is {side} code", side


def classify(
    record: TestRecord, layout: Layout, probe: Probe, flaky: Mapping[str, Any] | None = None
) -> Verdict:
    """The category of one failure or error, with its evidence."""
    facts = _facts(record, layout)
    where, side = _where_raised(facts, layout)
    for rule in (_flaky, _environment, _test_signature):
        verdict = rule(record, facts, layout, probe, flaky, where)
        if verdict is not None:
            return verdict
    return _by_location(record, facts, layout, probe, where, side)


def _flaky(
    record: TestRecord,
    facts: _Facts,
    layout: Layout,
    probe: Probe,
    flaky: Mapping[str, Any] | None,
    where: str,
) -> Verdict | None:
    if not flaky:
        return None
    kind = str(flaky.get("kind") or "mixed outcomes")
    outcomes = [o for o in flaky.get("outcomes", []) if o]
    passed = sum(o == "passed" for o in outcomes)
    evidence = [f"it passed {passed} of {len(outcomes)} full runs ({', '.join(outcomes)})"]
    if flaky.get("note"):
        evidence.append(str(flaky["note"]))
    culprit, role = flaky.get("culprit"), flaky.get("culprit_role")
    if culprit and role == "polluter":
        fix = (
            f"{culprit} leaves state behind (globals, caches, files, environment) that breaks "
            "this test: restore it in that test's teardown, or have this test set up its own"
        )
    elif culprit:
        fix = (
            f"this test only passes after {culprit} has run: give it the setup it relies on "
            "(a fixture) instead of depending on another test"
        )
    elif kind == "order-dependent":
        fix = "it depends on the tests before it: find the state they share and isolate it"
    else:
        fix = (
            "its outcome varies from run to run: look for time, randomness, counters or files "
            "shared between runs, threads or external calls, and make them deterministic"
        )
    quarantined = flaky.get("quarantined")
    if quarantined:
        evidence.append(
            f"quarantined until {quarantined['expires']} by {quarantined['owner']}: "
            f"{quarantined['reason']}"
        )
    return _verdict(record, facts, FLAKY, HIGH, f"flaky ({kind})", [*evidence, where], fix)


def _environment(
    record: TestRecord,
    facts: _Facts,
    layout: Layout,
    probe: Probe,
    flaky: Mapping[str, Any] | None,
    where: str,
) -> Verdict | None:
    env_type = next((t for t in facts.types if t in ENV_TYPES), None)
    if env_type is not None:
        fix = (
            "start or reach the service the test needs, or mock the call in the test"
            if "ermission" not in env_type
            else "fix the permissions of the file it touches"
        )
        return _verdict(
            record,
            facts,
            ENVIRONMENT,
            HIGH,
            f"{_short(env_type)}: the environment, not the code",
            [
                f"{_short(env_type)} is raised when a service, network or permission "
                f"is missing: {_first_line(facts.messages)}",
                where,
            ],
            fix,
        )
    frames = facts.frames
    if (
        facts.exc_type == "builtins.KeyError"
        and frames
        and Path(str(frames[-1]["path"])).name in ("os.py", "<frozen os>")
    ):
        var = facts.message.strip("'\"")
        return _verdict(
            record,
            facts,
            ENVIRONMENT,
            HIGH,
            f"environment variable {var} is not set",
            [f"KeyError {facts.message} was raised by os.environ", where],
            f"set {var} in the test environment (CI settings or monkeypatch.setenv)",
        )
    if facts.exc_type == "builtins.ModuleNotFoundError":
        exc = record.exception or {}
        missing = str(exc.get("name") or "").split(".")[0]
        if missing and missing not in layout.top_modules:
            return _verdict(
                record,
                facts,
                ENVIRONMENT,
                HIGH,
                f"third-party module {missing} is not installed",
                [
                    f"No module named {missing!r}: it is not part of the project "
                    f"(its own modules are {', '.join(sorted(layout.top_modules))})"
                ],
                f"install {missing} in the test environment (add it to the test "
                f"dependencies or to `install` in [tool.phasegate])",
            )
    missing_file = _missing_outside(record, facts, layout)
    if missing_file is not None:
        return missing_file
    env_assert = _environment_assert(record, facts)
    if env_assert is not None:
        return env_assert
    if ENV_MESSAGES.search(facts.messages) and facts.exc_type not in ASSERTION_TYPES:
        return _verdict(
            record,
            facts,
            ENVIRONMENT,
            MEDIUM,
            "the error message reads like the environment",
            [f"{_short(facts.exc_type)}: {_first_line(facts.messages)}", where],
            "check the service, network, permission or disk the message names",
        )
    return None


def _missing_outside(record: TestRecord, facts: _Facts, layout: Layout) -> Verdict | None:
    """A missing command, or a missing file outside the project: the machine lacks it."""
    if facts.exc_type != "builtins.FileNotFoundError":
        return None
    match = NO_SUCH_FILE.search(facts.message)
    if match is None:
        return None
    name = match[1]
    if "/" not in name and "\\" not in name:
        if not any("subprocess" in str(f["path"]) for f in facts.frames):
            return None
        return _verdict(
            record,
            facts,
            ENVIRONMENT,
            HIGH,
            f"the command {name} is not installed",
            [f"starting {name!r} failed: no such file on PATH"],
            f"install {name} in the test environment, or skip the test where it is missing",
        )
    path = Path(name) if Path(name).is_absolute() else layout.project / name
    if layout.in_project(str(path.resolve())):
        return None  # a file the project should have: the rules by location decide
    return _verdict(
        record,
        facts,
        ENVIRONMENT,
        MEDIUM,
        f"{name} does not exist on this machine",
        [f"FileNotFoundError for {name}, which is outside the project"],
        f"create {name} in the test environment, or point the test at a file of its own",
    )


def _environment_assert(record: TestRecord, facts: _Facts) -> Verdict | None:
    """An assertion that failed on a value read from the environment."""
    if facts.exc_type not in ASSERTION_TYPES:
        return None
    failing = [line[1:].strip() for line in record.longrepr.splitlines() if line.startswith(">")]
    text = "\n".join(failing)
    if not failing or not ENV_READ.search(text):
        return None
    name = ENV_NAME.search(text)
    var = name[1] if name else "the variable it reads"
    return _verdict(
        record,
        facts,
        ENVIRONMENT,
        MEDIUM,
        f"the failing assertion reads environment variable {var}",
        [f"the assertion that failed reads the environment: {failing[-1]}"],
        f"set {var} in the test environment (CI settings or monkeypatch.setenv)",
    )


def _test_signature(
    record: TestRecord,
    facts: _Facts,
    layout: Layout,
    probe: Probe,
    flaky: Mapping[str, Any] | None,
    where: str,
) -> Verdict | None:
    text = record.longrepr + "\n" + facts.message
    missing = FIXTURE_MISSING.search(text)
    if missing:
        listed = AVAILABLE_FIXTURES.search(text)
        available = [n.strip() for n in listed[1].split(",")] if listed else []
        close = _closest(missing[1], available)
        fix = (
            f"use an existing fixture: {', '.join(close)}"
            if close
            else f"define a fixture named {missing[1]} (in the test module or a conftest.py)"
        )
        return _verdict(
            record,
            facts,
            TEST,
            HIGH,
            f"fixture {missing[1]!r} does not exist",
            [f"pytest found no fixture named {missing[1]!r} for this test"],
            fix,
        )
    mock = MOCK_MISSING.search(facts.message)
    if mock and facts.exc_type == "builtins.AttributeError":
        module_file = layout.module_file(mock[1])
        names = probe.names_in(module_file) if module_file else []
        close = _closest(mock[2], names)
        fix = (
            f"patch an existing name: {', '.join(f'{mock[1]}.{n}' for n in close)}"
            if close
            else f"patch a name that {mock[1]} defines"
        )
        target = f"{mock[1]}.{mock[2]}"
        return _verdict(
            record,
            facts,
            TEST,
            HIGH,
            f"mock target {target} does not exist",
            [f"the test patches {mock[1]}.{mock[2]}, which {mock[1]} does not define"],
            fix,
        )
    imported = CANNOT_IMPORT.search(facts.message)
    if imported and facts.exc_type == "builtins.ImportError":
        return _import_name(record, facts, layout, probe, imported)
    if facts.exc_type in ("builtins.SyntaxError", "builtins.IndentationError"):
        path = str(facts.frames[-1]["path"]) if facts.frames else ""
        side = TEST if layout.is_test_code(path) else PRODUCTION
        return _verdict(
            record,
            facts,
            side,
            HIGH,
            f"{side} code does not parse",
            [f"{_short(facts.exc_type)} in {layout.rel(path)}"],
            f"fix the syntax at {facts.site}",
        )
    return None


def _import_name(
    record: TestRecord, facts: _Facts, layout: Layout, probe: Probe, imported: re.Match[str]
) -> Verdict:
    name, module = imported[1], imported[2]
    module_file = layout.module_file(module)
    had = probe.ever_had(module_file, name) if module_file else None
    names = probe.names_in(module_file) if module_file else []
    close = _closest(name, names)
    suggestion = f"; did you mean {', '.join(close)}?" if close else ""
    if had:
        return _verdict(
            record,
            facts,
            PRODUCTION,
            MEDIUM,
            f"{module}.{name} was removed",
            [f"{module} no longer defines {name}, but its git history shows it did"],
            f"restore {name} in {module} or update its callers{suggestion}",
        )
    importer = facts.project_frame
    if importer is not None and not layout.is_test_code(str(importer["path"])):
        where = f"{layout.rel(str(importer['path']))}:{importer['lineno']}"
        return _verdict(
            record,
            facts,
            PRODUCTION,
            HIGH,
            f"production code imports {module}.{name}, which does not exist",
            [
                f"the import at {where}, in production code, names {name}, which {module} "
                "does not define"
            ],
            f"fix the import at {where}{suggestion}",
        )
    evidence = [f"the test imports {name} from {module}, which does not define it"]
    if had is False:
        evidence.append(f"git history of {layout.rel(str(module_file))} never had {name!r}")
    return _verdict(
        record,
        facts,
        TEST,
        HIGH if had is False else MEDIUM,
        f"imports {module}.{name}, a name the project never had",
        evidence,
        f"import a name {module} defines{suggestion}",
    )


def _by_location(
    record: TestRecord, facts: _Facts, layout: Layout, probe: Probe, where: str, side: str | None
) -> Verdict:
    evidence = [where]
    is_assert = facts.exc_type in ASSERTION_TYPES
    change = _change_evidence(record, layout, probe)
    if change is not None:
        evidence.append(change[1])
    decided = change[0] if change is not None and change[0] in (TEST, PRODUCTION) else None
    cause = change[2][0] if change is not None and decided == PRODUCTION and change[2] else ""
    if not is_assert and side == PRODUCTION:
        return _raised_in_production(record, facts, probe, evidence, decided, cause)
    if not is_assert and side == TEST:
        return _raised_in_test(record, facts, probe, evidence, decided, cause)
    if is_assert and side == PRODUCTION:
        return _verdict(
            record,
            facts,
            PRODUCTION,
            HIGH,
            "an assert in production code failed",
            evidence,
            f"the invariant asserted at {facts.site} does not hold",
        )
    if change is not None and change[0] in (TEST, PRODUCTION):
        category = change[0]
        fix = (
            f"check the expectation at {facts.site}: the test changed, the code it runs did not"
            if category == TEST
            else f"the production code this test runs changed since the base; compare its "
            f"behaviour with the expectation at {facts.site}"
        )
        verdict = _verdict(record, facts, category, MEDIUM, change[1], evidence, fix)
        if category == PRODUCTION and change[2]:
            verdict = dataclasses.replace(verdict, cause=change[2][0])
        return verdict
    if probe.runs_production(record.nodeid) == []:
        evidence.append("per-test coverage shows it executes no line of production code")
        return _verdict(
            record,
            facts,
            TEST,
            MEDIUM,
            "the test runs no production code: the expectation that failed is its own",
            evidence,
            f"fix the test at {facts.site}: it checks nothing the product computes",
        )
    newest = probe.newest_change(record)
    if newest is not None:
        category, said, line = newest
        evidence.append(said)
        fix = (
            f"check the expectation at {facts.site}: it changed after the code it tests"
            if category == TEST
            else f"check the recent change at {line} against the expectation at {facts.site}"
        )
        verdict = _verdict(
            record, facts, category, LOW if change is None else MEDIUM, said, evidence, fix
        )
        return dataclasses.replace(verdict, cause=line) if category == PRODUCTION else verdict
    evidence.append("the evidence does not decide between the test's expectation and the code")
    return _verdict(
        record,
        facts,
        PRODUCTION,
        LOW,
        "the test's expectation disagrees with what production code returns",
        evidence,
        f"decide which is right: the expectation at {facts.site} or the code under test",
    )


def _raised_in_production(
    record: TestRecord,
    facts: _Facts,
    probe: Probe,
    evidence: list[str],
    decided: str | None,
    cause: str,
) -> Verdict:
    """An exception from production code: a crash there is a production bug; a deliberate
    `raise` (the code rejecting its input) is the caller's, unless the code changed."""
    frame = facts.project_frame or {}
    line = probe.source_line(str(frame.get("path", "")), int(frame.get("lineno") or 0))
    deliberate = line.startswith("raise ") or line == "raise"
    exc = _short(facts.exc_type)
    if not deliberate or decided == PRODUCTION:
        verdict = _verdict(
            record,
            facts,
            PRODUCTION,
            HIGH,
            f"{exc} raised inside production code",
            evidence,
            f"fix the code at {facts.site}: it raises {exc}: {_first_line(facts.message)}",
        )
        return dataclasses.replace(verdict, cause=cause)
    evidence.append(f"the code raises it on purpose at {facts.site}: `{line}`")
    newest = None if decided is not None else probe.newest_change(record)
    if newest is not None:
        evidence.append(newest[1])
        if newest[0] == PRODUCTION:
            verdict = _verdict(
                record,
                facts,
                PRODUCTION,
                MEDIUM,
                "production code rejects the test's input, and it changed last",
                evidence,
                f"check the recent change at {newest[2]}: should it reject this input?",
            )
            return dataclasses.replace(verdict, cause=newest[2])
    return _verdict(
        record,
        facts,
        TEST,
        MEDIUM if decided == TEST or newest is not None else LOW,
        f"production code rejects what the test passes ({exc}: {_first_line(facts.message)})",
        evidence,
        f"give {record.nodeid.split('::')[-1]} input the code accepts, or expect {exc}",
    )


def _raised_in_test(
    record: TestRecord,
    facts: _Facts,
    probe: Probe,
    evidence: list[str],
    decided: str | None,
    cause: str,
) -> Verdict:
    """An exception from the test's own code: the test's, unless the production code it
    runs changed and the test did not (e.g. a function that now returns None)."""
    exc = _short(facts.exc_type)
    newest = None if decided is not None else probe.newest_change(record)
    if newest is not None:
        evidence.append(newest[1])
    if decided == PRODUCTION or (newest is not None and newest[0] == PRODUCTION):
        line = cause or (newest[2] if newest is not None else "")
        verdict = _verdict(
            record,
            facts,
            PRODUCTION,
            MEDIUM if decided == PRODUCTION else LOW,
            f"{exc} in the test, after the production code it runs changed",
            evidence,
            f"check what the changed code at {line} now returns to the test at {facts.site}",
        )
        return dataclasses.replace(verdict, cause=line)
    if (
        decided is None
        and newest is None
        and "NoneType" in facts.message
        and probe.runs_production(record.nodeid)
    ):
        evidence.append(
            "the test got None where it expected a value, after calling production code; "
            "no git history says which side changed"
        )
        return _verdict(
            record,
            facts,
            PRODUCTION,
            LOW,
            f"{exc} on a None the production code returned",
            evidence,
            f"check what the code called before {facts.site} returns: it gave the test None",
        )
    return _verdict(
        record,
        facts,
        TEST,
        MEDIUM,
        f"{exc} raised in the test's own code",
        evidence,
        f"fix the test at {facts.site}: {_first_line(facts.message)}",
    )


def _change_evidence(
    record: TestRecord, layout: Layout, probe: Probe
) -> tuple[str, str, list[str]] | None:
    """(test|production|both|neither, a sentence, the changed production lines it runs as
    file:line) from git since the base and per-test coverage."""
    test_file = layout.project / record.nodeid.split("::")[0]
    test_changed = probe.test_changed(test_file)
    production = probe.production_changed(record.nodeid)
    if test_changed is None or production is None:
        return None
    prod_changed, files = production
    shown = f"{', '.join(files[:3])}{' ...' if len(files) > 3 else ''}"
    if prod_changed:
        runs = f"the production lines it runs ({shown})"
    else:
        runs = f"the production files it runs ({shown})" if files else "the production code it runs"
    lines = files if prod_changed else []
    if test_changed and not prod_changed:
        return TEST, f"the test changed since the base; {runs} did not", lines
    if prod_changed and not test_changed:
        return PRODUCTION, f"{runs} changed since the base; the test did not", lines
    if prod_changed:
        return "both", f"both the test and {runs} changed since the base", lines
    return "neither", f"neither the test nor {runs} changed since the base", lines
