"""Label and field selectors, parsed the way the apiserver parses them (errors are 400 BadRequest)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .status import bad_request

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_SET_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s+(?P<op>in|notin)\s*\((?P<vals>[^)]*)\)\s*$")
_CMP_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s*(?P<op>==|!=|=|>|<)\s*(?P<val>[-A-Za-z0-9_.]*)\s*$")
_EXISTS_RE = re.compile(rf"^\s*(?P<neg>!?)\s*(?P<key>{_KEY})\s*$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # in, notin, exists, !, =, !=, gt, lt
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and value in self.values
        if self.op in ("!=", "notin"):
            return not present or value not in self.values
        if not present:
            return False
        try:
            have, want = int(str(value)), int(self.values[0])
        except ValueError:
            return False
        return have > want if self.op == "gt" else have < want


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def parse_label_selector(text: str) -> list[Requirement]:
    """``a=b,c!=d,e in (f,g),h notin (i),j,!k,l>3`` → requirements (all must hold)."""
    reqs: list[Requirement] = []
    if not text.strip():
        return reqs
    for part in _split_top(text):
        m = _SET_RE.match(part)
        if m:
            vals = tuple(v.strip() for v in m["vals"].split(",") if v.strip())
            if not vals:
                raise bad_request(
                    f"unable to parse requirement: for '{m['op']}' set operator, values set can't be empty"
                )
            reqs.append(Requirement(m["key"], m["op"], vals))
            continue
        m = _CMP_RE.match(part)
        if m:
            op = {"==": "=", ">": "gt", "<": "lt"}.get(m["op"], m["op"])
            if op in ("gt", "lt") and not re.fullmatch(r"-?\d+", m["val"]):
                raise bad_request(
                    "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"
                )
            reqs.append(Requirement(m["key"], op, (m["val"],)))
            continue
        m = _EXISTS_RE.match(part)
        if m:
            reqs.append(Requirement(m["key"], "!" if m["neg"] else "exists"))
            continue
        raise bad_request(f"unable to parse requirement: found '{part.strip()}', expected: identifier")
    return reqs


def labels_match(reqs: list[Requirement], obj: Mapping[str, Any]) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(r.matches(labels) for r in reqs)


#: fields selectable beyond metadata.name / metadata.namespace, per kind (as the apiserver registers them)
EXTRA_FIELDS: dict[str, tuple[str, ...]] = {
    "Secret": ("type",),
    "Pod": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "Event": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
        "regarding.kind",
        "regarding.name",
        "regarding.namespace",
        "regarding.uid",
    ),
    "Namespace": ("status.phase",),
    "Job": ("status.successful",),
    "ReplicaSet": ("status.replicas",),
}


def _lookup(obj: Mapping[str, Any], dotted: str) -> str:
    cur: Any = obj
    for part in dotted.split("."):
        if not isinstance(cur, Mapping):
            return ""
        cur = cur.get(part)
    return "" if cur is None else str(cur)


def parse_field_selector(text: str, kind: str) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate for ``metadata.name=x,metadata.namespace!=y``; unknown fields are rejected (400)."""
    terms: list[tuple[str, bool, str]] = []
    for part in (p for p in text.split(",") if p.strip()):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*$", part)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        name, op, value = m.groups()
        if name not in ("metadata.name", "metadata.namespace") and name not in EXTRA_FIELDS.get(kind, ()):
            if kind in EXTRA_FIELDS:  # kinds with their own field labels (as kube-apiserver words it)
                raise bad_request(f"field label not supported: {name}")
            only = '"metadata.name", "metadata.namespace"'
            raise bad_request(f'"{name}" is not a known field selector: only {only}')
        terms.append((name, op == "!=", value))

    def predicate(obj: Mapping[str, Any]) -> bool:
        for name, negate, value in terms:
            have = _lookup(obj, name)
            if (have == value) == negate:
                return False
        return True

    return predicate
