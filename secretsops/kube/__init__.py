"""The one Kubernetes gateway: the only package that imports the ``kubernetes`` client.

* ``client.KubeClient`` — every API call (discovery, get/list/watch, create/apply/replace/patch/
  delete with dry-run, TokenRequest, the service proxy, impersonation, retries);
* ``status`` — failures mapped once to ``secretsops.errors.KubeError`` (status, reason, field
  names; never the server's message);
* ``resources`` — REST paths, the well-known core kinds; ``watch`` — the event stream;
* ``connect`` — building a client at the edge from a kubeconfig or the in-cluster ServiceAccount.

It sits below ``sops``/``sealed``/``external`` (it imports only ``manifests`` and ``errors``), so
the sealed keyring, the ExternalSecret lookups, the decryptors, the engine and the controllers all
reach the cluster the same way. ``.importlinter`` forbids ``kubernetes`` everywhere else.
"""

from secretsops.kube.client import FIELD_MANAGER, Backoff, Impersonation, KubeClient
from secretsops.kube.connect import (
    KubeconfigError,
    connect,
    default_kubeconfig,
    from_kubeconfig,
    in_cluster,
    kubeconfig_context,
)
from secretsops.kube.resources import Resource
from secretsops.kube.watch import WatchStream

__all__ = [
    "FIELD_MANAGER",
    "Backoff",
    "Impersonation",
    "KubeClient",
    "KubeconfigError",
    "Resource",
    "WatchStream",
    "connect",
    "default_kubeconfig",
    "from_kubeconfig",
    "in_cluster",
    "kubeconfig_context",
]
