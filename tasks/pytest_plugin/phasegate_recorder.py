"""phasegate's pytest plugin: records every report as pytest itself categorises it.

Loaded into the project's test process with ``-p phasegate_recorder`` from a folder that holds
only this file, so it can never shadow a module of the project under test (many projects have
a ``tasks`` module of their own). It imports nothing but the standard library and pytest.

Environment:
  PHASEGATE_RECORD  where to write the JSON record at the end of the session (required)
  PHASEGATE_ORDER   file | reverse | shuffle:SEED | ids:PATH (node ids, one a line)
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import traceback

import pytest

RECORD_FORMAT = 1
MAX_TEXT = 20000


def _is_worker(config):
    return hasattr(config, "workerinput")


def _path(filename):
    # "<frozen os>", "<string>": not files; abspath would put them inside the project.
    return filename if filename.startswith("<") else os.path.abspath(filename)


def _worker(report):
    """The pytest-xdist worker that ran the test (None without xdist)."""
    node = getattr(report, "node", None)
    gateway = getattr(node, "gateway", None)
    return getattr(gateway, "id", None)


def _frames(tb):
    return [
        {"path": _path(f.filename), "lineno": f.lineno, "function": f.name}
        for f in traceback.extract_tb(tb)
    ]


def _describe(exc):
    inner = exc.__cause__ or exc.__context__
    if type(exc).__name__ == "CollectError" and inner is not None:
        # pytest wraps a module's ImportError or SyntaxError; the wrapped one is the story.
        exc = inner
    info = {
        "type": type(exc).__module__ + "." + type(exc).__qualname__,
        "message": str(exc)[:MAX_TEXT],
        "frames": _frames(exc.__traceback__),
    }
    name = getattr(exc, "name", None)
    if isinstance(name, str):
        info["name"] = name
    if isinstance(exc, SyntaxError) and exc.filename:
        info["filename"] = os.path.abspath(exc.filename)
        info["lineno"] = exc.lineno
    argname = getattr(exc, "argname", None)
    if isinstance(argname, str):
        info["argname"] = argname
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc:
        info["cause"] = {
            "type": type(cause).__module__ + "." + type(cause).__qualname__,
            "message": str(cause)[:MAX_TEXT],
            "frames": _frames(cause.__traceback__),
        }
    return info


def _attach(report, excinfo):
    if excinfo is None or not report.failed:
        return
    try:
        report.phasegate_exception = _describe(excinfo.value)
    except Exception as exc:  # a broken __str__ must not break the user's run
        report.phasegate_exception = {"type": "unknown", "message": repr(exc), "frames": []}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _attach(outcome.get_result(), call.excinfo)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    call = report.__dict__.get("call")
    _attach(report, getattr(call, "excinfo", None))


def _order_key_groups(items):
    groups = {}
    for item in items:
        groups.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    return list(groups.values())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    order = os.environ.get("PHASEGATE_ORDER", "file")
    if order == "reverse":
        items.reverse()
    elif order.startswith("shuffle:"):
        rng = random.Random(int(order.split(":", 1)[1]))
        # Shuffle files, then tests within a file: fixture scopes stay cheap, as pytest-randomly.
        groups = _order_key_groups(items)
        rng.shuffle(groups)
        for group in groups:
            rng.shuffle(group)
        items[:] = [item for group in groups for item in group]
    elif order.startswith("ids:"):
        with open(order.split(":", 1)[1], encoding="utf-8") as handle:
            wanted = [line.strip() for line in handle if line.strip()]
        position = {nodeid: i for i, nodeid in enumerate(wanted)}
        items[:] = sorted(
            (item for item in items if item.nodeid in position),
            key=lambda item: position[item.nodeid],
        )


class Recorder:
    def __init__(self, config):
        self.config = config
        self.reports = []
        self.order = []

    def _entry(self, report, category):
        crash = getattr(report.longrepr, "reprcrash", None)
        entry = {
            "nodeid": report.nodeid,
            "when": report.when or "collect",
            "outcome": report.outcome,
            "category": category,
            "duration": getattr(report, "duration", 0.0),
            "location": list(report.location) if getattr(report, "location", None) else None,
            "longrepr": None,
            "crash": None,
            "exception": getattr(report, "phasegate_exception", None),
            "worker": _worker(report),
        }
        if report.failed:
            entry["longrepr"] = report.longreprtext[-MAX_TEXT:]
            if crash is not None:
                entry["crash"] = {
                    "path": os.path.abspath(str(crash.path)),
                    "lineno": crash.lineno,
                    "message": crash.message[:MAX_TEXT],
                }
        elif report.skipped and isinstance(report.longrepr, tuple):
            entry["longrepr"] = str(report.longrepr[2])
        return entry

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        self.order = [item.nodeid for item in session.items]

    def pytest_runtest_logreport(self, report):
        status = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
        category = status[0] if status else report.outcome
        self.reports.append(self._entry(report, category))

    def pytest_collectreport(self, report):
        if report.failed:
            self.reports.append(self._entry(report, "error"))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        counts = {}
        if terminal is not None:
            for key, values in terminal.stats.items():
                if key and key != "warnings":
                    counts[key] = len(values)
            counts["warnings"] = len(terminal.stats.get("warnings", []))
        record = {
            "format": RECORD_FORMAT,
            "pytest_version": pytest.__version__,
            "rootdir": str(self.config.rootpath),
            "exitstatus": int(exitstatus),
            "collected": session.testscollected,
            "deselected": len(terminal.stats.get("deselected", [])) if terminal else 0,
            "order": self.order,
            "xdist": self.config.pluginmanager.get_plugin("dsession") is not None,
            "counts": counts if terminal is not None else None,
            "reports": self.reports,
        }
        path = os.environ["PHASEGATE_RECORD"]
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".record-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(tmp, path)


def pytest_configure(config):
    if os.environ.get("PHASEGATE_RECORD") and not _is_worker(config):
        config.pluginmanager.register(Recorder(config), "phasegate_recorder_instance")
