"""One reconcile pass: parse -> desired -> apply -> observe -> settle -> status patch.

    read MLModel ─► parse spec ─► PVC ─► observe Jobs ─► settle (gate) ─► monitor (timer only)
        ─► maybe start a training Job ─► apply Deployment+Service ─► conditions/phase ─► patch

Every pass recomputes the status from the children (level-based), so create, update, resume,
Job/Deployment events and the monitoring timer all call the same `run`. I/O is passed in: a
`Cluster` (kube.py in production) and an optional metric reader (monitoring passes only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from mlmodel_operator.api import contract, v1alpha1
from mlmodel_operator.api.v1alpha1 import ConditionType, MLModelSpec, MLModelStatus, VersionState
from mlmodel_operator.controller import events, observed, retraining, status, versions
from mlmodel_operator.controller.desired import deployment, job, names, pvc, service
from mlmodel_operator.controller.errors import InvalidSpec, MetricUnavailable

log = logging.getLogger(__name__)

JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_JOB_NAME_LABEL = "job-name"


class Cluster(Protocol):
    """What a pass needs from the API server (implemented by kube.KubeCluster)."""

    def get_model(self, namespace: str, name: str) -> dict[str, Any] | None: ...
    def ensure_created(self, manifest: dict[str, Any]) -> dict[str, Any]: ...
    def apply(self, manifest: dict[str, Any]) -> dict[str, Any]: ...
    def list_jobs(self, namespace: str, selector: str) -> list[dict[str, Any]]: ...
    def list_pods(self, namespace: str, selector: str) -> list[dict[str, Any]]: ...
    def get_deployment(self, namespace: str, name: str) -> dict[str, Any] | None: ...
    def patch_status(self, namespace: str, name: str, patch: dict[str, Any]) -> None: ...
    def post_event(self, model: dict[str, Any], event: events.Event) -> None: ...


MetricReader = Callable[
    [v1alpha1.MonitoringSpec, Sequence[observed.PodState]], retraining.Observation
]


@dataclass
class PassResult:
    """What a pass did, for logs and operator metrics."""

    found: bool = True
    phase: str = ""
    status_written: bool = False
    started_version: int | None = None
    trigger: str = ""
    gate_rejections: list[str] = field(default_factory=list)
    decision: retraining.RetrainDecision | None = None
    metric_error: str = ""
    events: list[events.Event] = field(default_factory=list)


def _prior_status(raw: dict[str, Any]) -> MLModelStatus:
    try:
        return MLModelStatus.model_validate(raw)
    except ValidationError:
        log.warning("Ignored an unreadable MLModel status; rebuilding it from the children")
        return MLModelStatus()


def _job_states(cluster: Cluster, namespace: str, model: str) -> dict[int, observed.JobState]:
    selector = names.selector_string(model, component=contract.COMPONENT_TRAINER)
    pods_by_job: dict[str, list[dict[str, Any]]] = {}
    for pod in cluster.list_pods(namespace, selector):
        labels = (pod.get("metadata") or {}).get("labels") or {}
        owner = labels.get(JOB_NAME_LABEL) or labels.get(LEGACY_JOB_NAME_LABEL)
        if owner:
            pods_by_job.setdefault(owner, []).append(pod)
    out: dict[int, observed.JobState] = {}
    for raw in cluster.list_jobs(namespace, selector):
        state = observed.job_state(raw, pods_by_job.get(raw["metadata"]["name"], []))
        if state.version >= 1:
            out[state.version] = state
    return out


def _invalid(
    cluster: Cluster,
    body: dict[str, Any],
    prior: MLModelStatus,
    error: ValidationError,
    now: datetime,
) -> None:
    meta = body["metadata"]
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "spec"
    message = f"spec.{where}: {first['msg']}" + (
        f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    )
    new = prior.model_copy(deep=True)
    new.phase = v1alpha1.Phase.FAILED
    new.observed_generation = meta.get("generation")
    new.conditions = status.set_condition(
        new.conditions,
        ctype=ConditionType.READY if prior.serving_version is None else ConditionType.TRAINED,
        status="False",
        reason="InvalidSpec",
        message=message,
        now=now,
        generation=meta.get("generation"),
    )
    patch = status.status_patch(body.get("status") or {}, new)
    if patch is not None:
        cluster.patch_status(meta["namespace"], meta["name"], patch)
        cluster.post_event(body, events.warning("InvalidSpec", message))
    raise InvalidSpec(message)


def run(
    *,
    cluster: Cluster,
    namespace: str,
    name: str,
    now: datetime,
    default_image: str,
    read_metric: MetricReader | None = None,
) -> PassResult:
    """Bring one MLModel's children and status in line with its spec and the world."""
    body = cluster.get_model(namespace, name)
    if body is None:
        return PassResult(found=False)
    meta = body["metadata"]
    if meta.get("deletionTimestamp"):
        return PassResult(found=True)
    generation: int | None = meta.get("generation")
    raw_status: dict[str, Any] = body.get("status") or {}
    prior = _prior_status(raw_status)
    try:
        spec = MLModelSpec.model_validate(body.get("spec") or {})
    except ValidationError as exc:
        _invalid(cluster, body, prior, exc, now)
        raise  # unreachable: _invalid raises
    result = PassResult()
    owner = names.Owner(name=name, namespace=namespace, uid=meta["uid"])

    # -- storage ---------------------------------------------------------------------------
    claim = pvc.desired_pvc(owner=owner, spec=spec)
    if claim is not None:
        cluster.ensure_created(claim)

    # -- training Jobs: observe, adopt, settle --------------------------------------------
    jobs = _job_states(cluster, namespace, name)
    history = versions.adopt_jobs(prior.versions, jobs)
    settled = versions.settle(
        versions=history,
        serving_version=prior.serving_version,
        jobs=jobs,
        policy=spec.retraining.gate,
        now=now,
    )
    result.events.extend(settled.events)
    result.gate_rejections = settled.gate_rejections
    history = settled.versions
    serving_version = settled.serving_version

    # -- serving: observe before monitoring ------------------------------------------------
    server_selector = names.selector_string(name, component=contract.COMPONENT_SERVER)
    dep_raw = cluster.get_deployment(namespace, names.server_name(name))
    dep_pods = cluster.list_pods(namespace, server_selector)
    dep = observed.deployment_state(dep_raw, dep_pods)

    # -- monitoring (timer passes) ------------------------------------------------------------
    new = prior.model_copy(deep=True)
    new.retrain_times = status.recent_times(prior.retrain_times, now=now)
    conditions = list(prior.conditions)
    if serving_version != prior.serving_version and serving_version is not None:
        # The last reading measured the version that no longer serves.
        conditions = status.set_condition(
            conditions,
            ctype=ConditionType.DEGRADED,
            status="Unknown",
            reason=retraining.NO_READING,
            message=f"no reading of v{serving_version} yet",
            now=now,
            generation=generation,
        )
    if read_metric is not None:
        conditions, decision = _monitor(
            spec=spec,
            read_metric=read_metric,
            dep=dep,
            new=new,
            history=history,
            serving_version=serving_version,
            conditions=conditions,
            now=now,
            generation=generation,
            result=result,
        )
    else:
        decision = None

    # -- maybe train a new version ---------------------------------------------------------
    current_hash = versions.spec_hash(spec)
    trigger = versions.next_trigger(
        versions=history,
        jobs=jobs,
        current_hash=current_hash,
        retrain_annotation=(meta.get("annotations") or {}).get(contract.ANNOTATION_RETRAIN, ""),
    )
    if trigger is None and decision is not None and decision.retrain:
        trigger = versions.Trigger(versions.TRIGGER_METRIC_BREACH, decision.message)
        new.retrain_count += 1
        new.last_retrain_time = status.rfc3339(now)
        new.retrain_times = [*new.retrain_times, status.rfc3339(now)]
    if trigger is not None:
        number = versions.next_number(history, jobs)
        manifest = job.desired_job(
            owner=owner,
            spec=spec,
            version=number,
            baseline_version=serving_version,
            default_image=default_image,
            trigger=trigger.reason,
            trigger_message=trigger.message,
            spec_hash=current_hash,
            retrain_seen=(meta.get("annotations") or {}).get(contract.ANNOTATION_RETRAIN, ""),
        )
        created = cluster.ensure_created(manifest)
        history.append(
            v1alpha1.ModelVersion(
                version=number,
                trigger=trigger.reason,
                trigger_message=trigger.message,
                job_name=manifest["metadata"]["name"],
                spec_hash=current_hash,
                started_at=str(
                    (created.get("metadata") or {}).get("creationTimestamp") or status.rfc3339(now)
                ),
            )
        )
        result.started_version = number
        result.trigger = trigger.reason
        result.events.append(
            events.normal("TrainingStarted", f"v{number} ({trigger.reason}: {trigger.message})")
        )

    # -- apply serving children ------------------------------------------------------------
    serving_record = next((v for v in history if v.version == serving_version), None)
    if serving_version is not None and serving_record is not None:
        cluster.apply(service.desired_service(owner=owner))
        applied = cluster.apply(
            deployment.desired_deployment(
                owner=owner,
                spec=spec,
                version=serving_version,
                artifact_sha256=serving_record.artifact_sha256,
                default_image=default_image,
            )
        )
        dep = observed.deployment_state(applied, dep_pods)

    # -- status ----------------------------------------------------------------------------
    new.versions = status.bound_versions(history, serving=serving_version)
    new.serving_version = serving_version
    new.observed_generation = generation
    new.replicas = dep.ready_replicas if dep.exists else 0
    new.selector = server_selector
    new.conditions = _conditions(
        conditions=conditions,
        history=history,
        serving_version=serving_version,
        dep=dep,
        now=now,
        generation=generation,
    )
    degraded = status.get_condition(new.conditions, ConditionType.DEGRADED)
    ready = status.get_condition(new.conditions, ConditionType.READY)
    new.phase = status.phase(
        versions=history,
        serving_version=serving_version,
        ready=bool(ready and ready.status == "True"),
        degraded=bool(degraded and degraded.status == "True"),
        crashing=bool(dep.crashing),
        rolling_out=serving_version is not None
        and dep.exists
        and (dep.version != serving_version or not dep.up_to_date),
    )
    result.phase = new.phase.value
    if new.phase != prior.phase or not raw_status:
        bad = new.phase in (v1alpha1.Phase.FAILED, v1alpha1.Phase.DEGRADED)
        make = events.warning if bad else events.normal
        why = ready.message if ready else ""
        result.events.append(
            make(f"Phase{new.phase.value}", f"{prior.phase.value} -> {new.phase.value}: {why}")
        )
    patch = status.status_patch(raw_status, new)
    if patch is not None:
        cluster.patch_status(namespace, name, patch)
        result.status_written = True
    for event in result.events:
        cluster.post_event(body, event)
    return result


