"""Fixtures for the Kubernetes API test server (secretsops_devstack.kubeapi).

``kubeapi_server`` (session) starts one server; ``kubeapi`` (function) is the same server wiped before
each test. Both yield the :class:`~secretsops_devstack.kubeapi.KubeApiServer`, which has ``.url``,
``.kubeconfig`` (context ``kubeapi-test``), ``.api_client()``, ``.reset()`` and ``.inject(...)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from secretsops_devstack.kubeapi import KubeApiServer


@pytest.fixture(scope="session")
def kubeapi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeApiServer]:
    """One Kubernetes API test server on 127.0.0.1 for the whole session."""
    with KubeApiServer() as server:
        server.write_kubeconfig(tmp_path_factory.mktemp("kubeapi") / "kubeconfig")
        yield server


@pytest.fixture
def kubeapi(request: pytest.FixtureRequest) -> Iterator[KubeApiServer]:
    """The session server with all state wiped (objects, CRDs, faults, request log) before the test.

    A test marked ``realkube`` gets the real control plane instead (tests/plugins/realkube.py): same
    ``url``, ``api_client()``, ``write_kubeconfig()``, ``reset()``; no ``inject``, no request log.
    """
    if request.node.get_closest_marker("realkube") is not None:
        yield request.getfixturevalue("realkube")
        return
    server: KubeApiServer = request.getfixturevalue("kubeapi_server")
    server.reset()
    yield server
