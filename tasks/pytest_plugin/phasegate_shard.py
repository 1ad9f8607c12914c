"""A shard job's share of the suite, chosen inside each pytest process as pytest-split does:
every process collects the whole suite, then keeps its share (part of the recorder plugin,
loaded with it; standard library and pytest only).

PHASEGATE_SHARD_PLAN=PATH: a JSON file {"shard": K, "of": N, "durations": {nodeid: seconds}}
that phasegate writes (tasks.shards.select). The entries split (phasegate_split) are the tests
every other plugin kept (-k, -m), in pytest's collection order, then the nodes that failed to
collect. The other shards' tests are deselected as pytest deselects. A failed collection
report is held back until the split: the shard it falls to reports it then, the others never
do (not in pytest's output, junit.xml, the exit code or the record). The split is recorded
("shard" in the record); under pytest-xdist every worker splits alike and the controller
takes the split from the workers' output.
"""

from __future__ import annotations

import json
import os

import pytest
from phasegate_split import share

NAME = "phasegate_shard"


class Shard:
    def __init__(self, config, plan):
        self.config = config
        self.k, self.n = int(plan["shard"]), int(plan["of"])
        self.durations = {str(k): float(v) for k, v in plan["durations"].items()}
        self.held = {}  # node id -> its failed collection reports, until the split
        self.split = None

    def hold(self, report):
        """What pytest gets now for a failed collection report: an empty one (None: the
        report itself); the report waits for the split."""
        if not report.failed:
            return None
        report.__dict__.pop("call", None)  # as pytest drops it; xdist cannot send it
        self.held.setdefault(report.nodeid, []).append(report)
        return pytest.CollectReport(report.nodeid, "passed", None, [])

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection_modifyitems(self, session, config, items):
        position = {item.nodeid: i for i, item in enumerate(items)}
        yield  # every other plugin's selection and order first
        last = len(position)
        ids = sorted(dict.fromkeys(i.nodeid for i in items), key=lambda n: position.get(n, last))
        entries = ids + [nodeid for nodeid in self.held if nodeid not in position]
        self.split = share(entries, self.durations, self.k, self.n)
        keep = set(self.split["tests"])
        dropped = [item for item in items if item.nodeid not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if item.nodeid in keep]
        if hasattr(config, "workeroutput"):  # an xdist worker: the controller records it
            config.workeroutput[NAME] = self.split
        for nodeid in self.split["tests"]:
            for report in self.held.get(nodeid, ()):
                config.hook.pytest_collectreport(report=report)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        """The xdist controller: the split its workers made (each makes the same)."""
        split = getattr(node, "workeroutput", {}).get(NAME)
        if split is not None and self.split is None:
            self.split = split


def configure_shard(config):
    """Register the shard's plugin when phasegate gave a plan."""
    path = os.environ.get("PHASEGATE_SHARD_PLAN")
    if path:
        with open(path, encoding="utf-8") as handle:
            plan = json.load(handle)
        config.pluginmanager.register(Shard(config, plan), NAME)


def hold_back(config, report):
    """The report pytest gets for a collection report of a shard's process (None: itself)."""
    shard = config.pluginmanager.get_plugin(NAME)
    return None if shard is None else shard.hold(report)


def recorded_split(config):
    """The split for the record (None: not a shard's process, or not split yet)."""
    shard = config.pluginmanager.get_plugin(NAME)
    return None if shard is None else shard.split
