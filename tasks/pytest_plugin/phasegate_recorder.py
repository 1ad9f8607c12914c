"""phasegate's pytest plugin: records every report as pytest itself categorises it.

Loaded into the project's test process with ``-p phasegate_recorder`` from a folder that holds
only phasegate's plugin files (``phasegate_*``), so it can never shadow a module of the project
under test (many projects have a ``tasks`` module of their own). It imports nothing but the
standard library, pytest, ``phasegate_order`` (the order and selection of the tests) and
``phasegate_shard`` (a shard job's share of the suite).

Environment:
  PHASEGATE_RECORD   where to write the JSON record at the end of the session (required)
  PHASEGATE_JOURNAL  where to write, as it happens, each test's start, reports and finish: what
                     phasegate reads when the process is killed or dies before the record
  PHASEGATE_ORDER    file | reverse | shuffle:SEED | ids:PATH (see phasegate_order)
  PHASEGATE_SHARD_PLAN  a shard's plan: split the collection, keep its share (phasegate_shard)

Record format history:
    1: first version.
    2: keys (stable ids of parametrized tests), unfinished (tests started and never finished),
       matched and missing (for an ids: order).
    3: shard (a shard's process only: its split, see phasegate_shard).
"""

from __future__ import annotations

import json
import os
import tempfile
import traceback

import pytest
from phasegate_order import (  # the order hooks are this plugin's too
    configure_order,
    pytest_collection_modifyitems,
    pytest_ignore_collect,
    stable_key,
)
from phasegate_shard import configure_shard, hold_back, recorded_split

RECORD_FORMAT = 3
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
    held = hold_back(collector.config, report)  # a shard's: reported after the split, or not
    if held is not None:
        outcome.force_result(held)


class Journal:
    """What happened so far, one JSON line an event, flushed as it happens: the record of a
    process that is killed (a hung test) or dies (a segfault) before the session ends."""

    def __init__(self, path):
        self.path = path
        self.handle = open(path, "w", encoding="utf-8") if path else None  # noqa: SIM115

    def write(self, event, **data):
        if self.handle is not None:
            self.handle.write(json.dumps({"event": event, **data}) + "\n")
            self.handle.flush()

    def close(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None
            os.remove(self.path)


class Recorder:
    def __init__(self, config):
        self.config = config
        self.reports = []
        self.order = []
        self.keys = {}
        self.started = {}  # nodeid -> location, from logstart until logfinish
        self.collecting = set()  # modules being collected
        self.journal = Journal(os.environ.get("PHASEGATE_JOURNAL"))
        self.journal.write(
            "session",
            pid=os.getpid(),
            rootdir=str(config.rootpath),
            pytest_version=pytest.__version__,
        )

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

    def _add(self, entry):
        self.reports.append(entry)
        self.journal.write("report", report=entry)

    def _xdist(self):
        return self.config.pluginmanager.get_plugin("dsession") is not None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        self.order = [item.nodeid for item in session.items]
        self.keys = {item.nodeid: key for item in session.items if (key := stable_key(item))}
        self.journal.write(
            "collected", order=self.order, keys=self.keys, xdist=self._xdist(),
            shard=recorded_split(self.config),
        )  # fmt: skip

    def pytest_collectstart(self, collector):
        if isinstance(collector, pytest.Module):
            self.collecting.add(collector.nodeid)
            self.journal.write("collectstart", nodeid=collector.nodeid)

    def pytest_runtest_logstart(self, nodeid, location):
        self.started[nodeid] = list(location) if location else None
        self.journal.write("start", nodeid=nodeid, location=self.started[nodeid])

    def pytest_runtest_logfinish(self, nodeid, location):
        self.started.pop(nodeid, None)
        self.journal.write("finish", nodeid=nodeid)

    def pytest_runtest_logreport(self, report):
        status = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
        category = status[0] if status else report.outcome
        self._add(self._entry(report, category))

    def pytest_collectreport(self, report):
        if report.failed:
            self._add(self._entry(report, "error"))
        if report.nodeid in self.collecting:
            self.collecting.discard(report.nodeid)
            self.journal.write("collectfinish", nodeid=report.nodeid)

    def _unfinished(self):
        """Tests (and modules being collected) that started and never finished: the process
        was interrupted inside them."""
        modules = [{"nodeid": m, "location": None, "collect": True} for m in self.collecting]
        return modules + [{"nodeid": n, "location": loc} for n, loc in self.started.items()]

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
            "keys": self.keys,
            "xdist": self._xdist(),
            "counts": counts if terminal is not None else None,
            "reports": self.reports,
            "unfinished": self._unfinished(),
            **getattr(self.config, "phasegate_selection", {}),
        }
        split = recorded_split(self.config)
        if split is not None:
            record["shard"] = split
        path = os.environ["PHASEGATE_RECORD"]
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        # Named after the record: the runner removes its own process's leftovers only, never
        # those of a process beside it writing another record in the same folder.
        prefix = ".record-" + os.path.basename(path) + "-"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(tmp, path)
        self.journal.close()


def pytest_configure(config):
    configure_order(config)
    configure_shard(config)
    if os.environ.get("PHASEGATE_RECORD") and not _is_worker(config):
        config.pluginmanager.register(Recorder(config), "phasegate_recorder_instance")


__all__ = ["pytest_collection_modifyitems", "pytest_configure", "pytest_ignore_collect"]
