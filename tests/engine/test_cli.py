"""`secretsops reconcile` and `secretsops status` as a user runs them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from secretsops.cli.main import main


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    logger = logging.getLogger("secretsops")
    saved = (list(logger.handlers), logger.level)
    yield
    logger.handlers, _ = saved[0], logger.setLevel(saved[1])


def reconcile_args(  # type: ignore[no-untyped-def]
    harness, *extra: str, decryption_secret: str | None = "secretsops-system/sops-age"
) -> list[str]:
    """``reconcile --once`` of the harness's repository; ``decryption_secret=None`` leaves the flag out."""
    key = ["--decryption-secret", decryption_secret] if decryption_secret else []
    return [
        "reconcile",
        "--once",
        "--repo",
        harness.repo.url,
        "--path",
        "apps",
        "--name",
        "apps",
        "--kubeconfig",
        str(harness.api.kubeconfig),
        *key,
        *extra,
    ]


@pytest.mark.realkube
def test_reconcile_once_applies_and_exits_zero(harness, capsys) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    head = harness.repo.commit()
    assert main(reconcile_args(harness)) == 0
    assert f"apps: main@sha1:{head}: ReconciliationSucceeded" in capsys.readouterr().out
    assert harness.configmaps() == {"cm-a": "1"} and harness.secret() == {"A": "1"}


@pytest.mark.realkube
def test_reconcile_once_exits_non_zero_when_the_pass_failed(harness, capsys) -> None:
    harness.repo.write("apps/bad.yaml", "kind: [\n")
    harness.repo.commit()
    assert main(reconcile_args(harness)) == 1
    err = capsys.readouterr().err
    assert "apps: BuildFailed: " in err and "bad.yaml" in err and "Traceback" not in err


@pytest.mark.realkube
def test_reconcile_dry_run_lists_the_plan(harness, capsys) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    assert main(reconcile_args(harness, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "would apply 3" in out and "  apply ConfigMap/apps/cm-a" in out
    assert harness.configmaps() == {}


@pytest.mark.realkube
def test_status_prints_a_table_per_source(harness, capsys) -> None:
    harness.write_app({"A": "1"})
    harness.repo.commit()
    main(reconcile_args(harness))
    capsys.readouterr()
    assert main(["status", "--kubeconfig", str(harness.api.kubeconfig)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["SOURCE", "READY", "REASON", "REVISION", "OBJECTS", "DRIFTED", "MESSAGE"]
    assert lines[1].split()[:3] == ["apps", "True", "ReconciliationSucceeded"]


def test_missing_repo_and_config_is_a_usage_error(capsys) -> None:
    assert main(["reconcile", "--once"]) == 2
    assert "--repo URL|PATH" in capsys.readouterr().err


def test_missing_kubeconfig_file_is_a_clear_error(tmp_path, capsys) -> None:
    assert main(["reconcile", "--once", "--repo", str(tmp_path), "--kubeconfig", str(tmp_path / "nope")]) == 2
    assert "kubeconfig not found" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["garbage: [\n", "- just\n- a list\n", "apiVersion: v1\nkind: Config\n"])
@pytest.mark.parametrize("command", [["status"], ["reconcile", "--once", "--repo", "."]])
def test_malformed_kubeconfig_is_a_one_line_usage_error(tmp_path, capsys, text, command) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(text)
    assert main([*command, "--kubeconfig", str(kubeconfig)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"secretsops: {kubeconfig}: invalid kubeconfig (")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_without_kubeconfig_outside_a_cluster_says_so(tmp_path, capsys) -> None:
    assert main(["status"]) == 2
    assert "not running inside a cluster" in capsys.readouterr().err


@pytest.mark.realkube
def test_reconcile_reads_several_sources_from_a_config_file(harness, tmp_path, capsys) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"sources:\n- name: first\n  url: {harness.repo.url}\n  path: apps/ns.yaml\n"
        f"- name: second\n  url: {harness.repo.url}\n  path: apps/cm-a.yaml\n"
        f"- name: third\n  url: {harness.repo.url}\n  path: apps/ns.yaml\n  suspend: true\n"
    )
    args = ["reconcile", "--once", "--config", str(config), "--kubeconfig", str(harness.api.kubeconfig)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "first: main@sha1:" in out and "second: main@sha1:" in out and "third: : Suspended" in out
    assert harness.configmaps() == {"cm-a": "1"}


@pytest.mark.realkube
def test_plain_directory_works_as_a_source(harness, tmp_path, capsys) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n")
    (plain / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-dir, namespace: apps}\n"
    )
    args = ["reconcile", "--once", "--repo", str(plain), "--kubeconfig", str(harness.api.kubeconfig)]
    assert main(args) == 0
    assert "default: dir@sha1:" in capsys.readouterr().out
    assert "cm-dir" in harness.configmaps() or harness.core().read_namespaced_config_map("cm-dir", "apps")


@pytest.mark.realkube
def test_reconcile_loop_stops_cleanly_on_sigterm(harness, tmp_path) -> None:
    import os
    import subprocess
    import sys
    import time

    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "VAULT_", "AWS_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "secretsops", "reconcile", *reconcile_args(harness)[2:], "--interval", "1s"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not harness.configmaps():
            time.sleep(0.2)
        assert harness.configmaps() == {"cm-a": "1"}
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_status_with_no_cluster_listening_names_the_server_in_one_line(tmp_path, capsys) -> None:
    from secretsops_devstack.services import free_port

    server = f"http://127.0.0.1:{free_port()}"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters:\n- name: k\n  cluster:\n    server: {server}\n"
        "users:\n- name: u\n  user: {}\n"
        "contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\n"
    )
    assert main(["status", "--kubeconfig", str(kubeconfig)]) != 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"Kubernetes API {server} unreachable" in err
