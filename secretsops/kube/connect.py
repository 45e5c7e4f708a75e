"""Build a :class:`KubeClient` at the edge: from a kubeconfig file or the in-cluster ServiceAccount.

Credentials are read here, once, by the command that starts (``reconcile``, ``seal``, the
controllers); library code only ever receives the client. Errors name the kubeconfig file and the
kind of problem, never its content (a kubeconfig holds tokens and keys).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secretsops.errors import UsageError
from secretsops.kube.client import KubeClient


class KubeconfigError(UsageError):
    """A kubeconfig that is missing or cannot be loaded; ``file`` names it."""


def default_kubeconfig(explicit: str | None = None) -> str | None:
    """``explicit``, else the first file of ``$KUBECONFIG``, else ``~/.kube/config`` if it exists."""
    if explicit:
        return explicit
    env = os.environ.get("KUBECONFIG")
    if env:
        return env.split(os.pathsep)[0]
    default = Path.home() / ".kube" / "config"
    return str(default) if default.exists() else None


def from_kubeconfig(path: str, context: str | None = None) -> KubeClient:
    """A client for ``context`` (default: the current one) of the kubeconfig at ``path``."""
    from kubernetes import config

    if not Path(path).is_file():
        raise KubeconfigError("kubeconfig not found", file=path)
    try:
        api = config.new_client_from_config(config_file=path, context=context)
    except Exception as exc:  # noqa: BLE001 - kubeconfig problems come in many types (YAML, shape)
        raise KubeconfigError(f"invalid kubeconfig ({type(exc).__name__})", file=path) from None
    _throttle_refresh(api.configuration)
    return KubeClient(api)


def _throttle_refresh(configuration: Any, every: float = 1.0) -> None:
    """Let the kubeconfig loader's credential refresh run at most once per ``every`` seconds.

    The official client calls it before *every* request, and it re-assigns the host, which makes
    the client scan the whole process environment for proxy variables: about 0.5 ms of Python per
    request, a tenth of a controller's CPU under load (profiled). Tokens that expire (exec and
    auth-provider credentials) are still refreshed, within a second of expiring.
    """
    if configuration.refresh_api_key_hook is None:
        return
    hook = [configuration.refresh_api_key_hook]
    last = [float("-inf")]

    def throttled(cfg: Any) -> None:
        now = time.monotonic()
        if now - last[0] < every:
            return
        last[0] = now
        hook[0](cfg)
        # the loader's hook installs a fresh copy of itself each time: keep ours in front
        if cfg.refresh_api_key_hook is not throttled and cfg.refresh_api_key_hook is not None:
            hook[0] = cfg.refresh_api_key_hook
        cfg.refresh_api_key_hook = throttled

    configuration.refresh_api_key_hook = throttled


def in_cluster() -> KubeClient:
    """A client with the pod's ServiceAccount token and CA (``KUBERNETES_SERVICE_HOST``)."""
    from kubernetes import client, config

    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)
    except config.ConfigException:
        raise KubeconfigError("no --kubeconfig given and not running inside a cluster") from None
    return KubeClient(client.ApiClient(configuration))


def connect(kubeconfig: str | None = None, context: str | None = None) -> KubeClient:
    """The engine's rule: ``--kubeconfig``, else ``$KUBECONFIG``, else the in-cluster account."""
    path = kubeconfig or os.environ.get("KUBECONFIG")
    return from_kubeconfig(path, context) if path else in_cluster()


@dataclass(frozen=True)
class KubeconfigContext:
    """What ``kubectl config view`` says about a context, without connecting."""

    name: str
    namespace: str


def kubeconfig_context(path: str, context: str | None = None) -> KubeconfigContext | None:
    """The named (or current) context of a kubeconfig; None when the file cannot be read."""
    from kubernetes import config

    try:
        contexts, active = config.list_kube_config_contexts(config_file=path)
    except Exception:  # noqa: BLE001 - an unreadable kubeconfig just means "no context"
        return None
    chosen = active
    if context:
        chosen = next((c for c in contexts if c.get("name") == context), active)
    if not chosen:
        return None
    return KubeconfigContext(
        str(chosen.get("name") or ""), str((chosen.get("context") or {}).get("namespace") or "")
    )
