"""kopf wiring only: which events start a reconcile pass, and how errors map to retries.

    MLModel create/update/resume ─┐
    training Job events ──────────┼─► _pass(namespace, name) ─► reconcile.run(...)
    serving Deployment/Pod events ┘
    monitoring daemon (every spec.monitoring.intervalSeconds) ─► reconcile.run(read_metric=...)

Passes for one model are serialised with a lock (kopf runs sync handlers in threads), and every
pass re-reads the MLModel from the API, so the order of events does not matter.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import kopf

from mlmodel_operator.api import contract, v1alpha1
from mlmodel_operator.controller import (
    kube,
    metrics_source,
    observed,
    reconcile,
    retraining,
    telemetry,
)
from mlmodel_operator.controller.errors import ApiRefused, InvalidSpec, TransientApiError
from mlmodel_operator.controller.settings import OperatorSettings

log = logging.getLogger("mlmodel_operator.controller")

SETTINGS = OperatorSettings.from_env()
TRANSIENT_DELAY = 5.0
REFUSED_DELAY = 30.0
MLMODELS = (v1alpha1.GROUP, v1alpha1.VERSION, v1alpha1.PLURAL)

_cluster: kube.KubeCluster | None = None
_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(namespace: str, name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault((namespace, name), threading.Lock())


def _get_cluster() -> kube.KubeCluster:
    global _cluster
    if _cluster is None:
        kube.load_config()
        _cluster = kube.KubeCluster()
    return _cluster


def _read_metric(
    monitoring: v1alpha1.MonitoringSpec, pods: Sequence[observed.PodState]
) -> retraining.Observation:
    return metrics_source.read(
        monitoring=monitoring, pods=pods, timeout=SETTINGS.scrape_timeout_seconds
    )


def _pass(namespace: str, name: str, *, cause: str, monitor: bool = False) -> None:
    """One reconcile pass with telemetry; raises kopf's errors so kopf retries or gives up."""
    with _lock(namespace, name):
        try:
            result = reconcile.run(
                cluster=_get_cluster(),
                namespace=namespace,
                name=name,
                now=datetime.now(UTC),
                default_image=SETTINGS.runtime_image,
                read_metric=_read_metric if monitor else None,
            )
        except InvalidSpec as exc:
            telemetry.ERRORS.labels("InvalidSpec").inc()
            telemetry.RECONCILES.labels(cause, "invalid").inc()
            raise kopf.PermanentError(str(exc)) from exc
        except TransientApiError as exc:
            telemetry.ERRORS.labels("Transient").inc()
            telemetry.RECONCILES.labels(cause, "retry").inc()
            raise kopf.TemporaryError(str(exc), delay=TRANSIENT_DELAY) from exc
        except ApiRefused as exc:
            telemetry.ERRORS.labels("Refused").inc()
            telemetry.RECONCILES.labels(cause, "retry").inc()
            raise kopf.TemporaryError(str(exc), delay=REFUSED_DELAY) from exc
    telemetry.RECONCILES.labels(cause, "ok").inc()
    if result.started_version is not None:
        telemetry.RETRAINS.labels(result.trigger).inc()
    for reason in result.gate_rejections:
        telemetry.GATE_REJECTIONS.labels(reason).inc()
    if result.metric_error:
        telemetry.METRIC_READ_FAILURES.inc()
    for event in result.events:
        log.info("MLModel %s/%s: %s %s", namespace, name, event.reason, event.message)


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    """Keep kopf's bookkeeping in annotations (status is ours alone) and start our metrics."""
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=v1alpha1.GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=v1alpha1.GROUP, key="last-handled-configuration"
    )
    settings.peering.standalone = True
    settings.execution.max_workers = 8
    _get_cluster()
    telemetry.serve(SETTINGS.metrics_port)
    log.info(
        "Started the MLModel operator (runtime image %s, namespaces %s)",
        SETTINGS.runtime_image,
        ",".join(SETTINGS.namespaces) or "all",
    )


@kopf.on.create(*MLMODELS)
@kopf.on.update(*MLMODELS)
@kopf.on.resume(*MLMODELS)
def reconcile_model(name: str, namespace: str | None, reason: str, **_: Any) -> None:
    if namespace:
        _pass(namespace, name, cause=str(reason))


def _follow_child(body: kopf.Body, namespace: str | None, cause: str) -> None:
    """A child changed: reconcile its MLModel (errors are logged; the daemon retries later)."""
    model = (body.get("metadata", {}).get("labels") or {}).get(contract.LABEL_INSTANCE)
    if not model or not namespace:
        return
    try:
        _pass(namespace, model, cause=cause)
    except (kopf.TemporaryError, kopf.PermanentError) as exc:
        log.warning(
            "Reconcile of MLModel %s/%s after a %s change failed: %s", namespace, model, cause, exc
        )


_TRAINER_LABELS = {
    contract.LABEL_MANAGED_BY: contract.MANAGER,
    contract.LABEL_COMPONENT: contract.COMPONENT_TRAINER,
}
_SERVER_LABELS = {
    contract.LABEL_MANAGED_BY: contract.MANAGER,
    contract.LABEL_COMPONENT: contract.COMPONENT_SERVER,
}


@kopf.on.event("batch", "v1", "jobs", labels=_TRAINER_LABELS)
def training_job_changed(body: kopf.Body, namespace: str | None, **_: Any) -> None:
    _follow_child(body, namespace, "job")


@kopf.on.event("apps", "v1", "deployments", labels=_SERVER_LABELS)
def server_deployment_changed(body: kopf.Body, namespace: str | None, **_: Any) -> None:
    _follow_child(body, namespace, "deployment")


def _pod_problem(body: kopf.Body, **_: Any) -> bool:
    """Only crash-like pod changes are worth a pass; readiness shows on the Deployment."""
    statuses = body.get("status", {}).get("containerStatuses") or []
    return any(
        ((cs.get("state") or {}).get("waiting") or {}).get("reason") in observed.CRASH_REASONS
        for cs in statuses
    )


@kopf.on.event("", "v1", "pods", labels=_SERVER_LABELS, when=_pod_problem)
def server_pod_crashing(body: kopf.Body, namespace: str | None, **_: Any) -> None:
    _follow_child(body, namespace, "pod")


@kopf.daemon(*MLMODELS, cancellation_timeout=5.0)
def monitor(
    stopped: kopf.DaemonStopped, name: str, namespace: str | None, spec: kopf.Spec, **_: Any
) -> None:
    """Every monitoring.intervalSeconds: a full pass that also reads the metric and may retrain."""
    if not namespace:
        return
    while not stopped:
        try:
            _pass(namespace, name, cause="monitor", monitor=True)
        except kopf.PermanentError:
            pass  # invalid spec: already in status; wait for the next edit
        except kopf.TemporaryError as exc:
            log.warning("Monitoring pass of MLModel %s/%s failed: %s", namespace, name, exc)
        try:
            interval = float(spec.get("monitoring", {}).get("intervalSeconds", 30))
        except (TypeError, ValueError):
            interval = 30.0
        stopped.wait(max(interval, 1.0))
