"""On GitLab CI: coverage.py's Cobertura XML of a real run, beside junit.xml, and the
`Coverage:` line the job's regex reads."""

from __future__ import annotations

import contextlib
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tasks.artifacts import Artifacts
from tasks.cli import main
from tests.conftest import write_files

RECIPE = Path(__file__).resolve().parents[1] / "docs" / "ci" / "gitlab-ci.yml"
PROJECT = {
    "pyproject.toml": """
        [tool.phasegate]
        venv = "none"
        runs = 1
        rerun_budget = 0

        [tool.coverage.run]
        omit = ["shop/legacy.py"]

        [tool.coverage.report]
        precision = 2
    """,
    "shop/__init__.py": "",
    "shop/prices.py": """
        def total(items):
            return sum(items)


        def discount(price, rate):
            if rate > 1:
                raise ValueError("rate above 1")
            return price * (1 - rate)
    """,
    "shop/legacy.py": "def old():\n    return 1\n",
    "tests/test_prices.py": """
        from shop.prices import discount, total


        def test_total():
            assert total([1, 2]) == 3


        def test_discount():
            assert discount(10, 0.5) == 5
    """,
}


def validate_on_gitlab(project: Path) -> tuple[int, str]:
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch, contextlib.redirect_stdout(out):
        monkeypatch.setenv("GITLAB_CI", "true")
        code = main(["validate", "--project", str(project)])
    return code, out.getvalue()


def test_cobertura_xml_beside_junit_with_coverage_totals(tmp_path: Path) -> None:
    project = write_files(tmp_path / "shop", PROJECT)
    code, out = validate_on_gitlab(project)
    assert code == 0
    arts = Artifacts(project / ".phasegate/reports")
    assert arts.coverage_xml.parent == arts.junit_xml.parent
    root = ET.parse(arts.coverage_xml).getroot()  # noqa: S314 coverage.py's own file
    coverage = json.loads(arts.coverage_json.read_text())
    # coverage.py's own numbers: 6 statements, 5 run (the raise is not); written "%.4g".
    assert (root.get("lines-valid"), root.get("lines-covered")) == ("6", "5")
    assert coverage["display"] == "83.33%"
    assert float(root.get("line-rate", "")) == float(f"{coverage['total'] / 100:.4g}")
    # The project's own coverage config applies: its omitted file is not reported.
    files = {c.get("filename") for c in root.iter("class")}
    assert files == {"shop/__init__.py", "shop/prices.py"}
    assert f"phasegate: Cobertura XML for GitLab: {arts.coverage_xml}" in out.splitlines()
    # The last line: GitLab's regex (the recipe's) reads coverage.py's total from it.
    assert out.splitlines()[-1] == "Coverage: 83.33%"
    regex = yaml.safe_load(RECIPE.read_text())["phasegate"]["coverage"].strip("/")
    assert re.findall(regex, out) == ["Coverage: 83.33%"]
    assert not [line for line in out.splitlines() if line.startswith("::")]  # not GitHub's
