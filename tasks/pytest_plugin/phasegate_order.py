"""The order and the selection of the tests in a run phasegate starts (part of the recorder
plugin, loaded with it; standard library and pytest only).

PHASEGATE_ORDER:
  file          pytest's own order
  reverse       pytest's order reversed
  shuffle:SEED  modules, classes within a module and tests within a class, each ordered by a
                hash of the seed and its name (as pytest-randomly): replayable, and adding a
                test leaves the relative order of every other test as it was
  ids:PATH      exactly the tests listed in PATH, in that order (a rerun): one node id a line,
                optionally a tab and its stable key, or a test file's or folder's path for
                every test in it; only their files are collected, the rest is deselected as pytest
                deselects; never a command line, whatever its length

A shard's share of the suite (PHASEGATE_SHARD_PLAN) is phasegate_shard's.
"""

from __future__ import annotations

import hashlib
import os

import pytest


def _rank(seed, key):
    return hashlib.sha256(f"{seed}:{key}".encode("utf-8", "backslashreplace")).digest()[:8]


def shuffle_key(seed, nodeid):
    """Where a test goes in the shuffle of `seed`: as pytest-randomly, modules are shuffled by
    a hash of the seed and their path, then classes within a module, then tests within their
    class; each by its own name, so adding a test moves no other, and a class stays whole."""
    parts = nodeid.split("::")
    groups = ["::".join(parts[: i + 1]) for i in range(len(parts) - 1)]
    tie = nodeid.encode("utf-8", "replace")
    return (*(_rank(seed, g) for g in groups), _rank(seed, nodeid), tie)


def stable_key(item):
    """A parametrized test's id without its parameter values: file, class, function and the
    position of each parameter, which stays when the values (e.g. a timestamp) change."""
    indices = getattr(getattr(item, "callspec", None), "indices", None)
    name = getattr(item, "originalname", None)
    if not indices or not name or not item.nodeid.endswith(item.name):
        return None
    base = item.nodeid[: len(item.nodeid) - len(item.name)] + name
    return base + "[" + ",".join(f"{k}={v}" for k, v in sorted(indices.items())) + "]"


def _read_wanted(path):
    """The ids file of a rerun: one node id a line, optionally a tab and its stable key."""
    wanted = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            nodeid, _, key = line.rstrip("\n").partition("\t")
            if nodeid.strip():
                wanted.append((nodeid, key or None))
    return wanted


def _select(config, items, wanted):
    """Keep exactly the wanted tests, in the wanted order; report the rest as deselected."""
    by_id = {item.nodeid: item for item in items}
    by_key = {}
    for item in items:
        key = stable_key(item)
        if key is not None:
            by_key.setdefault(key, []).append(item)
    by_file = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    chosen, matched, missing, seen = [], {}, [], set()
    for nodeid, key in wanted:
        item = by_id.get(nodeid)
        if item is None and key is not None and len(by_key.get(key, ())) == 1:
            item = by_key[key][0]
            matched[nodeid] = item.nodeid
        if item is not None:
            found = [item]
        elif "::" not in nodeid:  # a test file's or folder's path: every test in it, in order
            folder = nodeid.rstrip("/") + "/"
            found = by_file.get(nodeid) or [
                one for file, tests in by_file.items() if file.startswith(folder) for one in tests
            ]
        else:
            found = []
        if not found:
            missing.append(nodeid)
        for one in found:
            if one.nodeid not in seen:
                seen.add(one.nodeid)
                chosen.append(one)
    deselected = [item for item in items if item.nodeid not in seen]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = chosen
    config.phasegate_selection = {"matched": matched, "missing": missing}


def configure_order(config):
    """Read the order once; for `ids:`, the files to collect (absolute paths)."""
    order = os.environ.get("PHASEGATE_ORDER", "file")
    config.phasegate_wanted = None
    config.phasegate_files = None
    if order.startswith("ids:"):
        wanted = _read_wanted(order.split(":", 1)[1])
        root = str(config.rootpath)
        config.phasegate_wanted = wanted
        config.phasegate_files = {
            os.path.normpath(os.path.join(root, nodeid.split("::", 1)[0])) for nodeid, _ in wanted
        }
        # A folder's path (a changed conftest.py's tests): every file under it is collected.
        config.phasegate_folders = tuple(
            os.path.join(path, "") for path in config.phasegate_files if os.path.isdir(path)
        )
    return order


# tryfirst: the hook stops at the first answer that is not None, and a project's conftest.py
# may answer False for every file it does not skip itself (boltons' does): ours must come first.
@pytest.hookimpl(tryfirst=True)
def pytest_ignore_collect(collection_path, config):
    """A rerun collects only the files of its tests, as if their ids were on the command line
    (their imports happen, no other module's); directories and conftest files as always."""
    if collection_path.name in ("conftest.py", "__init__.py") or collection_path.is_dir():
        return None
    files = getattr(config, "phasegate_files", None)
    path = os.path.normpath(str(collection_path))
    if files is not None and path not in files:
        # A folder's path (a changed conftest.py's tests): every file under it is collected.
        return None if path.startswith(getattr(config, "phasegate_folders", ())) else True
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    order = os.environ.get("PHASEGATE_ORDER", "file")
    if order == "reverse":
        items.reverse()
    elif order.startswith("shuffle:"):
        seed = int(order.split(":", 1)[1])
        items.sort(key=lambda item: shuffle_key(seed, item.nodeid))
    elif getattr(config, "phasegate_wanted", None) is not None:
        _select(config, items, config.phasegate_wanted)
