"""What counts as test code: doctest items are not tests of their own file."""

from __future__ import annotations

import pytest

from tasks.layout import is_doctest


@pytest.mark.parametrize(
    ("nodeid", "doctest"),
    [
        ("pkg/mod.py::pkg.mod.func", True),
        ("README.rst::README.rst", True),
        ("util.py::util", True),  # a top-level module's own docstring
        ("tests/test_a.py::test_x", False),
        ("tests/test_a.py::test_x[1.5]", False),
        ("tests/test_a.py::TestA::test_x", False),
    ],
)
def test_is_doctest(nodeid: str, doctest: bool) -> None:
    assert is_doctest(nodeid) is doctest