def _monitor(
    *,
    spec: MLModelSpec,
    read_metric: MetricReader,
    dep: observed.DeploymentState,
    new: MLModelStatus,
    history: list[v1alpha1.ModelVersion],
    serving_version: int | None,
    conditions: list[v1alpha1.Condition],
    now: datetime,
    generation: int | None,
    result: PassResult,
) -> tuple[list[v1alpha1.Condition], retraining.RetrainDecision | None]:
    """Read the metric, record it, set Degraded, and ask `retraining.decide` for a verdict."""
    if serving_version is None:
        return conditions, None
    try:
        obs = read_metric(spec.monitoring, dep.pods)
    except MetricUnavailable as exc:
        result.metric_error = str(exc)
        return (
            status.set_condition(
                conditions,
                ctype=ConditionType.DEGRADED,
                status="Unknown",
                reason="MetricUnavailable",
                message=str(exc)[:1000],
                now=now,
                generation=generation,
            ),
            None,
        )
    new.last_metric = v1alpha1.MetricObservation(
        name=obs.metric, value=obs.value, samples=obs.samples or 0, time=status.rfc3339(now)
    )
    times = [t for t in (status.parse_time(x) for x in new.retrain_times) if t is not None]
    decision = retraining.decide(
        monitoring=spec.monitoring,
        retraining=spec.retraining,
        observation=obs,
        history=retraining.RetrainHistory(
            retrain_times=times,
            training_in_flight=status.in_flight(history) is not None,
            serving=True,
        ),
        now=now,
    )
    result.decision = decision
    return (
        status.set_condition(
            conditions,
            ctype=ConditionType.DEGRADED,
            status="True" if decision.breached else "False",
            reason=retraining.BREACH if decision.breached else decision.reason,
            message=decision.message,
            now=now,
            generation=generation,
        ),
        decision,
    )


