"""Issue 11 row 11: ``render`` copies nothing (least of all git-ignored files) to /dev/shm, and the
engine's private directories never outlive their process for long.

A slow ``kustomize`` (a wrapper first on PATH, then the real one) looks at /dev/shm while the
build runs, which is when a copy would be there; the test also kills ``render`` with SIGKILL at
that moment and looks again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secretsops.engine.workdir import make_private_dir, private_dir, remove_stale_dirs

SHM = Path("/dev/shm")  # noqa: S108

pytestmark = pytest.mark.skipif(not SHM.is_dir(), reason="needs a memory filesystem at /dev/shm")


def _work_tree(tmp_path: Path, canary: str) -> Path:
    """A git work tree with an app, and git-ignored secrets beside it: keys/ and .env.local."""
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "keys").mkdir()
    (repo / "keys/age.txt").write_text(f"AGE-SECRET-KEY-{canary}\n")
    (repo / ".env.local").write_text(f"DB_PASSWORD={canary}\n")
    (repo / ".gitignore").write_text("keys/\n.env.local\n")
    (repo / "app/cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: apps\ndata:\n  k: v\n"
    )
    (repo / "app/kustomization.yaml").write_text(
        "resources: [cm.yaml]\nsecretGenerator:\n- name: gen\n  namespace: apps\n  literals: [a=b]\n"
    )
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def _slow_kustomize(tmp_path: Path, canary: str) -> tuple[dict[str, str], Path]:
    """PATH with a kustomize that, while it runs, records every /dev/shm file holding the canary."""
    real = shutil.which("kustomize")
    assert real, "kustomize is installed by scripts/install-tools.sh"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    report = tmp_path / "seen-in-shm.txt"
    (bin_dir / "kustomize").write_text(
        "#!/bin/sh\n"
        f"grep -rlsF -e '{canary}' {SHM} > '{report}.tmp'; mv '{report}.tmp' '{report}'\n"
        "sleep 2\n"
        f'exec {real} "$@"\n'
    )
    (bin_dir / "kustomize").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    return env, report


def _wait_for(path: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None or path.exists(), proc.communicate()
        assert time.monotonic() < deadline, "kustomize did not run"
        time.sleep(0.05)


def _ours_in_shm(pid: int) -> list[Path]:
    return [p for p in SHM.iterdir() if f"-{pid}-" in p.name]


def test_render_copies_no_git_ignored_file_to_shm_while_kustomize_runs(tmp_path: Path, canary: str) -> None:
    repo = _work_tree(tmp_path, canary)
    env, report = _slow_kustomize(tmp_path, canary)
    proc = subprocess.Popen(
        [sys.executable, "-m", "secretsops", "render", "app"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for(report, proc)
    during = _ours_in_shm(proc.pid)
    out, err = proc.communicate(timeout=120)

    assert proc.returncode == 0, err
    assert report.read_text() == ""  # no file in /dev/shm held keys/ or .env.local while it ran
    assert during == []  # render made no private directory at all
    assert b"name: app" in out


def test_render_killed_mid_build_leaves_nothing_in_shm(tmp_path: Path, canary: str) -> None:
    repo = _work_tree(tmp_path, canary)
    env, report = _slow_kustomize(tmp_path, canary)
    proc = subprocess.Popen(
        [sys.executable, "-m", "secretsops", "render", "app"],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for(report, proc)

    os.killpg(proc.pid, signal.SIGKILL)  # render and its kustomize
    proc.wait(timeout=30)

    leftovers = subprocess.run(
        ["grep", "-rlsF", "-e", canary, str(SHM)], capture_output=True, text=True, check=False
    ).stdout
    assert leftovers == ""
    assert _ours_in_shm(proc.pid) == []


# --- the engine's private directories (checkouts, GnuPG homes, overlays) ---------------------------


def test_private_dirs_are_named_for_their_process(tmp_path: Path) -> None:
    with private_dir("secretsops-src-", tmp_path) as work:
        assert work.name.startswith(f"secretsops-src-{os.getpid()}-")
        assert (work.stat().st_mode & 0o777) == 0o700
    assert not work.exists()


def test_a_killed_processs_directories_are_removed_by_the_next_one(tmp_path: Path) -> None:
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from secretsops.engine.workdir import make_private_dir\n"
            "d = make_private_dir('secretsops-gnupg-', Path(sys.argv[1])); (d / 'key').write_text('k')\n"
            "print(d)",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    left = Path(child.stdout.strip())  # its process has exited without cleaning up (as on SIGKILL)
    running = tmp_path / f"secretsops-src-{os.getppid()}-live"  # a running process's checkout
    running.mkdir()
    unrelated = tmp_path / "secretsops-realkube-abc123"  # not ours to judge: no pid stamp
    unrelated.mkdir()
    assert left.exists()

    fresh = make_private_dir("secretsops-src-", tmp_path)

    assert not left.exists()
    assert running.exists() and unrelated.exists() and fresh.exists()
    assert remove_stale_dirs(tmp_path) == []


def test_reconcile_once_stopped_by_sigterm_removes_its_checkout(kubeapi, tmp_path: Path, canary: str) -> None:  # type: ignore[no-untyped-def]
    """A CI job's timeout sends SIGTERM: the pass ends, and its checkout goes with it."""
    repo = _work_tree(tmp_path, canary)
    subprocess.run(["git", "-C", str(repo), "checkout", "-qb", "main"], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "app"], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "app"],
        check=True,
    )
    env, report = _slow_kustomize(tmp_path, canary)
    kubeconfig = kubeapi.write_kubeconfig(tmp_path / "kubeconfig")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "secretsops",
            "reconcile",
            "--once",
            "--repo",
            str(repo),
            "--path",
            "app",
            "--name",
            "stopped",
            "--kubeconfig",
            str(kubeconfig),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for(report, proc)
    checkouts = _ours_in_shm(proc.pid)
    assert checkouts, "the pass works in a private checkout named for its process"

    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)

    assert proc.returncode == 128 + signal.SIGTERM, err
    assert not any(c.exists() for c in checkouts)
