"""Prometheus metrics of the controllers, on a registry of their own (never the global one).

Names follow the controllers they replace where a dashboard may already read them: the
sealed-secrets controller's ``sealed_secrets_controller_*`` and ESO's ``externalsecret_*``;
our own are ``secretsops_controller_*``. Labels carry names and namespaces, never values.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class ControllerMetrics:
    registry: CollectorRegistry
    reconciles: Counter
    duration: Histogram
    queue_depth: Gauge
    provider_calls: Counter
    unseal_requests: Counter
    unseal_errors: Counter
    es_sync_calls: Counter
    es_sync_errors: Counter
    es_condition: Gauge
    events_dropped: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> ControllerMetrics:
        reg = registry if registry is not None else CollectorRegistry()
        return cls(
            registry=reg,
            reconciles=Counter(
                "secretsops_controller_reconciles",
                "Reconciles by controller and result",
                ["controller", "result"],
                registry=reg,
            ),
            duration=Histogram(
                "secretsops_controller_reconcile_duration_seconds",
                "Duration of one reconcile",
                ["controller"],
                registry=reg,
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            ),
            queue_depth=Gauge(
                "secretsops_controller_queue_depth",
                "Keys waiting in the work queue",
                ["controller"],
                registry=reg,
            ),
            provider_calls=Counter(
                "secretsops_controller_provider_calls",
                "Calls to key services and secret providers",
                ["controller", "call"],
                registry=reg,
            ),
            unseal_requests=Counter(
                "sealed_secrets_controller_unseal_requests",
                "Total number of sealed secret unseal requests",
                registry=reg,
            ),
            unseal_errors=Counter(
                "sealed_secrets_controller_unseal_errors",
                "Total number of sealed secret unseal errors by reason",
                ["reason", "namespace"],
                registry=reg,
            ),
            es_sync_calls=Counter(
                "externalsecret_sync_calls",
                "Total number of the External Secret sync calls",
                ["name", "namespace"],
                registry=reg,
            ),
            es_sync_errors=Counter(
                "externalsecret_sync_calls_error",
                "Total number of the External Secret sync errors",
                ["name", "namespace"],
                registry=reg,
            ),
            es_condition=Gauge(
                "externalsecret_status_condition",
                "The status condition of a specific External Secret",
                ["name", "namespace", "condition", "status"],
                registry=reg,
            ),
            events_dropped=Counter(
                "secretsops_controller_events_dropped",
                "Events not written: queue full, spam filter (25 per object, then 1 per 5 min), write failed",
                ["reason"],
                registry=reg,
            ),
        )
