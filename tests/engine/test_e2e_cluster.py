"""The engine against a real kube-apiserver + etcd: what only a real server can say.

Other people's field managers (``kubectl edit``, another server-side applier) are real kubectl runs, the
conflict and ownership rules are the apiserver's own, not our reading of them.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.realkube


def _kubectl(harness, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    import os

    kubeconfig = harness.api.kubeconfig
    return subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def _managers(harness, name: str) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Field manager -> the ``data`` keys it owns on ConfigMap apps/<name>."""
    cm = harness.core().read_namespaced_config_map(name, "apps")
    out: dict[str, set[str]] = {}
    for entry in cm.metadata.managed_fields or []:
        fields = (entry.fields_v1 or {}).get("f:data", {})
        out.setdefault(entry.manager, set()).update(k[2:] for k in fields if k.startswith("f:"))
    return out


def test_kubectl_edit_is_drift_and_the_next_pass_takes_the_field_back_by_force(
    harness, tmp_path: Path
) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine()
    assert eng.run_once()[0].ok
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/^  k: .*$/  k: edited/" "$1"\n')
    editor.chmod(0o755)
    done = _kubectl(harness, "edit", "configmap", "cm-a", "-n", "apps", env={"KUBE_EDITOR": str(editor)})
    assert done.returncode == 0, done.stderr
    assert harness.configmaps()["cm-a"] == "edited"
    assert "k" in _managers(harness, "cm-a")["kubectl-edit"]
    (res,) = eng.run_once()
    assert res.ok and res.healed
    assert harness.configmaps()["cm-a"] == "1"
    owners = _managers(harness, "cm-a")
    assert "k" in owners["secretsops"] and "k" not in owners.get("kubectl-edit", set())


def test_another_server_side_applier_meets_a_conflict_naming_secretsops(harness, tmp_path: Path) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    assert harness.engine().run_once()[0].ok
    mine = tmp_path / "cm.yaml"
    mine.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-a, namespace: apps}\ndata: {k: theirs}\n"
    )
    done = _kubectl(harness, "apply", "--server-side", "--field-manager=platform-team", "-f", str(mine))
    assert done.returncode != 0
    assert "conflict" in done.stderr.lower() and '"secretsops"' in done.stderr
    assert harness.configmaps()["cm-a"] == "1"


def test_a_field_only_someone_else_manages_is_left_alone_by_the_pass(harness) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine()
    assert eng.run_once()[0].ok
    harness.core().patch_namespaced_config_map("cm-a", "apps", {"metadata": {"labels": {"team": "db"}}})
    (res,) = eng.run_once()
    assert res.ok and not res.healed
    assert harness.core().read_namespaced_config_map("cm-a", "apps").metadata.labels["team"] == "db"


def test_edited_secret_value_is_healed_and_never_shown(harness, canary, capsys) -> None:  # type: ignore[no-untyped-def]
    harness.write_app({"PASSWORD": canary})
    harness.repo.commit()
    eng = harness.engine()
    assert eng.run_once()[0].ok
    edited = canary[::-1]
    harness.core().patch_namespaced_secret(
        "db", "apps", {"data": {"PASSWORD": base64.b64encode(edited.encode()).decode()}}
    )
    (res,) = eng.run_once()
    assert res.ok and res.healed and harness.secret() == {"PASSWORD": canary}
    out = capsys.readouterr()
    assert canary not in out.out + out.err and edited not in out.out + out.err
