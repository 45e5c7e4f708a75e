"""Flux's ``patches``, ``images``, ``namePrefix`` and ``nameSuffix``, applied by kustomize itself.

kustomize-controller writes these fields into the kustomization it builds. We build the user's
tree as it is (``engine.render``), then run kustomize once more on a generated overlay in a
private work directory: ``objects.yaml`` (the rendered objects — ciphertext, exactly what git
holds) plus a ``kustomization.yaml`` with the fields. Strategic-merge and JSON6902 patches, their
``target`` selectors (group, version, kind, name, namespace, labelSelector, annotationSelector),
image overrides and name transforms therefore behave exactly as kustomize's, name references
included. Each object carries a temporary annotation through the build so it keeps where it
came from; SOPS documents keep their origin file, so their MAC is still verified against the
file's own bytes after a patch or a rename (a patch that touches an encrypted value fails).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from secretsops import yamlio
from secretsops.decryptors.sops import ORIGIN, SopsOrigin
from secretsops.engine import kustomize
from secretsops.engine.proc import ProcessRunner
from secretsops.engine.workdir import private_dir
from secretsops.errors import InputError, RenderError
from secretsops.manifests import SourcedObject, is_kubernetes_object, iter_objects
from secretsops.yamlio.dump import dump, dump_all

#: the temporary annotation that carries an object's index through the overlay build
ITEM = "secretsops.io/overlay-item"


def apply_overlay(
    items: list[SourcedObject], overlay: str, runner: ProcessRunner, base: Path | None = None
) -> list[SourcedObject]:
    """``items`` transformed by the overlay fields (a JSON object; "" = unchanged)."""
    if not overlay:
        return items
    fields = json.loads(overlay)
    docs = []
    for index, item in enumerate(items):
        obj = copy.deepcopy(item.obj)
        meta = obj.setdefault("metadata", {})
        meta["annotations"] = {**(meta.get("annotations") or {}), ITEM: str(index)}
        docs.append(obj)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["objects.yaml"],
        **fields,
    }
    with private_dir("secretsops-overlay-", base) as work:
        (work / "objects.yaml").write_text(dump_all(docs))
        (work / "kustomization.yaml").write_text(dump(kustomization))
        text = kustomize.build(work, runner, "spec.patches/images/namePrefix/nameSuffix")
    try:
        built = [i.obj for i in iter_objects(yamlio.parse_documents(text, "overlay output"), "overlay")]
    except InputError as exc:
        raise RenderError(str(exc)) from None
    out: list[SourcedObject] = []
    for obj in built:
        if not is_kubernetes_object(obj):
            continue
        annotations = obj["metadata"].get("annotations") or {}
        index = annotations.pop(ITEM, None)
        if not annotations:
            obj["metadata"].pop("annotations", None)
        if index is None or not str(index).isdigit() or int(index) >= len(items):
            raise RenderError("an object made by a patch is not among the rendered objects")
        source = items[int(index)]
        extra = dict(source.extra)
        raw = extra.pop("sops_raw", None)
        if raw is not None and ORIGIN not in extra:
            # a plain SOPS file: after a patch, its MAC is checked against the file's bytes
            extra[ORIGIN] = SopsOrigin(source.path, raw[0], raw[1])
        out.append(SourcedObject(obj, source.path, source.index, extra))
    return out
