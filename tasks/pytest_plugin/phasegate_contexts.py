"""phasegate's per-test coverage contexts when coverage was started before pytest
(`coverage run -m pytest`): each test's setup, call and teardown get the context names
pytest-cov's `--cov-context=test` gives them ("<nodeid>|setup", "|run", "|teardown"), so the
impact index reads both the same way.

Loaded with `-p phasegate_contexts` into the project's own pytest, whatever its Python: plain
code, no imports beyond coverage and pytest, nothing that could shadow the project's modules.
"""

import coverage
import pytest


def _switch(context):
    cov = coverage.Coverage.current()
    if cov is not None:
        cov.switch_context(context)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item):
    _switch(item.nodeid + "|setup")
    yield


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_call(item):
    _switch(item.nodeid + "|run")
    yield


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    _switch(item.nodeid + "|teardown")
    yield
    _switch("")
