"""Image references that move: ``:latest``, no tag, or a tag that is neither a digest nor
semver-like. What such a tag deploys changes without a commit, so git no longer says what runs.

Workloads (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob; init containers too) and Helm
values shaped ``image: {repository, tag}``. Templated values (``{{ }}``, ``${}``) are left alone:
what they become is decided elsewhere.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from secretsops.check.detectors.gitops_objects import GitopsSettings, containers, kind_of, pod_spec
from secretsops.check.scanfile import ScanFile
from secretsops.check.yamllines import line_of

RULE = "gitops-image-tag-mutable"
_SEMVER = re.compile(r"^v?\d+\.\d+(\.\d+)?([-+._][0-9A-Za-z][0-9A-Za-z.+_-]*)?$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_TEMPLATE = ("{{", "${", "$(")


def split_image(ref: str) -> tuple[str, str, str]:
    """(name, tag, digest) of an image reference; a ``host:port/`` registry is not a tag."""
    name, _, digest = ref.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = name[colon + 1 :] if colon > slash else ""
    return (name[:colon] if colon > slash else name), tag, digest


class MovingImageTags:
    def __init__(self, settings: GitopsSettings) -> None:
        self.settings = settings

    def pinned_tag(self, tag: str) -> bool:
        return bool(_SEMVER.match(tag)) or any(
            fnmatch.fnmatchcase(tag, p) for p in self.settings.allowed_tags
        )

    def moving(self, ref: str) -> bool:
        if any(t in ref for t in _TEMPLATE):
            return False
        _name, tag, digest = split_image(ref.strip())
        if _DIGEST.match(digest):
            return False
        return not tag or not self.pinned_tag(tag)

    def scan(self, file: ScanFile) -> None:
        if "image" not in file.text:
            return
        for doc in file.docs:
            spec = pod_spec(doc)
            if spec is not None:
                for list_name, container in containers(spec):
                    image = container.get("image")
                    if isinstance(image, str) and self.moving(image):
                        who = f"{kind_of(doc)}.{list_name}[{container.get('name', '')}].image"
                        file.report(RULE, line_of(container, "image"), who, image)
            elif isinstance(doc, dict) and "kind" not in doc:
                self._values(file, doc, "")

    def _values(self, file: ScanFile, node: Any, path: str) -> None:
        """Helm values: any ``image`` mapping with a ``repository``, at any depth."""
        if isinstance(node, list):
            for n, item in enumerate(node):
                self._values(file, item, f"{path}[{n}]")
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "image" and isinstance(value, dict) and isinstance(value.get("repository"), str):
                self._helm_image(file, value, where)
            else:
                self._values(file, value, where)

    def _helm_image(self, file: ScanFile, image: dict[str, Any], where: str) -> None:
        digest = image.get("digest")
        if isinstance(digest, str) and _DIGEST.match(digest):
            return
        tag = image.get("tag")
        if tag is None or tag == "":
            return  # the chart's appVersion, pinned by the chart version
        text = str(tag)
        if any(t in text for t in _TEMPLATE) or self.pinned_tag(text):
            return
        file.report(RULE, line_of(image, "tag"), f"{where}.tag", text)
