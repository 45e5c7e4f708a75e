"""Prometheus metrics of the engine, on a registry passed in (no global registry)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class EngineMetrics:
    registry: CollectorRegistry
    duration: Histogram
    errors: Counter
    applied: Counter
    pruned: Counter
    drifted: Counter
    decrypt_calls: Counter
    ready: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> EngineMetrics:
        reg = registry if registry is not None else CollectorRegistry()
        return cls(
            registry=reg,
            duration=Histogram(
                "secretsops_reconcile_duration_seconds",
                "Duration of one reconcile pass",
                ["source"],
                registry=reg,
                buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            ),
            errors=Counter(
                "secretsops_reconcile_errors", "Failed passes", ["source", "reason"], registry=reg
            ),
            applied=Counter("secretsops_objects_applied", "Objects applied", ["source"], registry=reg),
            pruned=Counter("secretsops_objects_pruned", "Objects pruned", ["source"], registry=reg),
            drifted=Counter("secretsops_objects_drifted", "Objects found drifted", ["source"], registry=reg),
            decrypt_calls=Counter(
                "secretsops_decrypt_calls",
                "Key-service calls by key source",
                ["source", "key_source"],
                registry=reg,
            ),
            ready=Gauge(
                "secretsops_source_ready", "1 when the source's last pass succeeded", ["source"], registry=reg
            ),
        )
