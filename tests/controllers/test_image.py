"""The image's filesystem, built without a container engine, runs the controller as uid 65532.

No container engine runs here, so this builds what the Containerfile builds: the secretsops wheel
(built offline from a copy of the checkout) installed into a fresh virtual environment under a
root of its own, byte-compiled, owned by root and not writable by anyone else. The dependencies
come from the test environment's site-packages (appended after the wheel, never the editable
source tree). ``secretsops controller --once`` then runs from it with ``setpriv`` as uid/gid
65532, with HOME and TMPDIR in a work directory (the image's /work), against the API server;
afterwards nothing under the install root has changed: a read-only root would have been enough.
"""

from __future__ import annotations

import os
import shutil
import site
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.controllers.conftest import Cluster

ROOT = Path(__file__).resolve().parents[2]
UID = 65532
BUILD_CRUFT = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist")

pytestmark = pytest.mark.slow


def _run(*argv: str) -> None:
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def _snapshot(root: Path) -> dict[str, tuple[int, float]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime) for p in root.rglob("*") if not p.is_symlink()}


@pytest.fixture(scope="module")
def image_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """/opt/secretsops as the Containerfile makes it, under a root readable by uid 65532."""
    checkout = tmp_path_factory.mktemp("checkout")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, checkout / name)
    shutil.copytree(ROOT / "secretsops", checkout / "secretsops", ignore=BUILD_CRUFT)
    wheels = tmp_path_factory.mktemp("wheels")
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-index",
        "--no-build-isolation",
        "-q",
        "-w",
        str(wheels),
        str(checkout),
    )
    (wheel,) = wheels.glob("secretsops-*.whl")
    root = Path(tempfile.mkdtemp(prefix="secretsops-image-"))
    root.chmod(0o755)
    prefix = root / "opt" / "secretsops"
    _run(sys.executable, "-m", "venv", "--without-pip", str(prefix))
    python = prefix / "bin" / "python"
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        "--no-compile",
        str(wheel),
    )
    (purelib,) = (prefix / "lib").glob("python3*/site-packages")
    (purelib / "zz_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run(str(python), "-m", "compileall", "-q", str(prefix))
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~(stat.S_IWGRP | stat.S_IWOTH))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def work(image_root: Path) -> Iterator[Path]:
    """The image's /work: HOME and TMPDIR, the only place the process may write."""
    path = Path(tempfile.mkdtemp(prefix="secretsops-work-"))
    os.chown(path, UID, UID)
    path.chmod(0o700)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _as_nonroot(image_root: Path, work: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    exe = image_root / "opt" / "secretsops" / "bin" / "secretsops"
    env = {
        "PATH": f"{exe.parent}:/usr/bin:/bin",
        "HOME": str(work),
        "TMPDIR": str(work),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    argv = ["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups", str(exe), *args]
    return subprocess.run(argv, env=env, cwd=work, capture_output=True, timeout=180, check=False)


def test_the_installed_package_is_the_wheel_not_the_source_tree(image_root: Path, work: Path) -> None:
    python = image_root / "opt" / "secretsops" / "bin" / "python"
    done = subprocess.run(
        [
            "setpriv",
            f"--reuid={UID}",
            f"--regid={UID}",
            "--clear-groups",
            str(python),
            "-c",
            "import secretsops, importlib.util as u;"
            "print(secretsops.__file__, u.find_spec('secretsops_devstack'))",
        ],
        env={"HOME": str(work)},
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    where, devstack = done.stdout.split()
    assert where.startswith(str(image_root)) and devstack == "None"


def test_controller_once_runs_as_65532_and_writes_nothing_outside_work(
    cluster: Cluster, image_root: Path, work: Path
) -> None:
    cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
    kubeconfig = work / "kubeconfig"
    shutil.copy2(cluster.kubeconfig, kubeconfig)
    os.chown(kubeconfig, UID, UID)
    before = _snapshot(image_root)
    done = _as_nonroot(image_root, work, "controller", "--once", "--kubeconfig", str(kubeconfig))
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert cluster.secret_values("shop", "db") == {"password": "hunter2"}
    assert _snapshot(image_root) == before