def _conditions(
    *,
    conditions: list[v1alpha1.Condition],
    history: Sequence[v1alpha1.ModelVersion],
    serving_version: int | None,
    dep: observed.DeploymentState,
    now: datetime,
    generation: int | None,
) -> list[v1alpha1.Condition]:
    def put(ctype: ConditionType, ok: status.CondStatus, reason: str, message: str) -> None:
        nonlocal conditions
        conditions = status.set_condition(
            conditions,
            ctype=ctype,
            status=ok,
            reason=reason,
            message=message[:2000],
            now=now,
            generation=generation,
        )

    training = status.in_flight(history)
    last = status.latest_finished(history)
    # Trained: the outcome of the newest finished training run.
    if last is None:
        put(
            ConditionType.TRAINED,
            "False",
            "Training" if training else "Pending",
            "no version trained yet",
        )
    elif last.state in (VersionState.PROMOTED, VersionState.RETIRED):
        put(
            ConditionType.TRAINED,
            "True",
            "Promoted",
            f"v{last.version}: {versions.reason_message(last)}",
        )
    elif last.state == VersionState.REJECTED:
        put(ConditionType.TRAINED, "False", "GateRejected", f"v{last.version}: {last.reason}")
    else:
        put(
            ConditionType.TRAINED,
            "False",
            versions.reason_word(last),
            f"v{last.version}: {versions.reason_message(last)}",
        )
    # Ready: the serving version's pods are available and ready.
    if serving_version is None:
        if training is not None:
            put(
                ConditionType.READY,
                "False",
                "Training",
                f"v{training.version} is training; nothing serves yet",
            )
        elif last is not None and last.state == VersionState.REJECTED:
            put(ConditionType.READY, "False", "GateRejected", f"v{last.version}: {last.reason}")
        elif last is not None and last.state == VersionState.FAILED:
            put(
                ConditionType.READY,
                "False",
                versions.reason_word(last),
                f"v{last.version}: {versions.reason_message(last)}",
            )
        else:
            put(ConditionType.READY, "False", "Pending", "waiting for the first version")
    elif dep.crashing:
        bad = dep.crashing[0]
        put(ConditionType.READY, "False", "PodsCrashing", f"pod {bad.name}: {bad.problem}")
    elif dep.progress_failed:
        put(ConditionType.READY, "False", "ProgressDeadlineExceeded", dep.progress_failed)
    elif dep.desired_replicas == 0:
        put(ConditionType.READY, "False", "ScaledToZero", "spec.serving.replicas is 0")
    elif dep.version != serving_version or not dep.up_to_date:
        put(
            ConditionType.READY,
            "False",
            "RollingOut",
            f"rolling out v{serving_version}:"
            f" {dep.updated_replicas}/{dep.desired_replicas} updated",
        )
    elif dep.serving_ready:
        put(
            ConditionType.READY,
            "True",
            "Serving",
            f"v{serving_version} ready on {dep.ready_replicas}/{dep.desired_replicas} replicas",
        )
    else:
        put(
            ConditionType.READY,
            "False",
            "PodsNotReady",
            f"{dep.ready_replicas}/{dep.desired_replicas} replicas of v{serving_version} ready",
        )
    # Retraining: a version is in flight.
    if training is not None:
        put(
            ConditionType.RETRAINING,
            "True",
            training.trigger or "Training",
            f"v{training.version}: {training.trigger_message}",
        )
    else:
        put(ConditionType.RETRAINING, "False", "Idle", "no training in flight")
    if status.get_condition(conditions, ConditionType.DEGRADED) is None:
        put(
            ConditionType.DEGRADED, "Unknown", retraining.NO_READING, "no reading of the metric yet"
        )
    return conditions
