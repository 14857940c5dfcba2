"""PURE: typed snapshots of the children as read from the API (after `kube`, before `status`).

`kube` hands over raw dicts; these functions turn them into the few facts the reconciler and the
status need. The trainer's result is the JSON in its pod's termination message (TrainingSummary);
it is parsed here with a tolerant model of our own, since the controller never imports runtimes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from mlmodel_operator.api import contract
from mlmodel_operator.controller.desired import names

CRASH_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)
"""Container waiting reasons that mean the pod will not become ready by waiting."""


class TrainerResult(BaseModel):
    """The trainer's termination message (TrainingSummary wire form); unknown keys are ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    ok: bool
    version: int | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    score: float | None = None
    baseline_score: float | None = None
    artifact_sha256: str = ""
    data_fingerprint: str = ""
    rows: int = 0
    data_report: dict[str, Any] | None = None
    reason: str = ""
    message: str = ""


def parse_trainer_result(message: str | None) -> TrainerResult | None:
    """The summary, or None if the message is missing or not a summary (e.g. a Python crash)."""
    if not message:
        return None
    try:
        return TrainerResult.model_validate(json.loads(message))
    except (ValueError, ValidationError):
        return None


class JobPhase(StrEnum):
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


@dataclass(frozen=True)
class JobState:
    """One training Job and what its pod reported."""

    name: str
    version: int
    phase: JobPhase
    trigger: str = ""
    trigger_message: str = ""
    spec_hash: str = ""
    retrain_seen: str = ""
    created_at: str = ""
    finished_at: str = ""
    failure_reason: str = ""
    """The Job's Failed condition reason (BackoffLimitExceeded, DeadlineExceeded, ...)."""
    failure_message: str = ""
    result: TrainerResult | None = None
    last_pod_message: str = ""
    """A non-JSON termination message (e.g. a traceback tail), for the user."""


def _condition(obj: dict[str, Any], ctype: str) -> dict[str, Any] | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype and cond.get("status") == "True":
            return dict(cond)
    return None


def _terminated(pod: dict[str, Any]) -> dict[str, Any] | None:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == contract.COMPONENT_TRAINER:
            term = (cs.get("state") or {}).get("terminated")
            if term:
                return dict(term)
    return None


def job_state(job: dict[str, Any], pods: list[dict[str, Any]]) -> JobState:
    """Snapshot of a training Job; `pods` are the Job's pods (any order)."""
    meta = job.get("metadata") or {}
    labels = meta.get("labels") or {}
    ann = meta.get("annotations") or {}
    status = job.get("status") or {}
    complete = _condition(job, "Complete")
    failed = _condition(job, "Failed")
    phase = JobPhase.SUCCEEDED if complete else JobPhase.FAILED if failed else JobPhase.RUNNING
    # Prefer the pod that exited 0; otherwise the one that finished last.
    terms = [t for t in (_terminated(p) for p in pods) if t is not None]
    terms.sort(key=lambda t: (t.get("exitCode") == 0, t.get("finishedAt") or ""))
    result: TrainerResult | None = None
    raw_message = ""
    if terms:
        raw_message = str(terms[-1].get("message") or "")
        result = parse_trainer_result(raw_message)
    finished = status.get("completionTime") or (failed or {}).get("lastTransitionTime") or ""
    try:
        version = int(labels.get(contract.LABEL_VERSION, "0"))
    except ValueError:
        version = 0
    return JobState(
        name=str(meta.get("name", "")),
        version=version,
        phase=phase,
        trigger=str(ann.get(names.ANNOTATION_TRIGGER, "")),
        trigger_message=str(ann.get(names.ANNOTATION_TRIGGER_MESSAGE, "")),
        spec_hash=str(ann.get(names.ANNOTATION_SPEC_HASH, "")),
        retrain_seen=str(ann.get(names.ANNOTATION_RETRAIN_SEEN, "")),
        created_at=str(meta.get("creationTimestamp") or ""),
        finished_at=str(finished),
        failure_reason=str((failed or {}).get("reason") or ""),
        failure_message=str((failed or {}).get("message") or ""),
        result=result,
        last_pod_message="" if result is not None else raw_message[-300:],
    )


@dataclass(frozen=True)
class PodState:
    name: str
    ip: str
    version: int | None
    ready: bool
    problem: str = ""
    """Why the pod cannot become ready, e.g. 'CrashLoopBackOff: back-off restarting ...'."""


def pod_state(pod: dict[str, Any]) -> PodState:
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    problem = ""
    for cs in status.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in CRASH_REASONS:
            problem = f"{waiting['reason']}: {waiting.get('message', '')}".strip().rstrip(":")
    raw_version = (meta.get("labels") or {}).get(contract.LABEL_VERSION)
    return PodState(
        name=str(meta.get("name", "")),
        ip=str(status.get("podIP") or ""),
        version=int(raw_version) if raw_version and raw_version.isdigit() else None,
        ready=ready,
        problem=problem,
    )


@dataclass(frozen=True)
class DeploymentState:
    """The serving Deployment as far as readiness of the serving version goes."""

    exists: bool
    version: int | None = None
    desired_replicas: int = 0
    ready_replicas: int = 0
    updated_replicas: int = 0
    available_replicas: int = 0
    available: bool = False
    up_to_date: bool = False
    """The controller has seen the newest template and every replica runs it."""
    progress_failed: str = ""
    """Message of a ProgressDeadlineExceeded condition."""
    pods: list[PodState] = field(default_factory=list)

    @property
    def crashing(self) -> list[PodState]:
        return [p for p in self.pods if p.problem]

    @property
    def serving_ready(self) -> bool:
        """Available, fully rolled out, and every desired replica of this version ready."""
        return (
            self.exists
            and self.available
            and self.up_to_date
            and self.desired_replicas > 0
            and self.ready_replicas >= self.desired_replicas
            and not self.crashing
        )


def deployment_state(dep: dict[str, Any] | None, pods: list[dict[str, Any]]) -> DeploymentState:
    if dep is None:
        return DeploymentState(exists=False, pods=[pod_state(p) for p in pods])
    meta = dep.get("metadata") or {}
    spec = dep.get("spec") or {}
    status = dep.get("status") or {}
    tmpl_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    raw_version = tmpl_labels.get(contract.LABEL_VERSION)
    desired = int(spec.get("replicas", 1))
    updated = int(status.get("updatedReplicas") or 0)
    progressing = None
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            progressing = cond
    version = int(raw_version) if raw_version and str(raw_version).isdigit() else None
    return DeploymentState(
        exists=True,
        version=version,
        desired_replicas=desired,
        ready_replicas=int(status.get("readyReplicas") or 0),
        updated_replicas=updated,
        available_replicas=int(status.get("availableReplicas") or 0),
        available=_condition(dep, "Available") is not None,
        up_to_date=int(status.get("observedGeneration") or 0) >= int(meta.get("generation") or 0)
        and updated >= desired
        and int(status.get("replicas") or 0) == updated,
        progress_failed=str((progressing or {}).get("message") or ""),
        pods=[pod_state(p) for p in pods if pod_state(p).version in (None, version)],
    )
