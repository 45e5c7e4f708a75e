"""``pip install secretsops`` installs the product only; the dev stack is a distribution of its own.

The wheels are built from a copy of the checkout, offline (``--no-index --no-build-isolation``, with
the test venv's setuptools), exactly as ``pip wheel`` builds them for an index or the image.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_CRUFT = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist")

pytestmark = pytest.mark.slow


def _build_wheel(source: Path, out: Path) -> zipfile.ZipFile:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--no-build-isolation", "-q"]
        + ["-w", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files a build reads, dev stack included (so a too-wide package filter would pick it up)."""
    tree = tmp_path_factory.mktemp("checkout")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    for name in ("secretsops", "devstack"):
        shutil.copytree(ROOT / name, tree / name, ignore=BUILD_CRUFT)
    return tree


@pytest.fixture(scope="module")
def product_wheel(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    return _build_wheel(checkout, tmp_path_factory.mktemp("product-wheel"))


@pytest.fixture(scope="module")
def devstack_wheel(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    return _build_wheel(checkout / "devstack", tmp_path_factory.mktemp("devstack-wheel"))


def test_the_product_wheel_holds_no_test_server_and_no_demo(product_wheel: zipfile.ZipFile) -> None:
    names = product_wheel.namelist()
    assert "secretsops/cli/main.py" in names and "secretsops/engine/loop.py" in names
    assert [n for n in names if "devstack" in n or "kubeapi" in n] == []
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "demo" not in product_wheel.read(entry_points).decode()


def test_the_devstack_wheel_holds_the_api_server_and_the_demo_on_top_of_secretsops(
    devstack_wheel: zipfile.ZipFile,
) -> None:
    names = devstack_wheel.namelist()
    assert {"secretsops_devstack/kubeapi/server.py", "secretsops_devstack/demo.py"} <= set(names)
    assert [n for n in names if n.startswith("secretsops/")] == []
    meta = devstack_wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Requires-Dist: secretsops\n" in meta
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "secretsops-demo = secretsops_devstack.cli:main" in devstack_wheel.read(entry_points).decode()
