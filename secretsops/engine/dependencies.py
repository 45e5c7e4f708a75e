"""Flux's ``dependsOn`` between sources: order, and the readiness a waiting source checks.

A source whose dependencies' last pass is not Ready (Ready condition ``True``: applied and, with
``wait``/``healthChecks``, healthy) does not render or apply anything; it reports
``DependencyNotReady`` and tries again after at most 30 s (Flux's ``--requeue-dependency``), or
as soon as a dependency's pass succeeds. Cycles and unknown names are refused when
``sources.yaml`` loads (``engine.config.check_dependencies``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from secretsops.engine.config import SourceSpec
from secretsops.engine.status import SourceStatus
from secretsops.errors import EngineError

#: how long a source waits before it looks at its dependencies again
REQUEUE_DEPENDENCY = 30.0


class DependencyNotReady(EngineError):
    """A dependency's last pass is not Ready: nothing of this source is rendered or applied."""

    temporary = True
    condition_reason = "DependencyNotReady"


class HasStatus(Protocol):
    spec: SourceSpec
    status: SourceStatus


T = TypeVar("T", bound=HasStatus)


def dependency_order(reconcilers: Sequence[T]) -> list[T]:
    """Dependencies before their dependents; otherwise the order given (stable)."""
    by_name = {r.spec.name: r for r in reconcilers}
    done: set[str] = set()
    out: list[T] = []

    def visit(rec: T, seen: frozenset[str]) -> None:
        if rec.spec.name in done or rec.spec.name in seen:
            return
        for dep in rec.spec.depends_on:
            if dep in by_name:
                visit(by_name[dep], seen | {rec.spec.name})
        done.add(rec.spec.name)
        out.append(rec)

    for rec in reconcilers:
        visit(rec, frozenset())
    return out


def check_ready(spec: SourceSpec, known: dict[str, HasStatus]) -> None:
    """Raise ``DependencyNotReady`` naming the first dependency that is not Ready."""
    for name in spec.depends_on:
        dep = known.get(name)
        if dep is None:
            raise DependencyNotReady(f"dependency {name} is not reconciled by this engine (another shard?)")
        ready = dep.status.condition("Ready")
        if ready is None or ready.status != "True":
            state = "has not run yet" if ready is None else f"is not ready ({ready.reason})"
            raise DependencyNotReady(f"dependency {name} {state}")
