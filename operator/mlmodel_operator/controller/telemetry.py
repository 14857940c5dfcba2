"""The operator's own Prometheus metrics (a dedicated registry, served on settings.metrics_port)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, start_http_server

REGISTRY = CollectorRegistry(auto_describe=True)

RECONCILES = Counter(
    "mlmodel_operator_reconciles_total",
    "Reconcile passes by what started them and how they ended.",
    ["cause", "result"],
    registry=REGISTRY,
)
RETRAINS = Counter(
    "mlmodel_operator_retrains_total",
    "Training Jobs started, by trigger (Created, SpecChanged, Manual, MetricBreach).",
    ["trigger"],
    registry=REGISTRY,
)
GATE_REJECTIONS = Counter(
    "mlmodel_operator_gate_rejections_total",
    "Candidates the promotion gate refused, by reason.",
    ["reason"],
    registry=REGISTRY,
)
ERRORS = Counter(
    "mlmodel_operator_errors_total",
    "Failed reconcile passes by error kind.",
    ["kind"],
    registry=REGISTRY,
)
METRIC_READ_FAILURES = Counter(
    "mlmodel_operator_metric_read_failures_total",
    "Monitoring passes that could not read the model's metric.",
    registry=REGISTRY,
)


def serve(port: int) -> None:
    """Expose the registry on 0.0.0.0:<port>/metrics (0 = don't)."""
    if port:
        start_http_server(port, registry=REGISTRY)
