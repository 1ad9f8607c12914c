"""Triage rules that recognise a failure by what it shows: a flaky test (from the runs and
reruns), and the test's own mistakes pytest and Python name outright (a missing fixture, mock
target or imported name, code that does not parse). `SIGNATURE_RULES` tries the latter in
order."""

from __future__ import annotations

import re

from tasks.triage.case import Case, Rule
from tasks.triage.facts import Category, Confidence, Verdict, closest, short

FIXTURE_MISSING = re.compile(r"fixture '([^']+)' not found")
AVAILABLE_FIXTURES = re.compile(
    r"available fixtures: (.*?)(?:\n\s*use 'pytest --fixtures|$)", re.DOTALL
)
MOCK_MISSING = re.compile(r"<module '([\w.]+)'.*?> does not have the attribute '(\w+)'")
CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'(?: \(([^)]+)\))?")


def flaky_rule(case: Case) -> Verdict | None:
    """The stability runs saw it both pass and fail."""
    flaky = case.flaky
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
    evidence.append(case.where)
    return case.verdict(Category.FLAKY, Confidence.HIGH, f"flaky ({kind})", evidence, fix)


def fixture_missing(case: Case) -> Verdict | None:
    text = case.record.longrepr + "\n" + case.facts.message
    missing = FIXTURE_MISSING.search(text)
    if missing is None:
        return None
    listed = AVAILABLE_FIXTURES.search(text)
    available = [n.strip() for n in listed[1].split(",")] if listed else []
    close = closest(missing[1], available)
    fix = (
        f"use an existing fixture: {', '.join(close)}"
        if close
        else f"define a fixture named {missing[1]} (in the test module or a conftest.py)"
    )
    return case.verdict(
        Category.TEST,
        Confidence.HIGH,
        f"fixture {missing[1]!r} does not exist",
        [f"pytest found no fixture named {missing[1]!r} for this test"],
        fix,
    )


def mock_target_missing(case: Case) -> Verdict | None:
    """mock.patch of a name the module does not define."""
    mock = MOCK_MISSING.search(case.facts.message)
    if mock is None or case.facts.exc_type != "builtins.AttributeError":
        return None
    module, name = mock[1], mock[2]
    module_file = case.layout.module_file(module)
    close = closest(name, case.probe.names_in(module_file) if module_file else [])
    fix = (
        f"patch an existing name: {', '.join(f'{module}.{n}' for n in close)}"
        if close
        else f"patch a name that {module} defines"
    )
    return case.verdict(
        Category.TEST,
        Confidence.HIGH,
        f"mock target {module}.{name} does not exist",
        [f"the test patches {module}.{name}, which {module} does not define"],
        fix,
    )


def missing_import_name(case: Case) -> Verdict | None:
    """`from module import name` where module does not define name: removed from production
    code (git history had it), imported wrongly by production code, or by the test."""
    imported = CANNOT_IMPORT.search(case.facts.message)
    if imported is None or case.facts.exc_type != "builtins.ImportError":
        return None
    layout, probe = case.layout, case.probe
    name, module = imported[1], imported[2]
    module_file = layout.module_file(module)
    had = probe.ever_had(module_file, name) if module_file else None
    close = closest(name, probe.names_in(module_file) if module_file else [])
    suggestion = f"; did you mean {', '.join(close)}?" if close else ""
    if had:
        return case.verdict(
            Category.PRODUCTION,
            Confidence.MEDIUM,
            f"{module}.{name} was removed",
            [f"{module} no longer defines {name}, but its git history shows it did"],
            f"restore {name} in {module} or update its callers{suggestion}",
        )
    importer = case.facts.project_frame
    if importer is not None and not layout.is_test_code(str(importer["path"])):
        where = f"{layout.rel(str(importer['path']))}:{importer['lineno']}"
        return case.verdict(
            Category.PRODUCTION,
            Confidence.HIGH,
            f"production code imports {module}.{name}, which does not exist",
            [
                f"the import at {where}, in production code, names {name}, which {module} "
                "does not define"
            ],
            f"fix the import at {where}{suggestion}",
        )
    evidence = [f"the test imports {name} from {module}, which does not define it"]
    if had is False and module_file is not None:
        evidence.append(f"git history of {layout.rel(str(module_file))} never had {name!r}")
    return case.verdict(
        Category.TEST,
        Confidence.HIGH if had is False else Confidence.MEDIUM,
        f"imports {module}.{name}, a name the project never had",
        evidence,
        f"import a name {module} defines{suggestion}",
    )


def syntax_error(case: Case) -> Verdict | None:
    """Code that does not parse is the code of the side whose file it is."""
    facts = case.facts
    if facts.exc_type not in ("builtins.SyntaxError", "builtins.IndentationError"):
        return None
    path = str(facts.frames[-1]["path"]) if facts.frames else ""
    side = Category.TEST if case.layout.is_test_code(path) else Category.PRODUCTION
    return case.verdict(
        side,
        Confidence.HIGH,
        f"{side} code does not parse",
        [f"{short(facts.exc_type)} in {case.layout.rel(path)}"],
        f"fix the syntax at {facts.site}",
    )


SIGNATURE_RULES: tuple[Rule, ...] = (
    fixture_missing,
    mock_target_missing,
    missing_import_name,
    syntax_error,
)
