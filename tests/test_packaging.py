"""The wheel installs one import name, ``nianbao``, and sits beside PyPI's ``rules`` and ``distributed``."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, timeout=300)  # fmt: skip
    [whl] = out.glob("nianbao-*.whl")
    return whl


def test_the_wheel_holds_one_top_level_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"nianbao"}
    for part in ("crawler", "parsers", "rules", "storage", "intake", "workbench", "regions", "distributed"):
        assert f"nianbao/{part}/__init__.py" in names
    assert "nianbao/rules/data/deadlines.csv" in names and any(n.startswith("nianbao/workbench/templates/") for n in names)


def test_installs_beside_pypis_rules_and_distributed(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel), "rules", "distributed"],
                   check=True, capture_output=True, timeout=600)  # fmt: skip
    probe = (
        "import importlib.util as u, pathlib;"
        "r = u.find_spec('rules'); d = u.find_spec('distributed'); n = u.find_spec('nianbao.rules');"
        "print(r.origin);"
        "print(d.origin); print(n.origin)"
    )
    out = subprocess.run([str(py), "-c", probe], check=True, capture_output=True, text=True, timeout=60,
                         cwd=tmp_path).stdout.split()  # fmt: skip
    rules, distributed, ours = out
    assert rules.endswith("site-packages/rules/__init__.py")
    assert distributed.endswith("site-packages/distributed/__init__.py")
    assert ours.endswith("site-packages/nianbao/rules/__init__.py")
    # neither distribution wrote into the other's folder: theirs keep their own modules, ours ours
    site = Path(rules).parents[1]
    assert (site / "rules" / "predicates.py").exists() and not (site / "rules" / "registry.py").exists()
    assert (site / "distributed" / "scheduler.py").exists() and not (site / "distributed" / "drain.py").exists()
