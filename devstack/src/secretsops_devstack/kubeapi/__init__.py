"""A Kubernetes API test server: discovery, CRUD, patches, server-side apply, watch, CRDs, in memory.

No real apiserver can run where the tests run, so the engine, sealing-key lookup and ESO auth are tested
against this one. It speaks the apiserver's wire format (JSON, ``Status`` errors, ``managedFields``) for
everything those use, on plain HTTP on 127.0.0.1 without auth. State is never written to disk.
"""

from __future__ import annotations

from .server import CONTEXT, KubeApiServer

__all__ = ["CONTEXT", "KubeApiServer"]
