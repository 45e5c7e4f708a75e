"""Argo CD's safer mode: render without decrypting, for the in-cluster controllers to open.

In the default mode the Argo CD plugin decrypts, so plaintext Secrets pass through Argo CD's
repo-server, its manifest cache (Redis) and its UI. In passthrough mode nothing is decrypted and
no key is needed where Argo CD runs: SealedSecrets and ExternalSecrets are emitted as they are
(the sealed-secrets-compatible and ESO-compatible controllers of ``secretsops controller`` open
them), and each SOPS-encrypted Secret becomes a ``SopsSecret`` (``secretsops.io/v1``) whose
``spec.sops`` is the file exactly as sops wrote it — text, because the API server reorders
fields and the MAC covers every value. The ``sopssecrets`` controller decrypts it in the cluster
and writes the Secret, owned by the SopsSecret.

What cannot pass through fails with a message saying why (fail closed, nothing on stdout):

* a SOPS ``secretGenerator`` (``files``/``envs``): the controller opens whole Secret manifests;
* a SOPS file holding other kinds than Secret, or several documents;
* a SOPS Secret whose name or namespace kustomize changed (namePrefix, ``namespace:``): the MAC
  binds the document's own, and the controller refuses to open it elsewhere;
* a SOPS object from a remote base (no origin file to carry).
"""

from __future__ import annotations

from typing import Any

from secretsops import yamlio
from secretsops.decryptors.sops import ORIGIN, UNLOCATED, SopsOrigin
from secretsops.engine.kustomize import GENERATED
from secretsops.errors import InputError, RenderError
from secretsops.manifests import Obj, SourcedObject

API_VERSION = "secretsops.io/v1"
KIND = "SopsSecret"


def pass_through(items: list[SourcedObject], default_namespace: str = "") -> list[SourcedObject]:
    """The objects to hand Argo CD: SOPS Secrets wrapped as SopsSecrets, the rest as declared."""
    out: list[SourcedObject] = []
    for item in items:
        if item.extra.get(GENERATED) is not None:
            raise RenderError(
                "generated from SOPS-encrypted secretGenerator inputs: passthrough mode cannot carry "
                "them (the controller opens whole SOPS Secret manifests); encrypt a Secret manifest "
                "instead, or use the decrypt mode",
                file=item.where,
                object=str(item.id),
            )
        if isinstance(item.obj.get("sops"), dict):
            out.append(SourcedObject(wrap(item, default_namespace), item.path, item.index, {}))
        else:
            out.append(item)
    return out


def _origin(item: SourcedObject) -> tuple[bytes, str]:
    raw = item.extra.get("sops_raw")
    if raw is not None:
        return raw[0], raw[1]
    origin = item.extra.get(ORIGIN)
    if isinstance(origin, SopsOrigin):
        return origin.data, origin.fmt
    why = item.extra.get(UNLOCATED) or "its origin file was not found"
    raise RenderError(f"passthrough mode needs the SOPS file as sops wrote it: {why}", file=item.where)


def wrap(item: SourcedObject, default_namespace: str = "") -> Obj:
    """The SopsSecret carrying ``item``'s origin file (one SOPS-encrypted v1 Secret)."""
    where = {"file": item.where, "object": str(item.id)}
    obj = item.obj
    if obj.get("kind") != "Secret" or str(obj.get("apiVersion")) != "v1":
        raise RenderError(
            "a SOPS-encrypted object that is not a v1 Secret cannot pass through (SopsSecret carries "
            "Secrets only); use the decrypt mode",
            **where,
        )
    data, fmt = _origin(item)
    if fmt not in ("yaml", "json"):
        raise RenderError(f"a SOPS {fmt} file cannot pass through (yaml or json only)", **where)
    try:
        text = data.decode("utf-8")
        docs = [d for d in yamlio.parse_documents(text, item.path) if d is not None]
    except (UnicodeDecodeError, InputError):
        raise RenderError("the SOPS file does not parse", **where) from None
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise RenderError(
            f"the SOPS file holds {len(docs)} documents: passthrough carries one Secret per file", **where
        )
    meta = obj.get("metadata") or {}
    name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or default_namespace)
    declared: dict[str, Any] = docs[0].get("metadata") or {}
    for field, placed in (("name", name), ("namespace", namespace)):
        own = declared.get(field)
        if own not in (None, "") and str(own) != placed:
            raise RenderError(
                f"kustomize changed the SOPS Secret's {field} from {own} to {placed}: its MAC binds "
                f"the {field} it was encrypted with, so the controller would not open it there; drop "
                f"metadata.{field} from the encrypted file or the transform",
                **where,
            )
    out_meta: dict[str, Any] = {"name": name}
    if namespace:
        out_meta["namespace"] = namespace
    for field in ("labels", "annotations"):
        if isinstance(meta.get(field), dict) and meta[field]:
            out_meta[field] = dict(meta[field])
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": out_meta,
        "spec": {"format": fmt, "sops": text},
    }
