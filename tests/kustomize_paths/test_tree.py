"""A tree of many kustomizations: built a few at a time, objects and errors in path order."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretsops.engine.proc import ProcessRunner
from secretsops.engine.render import render_path
from secretsops.errors import RenderError
from tests.kustomize_paths.conftest import Env, write


def cm(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n"


def app(root: Path, name: str) -> None:
    write(root / name / "cm.yaml", cm(name))
    write(root / name / "kustomization.yaml", "resources: [cm.yaml]\n")


@pytest.mark.parametrize("jobs", [1, 4])
def test_objects_come_in_path_order_whatever_the_number_of_jobs(env: Env, tmp_path: Path, jobs: int) -> None:
    for name in ("a", "c", "e", "g"):
        app(tmp_path, name)
    write(tmp_path / "d.yaml", cm("d"))
    items = render_path(tmp_path, runner=ProcessRunner(env=env.environ), jobs=jobs)
    assert [i.id.name for i in items] == ["a", "c", "d", "e", "g"]


def test_the_first_failing_kustomization_in_path_order_is_reported(env: Env, tmp_path: Path) -> None:
    app(tmp_path, "a")
    for name in ("b", "c"):
        write(tmp_path / name / "kustomization.yaml", "resources: [missing.yaml]\n")
    with pytest.raises(RenderError, match=r"^b: kustomize build failed"):
        render_path(tmp_path, runner=ProcessRunner(env=env.environ), jobs=4)
