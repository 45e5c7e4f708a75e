"""Fixtures for the real control plane (tests/realkube.py): etcd + kube-apiserver built from pinned modules.

``realkube_server`` (session) starts one control plane per test process; ``realkube`` (function) is the
same control plane with everything the previous test created removed. A test marked ``realkube`` that
asks for ``kubeapi`` gets the real server (see tests/plugins/kubeapi.py), so moving a test to the real
server is one marker. Under ``pytest -n 2 --dist loadfile`` (scripts/test.sh) each worker starts one
control plane when its first real-server test runs (an apiserver is ~300 MB and ~5 s of start-up), and a
module's tests stay together, in order, on one worker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.realkube import TOOLS_BIN, ControlPlane


def pytest_configure(config: pytest.Config) -> None:
    # The pinned kubectl/kustomize/helm come before whatever the machine has (e.g. a gcloud kubectl
    # dispatcher at another version), for the tests and the children they start.
    path = os.environ.get("PATH", "")
    if not path.startswith(f"{TOOLS_BIN}{os.pathsep}"):
        os.environ["PATH"] = f"{TOOLS_BIN}{os.pathsep}{path}"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        uses = "realkube" in getattr(item, "fixturenames", ()) or "realkube_server" in getattr(
            item, "fixturenames", ()
        )
        if uses and item.get_closest_marker("realkube") is None:
            item.add_marker(pytest.mark.realkube)


@pytest.fixture(scope="session")
def realkube_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """One real control plane on 127.0.0.1 for this test process (admin kubeconfig written)."""
    with ControlPlane() as cp:
        cp.write_kubeconfig(tmp_path_factory.mktemp("realkube") / "kubeconfig")
        yield cp


@pytest.fixture
def realkube(realkube_server: ControlPlane) -> Iterator[ControlPlane]:
    """The session control plane with every object earlier tests created removed."""
    realkube_server.reset()
    yield realkube_server
