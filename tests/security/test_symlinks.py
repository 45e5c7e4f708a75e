"""Issue 11 row 4: a symbolic link committed to git never leads the engine or render out of it.

The attacker commits a link; what it points to (here a ConfigMap holding a canary, standing for
a Secret on the engine's host) must never be applied or printed. Each test commits one shape.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from secretsops.engine.dirsource import DirectorySource
from secretsops.engine.render import render_path
from secretsops.errors import RenderError

LEAD_OUT = "a symbolic link leads outside the repository"


def _outside(tmp_path: Path, canary: str) -> Path:
    """A directory on the engine's host, outside every checkout: a ConfigMap and an env file."""
    outside = tmp_path / "host"
    outside.mkdir()
    (outside / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\n  namespace: apps\n"
        f"data:\n  k: {canary}\n"
    )
    (outside / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (outside / "host.env").write_text(f"TOKEN={canary}\n")
    return outside


def _stolen_applied(harness) -> bool:  # type: ignore[no-untyped-def]
    return any(c.metadata.name == "stolen" for c in harness.core().list_namespaced_config_map("apps").items)


# --- the engine, end to end (git clone of the attacker's commit, then a pass) ---------------------


def test_the_engine_refuses_a_source_path_that_is_a_symlink_out(harness, tmp_path: Path, canary: str) -> None:  # type: ignore[no-untyped-def]
    outside = _outside(tmp_path, canary)
    (harness.repo.path / "apps").symlink_to(outside)
    harness.repo.commit("apps is a link")
    eng = harness.engine()

    (result,) = eng.run_once()

    assert not result.ok
    assert LEAD_OUT in harness.condition("Ready")["message"]
    assert not _stolen_applied(harness)


def test_the_engine_refuses_a_kustomize_base_that_is_a_symlink_out(
    harness, tmp_path: Path, canary: str  # type: ignore[no-untyped-def]
) -> None:
    outside = _outside(tmp_path, canary)
    harness.write_app({"A": "1"})
    (harness.repo.path / "apps/base").symlink_to(outside)
    kfile = harness.repo.path / "apps/kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("resources: [", "resources: [base, ", 1))
    harness.repo.commit("a base that is a link")
    eng = harness.engine()

    (result,) = eng.run_once()

    assert not result.ok
    assert LEAD_OUT in harness.condition("Ready")["message"]
    assert "base" in harness.condition("Ready")["message"]
    assert not _stolen_applied(harness)


# --- the shapes, on render_path as the engine calls it (root = the checkout) ---------------------


def test_a_directory_above_the_source_path_that_links_out_is_refused(tmp_path: Path, canary: str) -> None:
    outside = _outside(tmp_path, canary)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (outside / "prod").mkdir()
    (outside / "prod/cm.yaml").write_text((outside / "cm.yaml").read_text())
    (checkout / "clusters").symlink_to(outside)

    with pytest.raises(RenderError, match=f"clusters/prod: {LEAD_OUT}"):
        render_path(checkout / "clusters/prod", root=checkout)


def test_a_generator_input_that_links_out_is_refused_before_kustomize_reads_it(
    tmp_path: Path, canary: str
) -> None:
    outside = _outside(tmp_path, canary)
    app = tmp_path / "checkout/app"
    app.mkdir(parents=True)
    (app / "db.env").symlink_to(outside / "host.env")
    (app / "kustomization.yaml").write_text("secretGenerator:\n- name: db\n  envs: [db.env]\n")

    with pytest.raises(RenderError, match=f"db.env: {LEAD_OUT}"):
        render_path(app, root=tmp_path / "checkout")


def test_a_base_outside_the_checkout_by_its_path_is_refused_too(tmp_path: Path, canary: str) -> None:
    _outside(tmp_path, canary)
    app = tmp_path / "checkout/app"
    app.mkdir(parents=True)
    (app / "kustomization.yaml").write_text("resources: [../../host]\n")

    with pytest.raises(RenderError, match=r"host: outside the repository \(refused\)"):
        render_path(app, root=tmp_path / "checkout")


def test_a_link_that_stays_inside_the_checkout_is_followed(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "real/prod").mkdir(parents=True)
    (checkout / "real/prod/cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  namespace: apps\n"
    )
    (checkout / "clusters").symlink_to(checkout / "real")

    items = render_path(checkout / "clusters/prod", root=checkout)
    assert [i.obj["metadata"]["name"] for i in items] == ["kept"]


# --- render, the command: inside a git work tree nothing outside it is read ---------------------


def _render(target: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "-m", "secretsops", "render", target],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_render_in_a_work_tree_refuses_a_path_that_links_out(tmp_path: Path, canary: str) -> None:
    outside = _outside(tmp_path, canary)
    repo = tmp_path / "pr"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "deploy").symlink_to(outside)

    done = _render("deploy", repo)

    assert done.returncode != 0 and done.stdout == ""
    assert f"deploy: {LEAD_OUT}" in done.stderr
    assert canary not in done.stderr


def test_render_in_a_work_tree_refuses_a_base_that_links_out(tmp_path: Path, canary: str) -> None:
    outside = _outside(tmp_path, canary)
    repo = tmp_path / "pr"
    (repo / "app").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "app/base").symlink_to(outside)
    (repo / "app/kustomization.yaml").write_text("resources: [base]\n")

    done = _render("app", repo)

    assert done.returncode != 0 and done.stdout == ""
    assert LEAD_OUT in done.stderr


# --- a plain directory source: its revision digest never reads through a link -------------------


def test_a_directory_source_digest_does_not_read_what_a_link_points_to(tmp_path: Path, canary: str) -> None:
    outside = _outside(tmp_path, canary)
    fifo = outside / "pipe"
    os.mkfifo(fifo)  # reading it would block the engine forever
    source_dir = tmp_path / "dir"
    source_dir.mkdir()
    (source_dir / "host.yaml").symlink_to(outside / "cm.yaml")
    (source_dir / "pipe.yaml").symlink_to(fifo)
    source = DirectorySource(source_dir)

    before = source.sync().commit
    (outside / "cm.yaml").write_text("changed outside the tree\n")

    assert source.sync().commit == before
