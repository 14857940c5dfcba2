"""PURE: the version history: rebuild it from Jobs, settle finished Jobs through the gate, and
pick the trigger of the next training (between `observed` and `status` in a reconcile pass).

Status is the record, but Jobs are the ground truth: a Job whose version status does not know
(e.g. the operator stopped between creating it and writing status) is adopted, never duplicated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mlmodel_operator.api import contract, v1alpha1
from mlmodel_operator.api.v1alpha1 import DataReport, ModelVersion, VersionState
from mlmodel_operator.controller import events, gate
from mlmodel_operator.controller.observed import JobPhase, JobState
from mlmodel_operator.controller.status import rfc3339

TRIGGER_CREATED = "Created"
TRIGGER_SPEC_CHANGED = "SpecChanged"
TRIGGER_MANUAL = "Manual"
TRIGGER_METRIC_BREACH = "MetricBreach"

REASON_TRAINING_FAILED = "TrainingFailed"
REASON_NO_SUMMARY = "NoTrainingSummary"
REASON_JOB_DELETED = "JobDeleted"


def spec_hash(spec: v1alpha1.MLModelSpec) -> str:
    """Hash of spec.data + spec.training (wire form): what changes the model, not its serving."""
    wire = {"data": spec.data.to_wire(), "training": spec.training.to_wire()}
    blob = json.dumps(wire, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def adopt_jobs(
    versions: Sequence[ModelVersion], jobs: Mapping[int, JobState]
) -> list[ModelVersion]:
    """Add versions for Jobs newer than anything in status (status lost or never written)."""
    known = {v.version for v in versions}
    newest = max(known, default=0)
    out = list(versions)
    for number, job in sorted(jobs.items()):
        if number in known or number <= newest or number < 1:
            continue  # older Jobs whose versions were trimmed from history stay trimmed
        out.append(
            ModelVersion(
                version=number,
                trigger=job.trigger or "Unknown",
                trigger_message=job.trigger_message,
                job_name=job.name,
                spec_hash=job.spec_hash,
                started_at=job.created_at,
            )
        )
    return out


@dataclass
class Settled:
    """Versions after settling finished Jobs, the serving version, and what to announce."""

    versions: list[ModelVersion]
    serving_version: int | None
    events: list[events.Event] = field(default_factory=list)
    gate_rejections: list[str] = field(default_factory=list)
    """Reasons of gate rejections in this pass (for operator metrics)."""


def _failed(version: ModelVersion, job: JobState, now: datetime) -> ModelVersion:
    result = job.result
    if result is not None and not result.ok:
        reason = result.reason or REASON_TRAINING_FAILED
        message = result.message or "the trainer reported a failure without a message"
    else:
        reason = REASON_TRAINING_FAILED
        parts = [p for p in (job.failure_reason, job.failure_message, job.last_pod_message) if p]
        message = ": ".join(parts) or "the training Job failed"
    return version.model_copy(
        update={
            "state": VersionState.FAILED,
            "reason": f"{reason}: {message}"[:1024],
            "finished_at": job.finished_at or rfc3339(now),
        }
    )


def reason_word(version: ModelVersion) -> str:
    """The CamelCase reason of a settled version (its `reason` is 'Word: message')."""
    return version.reason.split(":", 1)[0].strip() or REASON_TRAINING_FAILED


def reason_message(version: ModelVersion) -> str:
    return version.reason.split(":", 1)[-1].strip()


def settle(
    *,
    versions: Sequence[ModelVersion],
    serving_version: int | None,
    jobs: Mapping[int, JobState],
    policy: v1alpha1.GatePolicy,
    now: datetime,
) -> Settled:
    """Move Training versions whose Job ended to Failed / Rejected / Promoted (via the gate)."""
    by_number = {v.version: v for v in versions}
    out = Settled(versions=[], serving_version=serving_version)
    for number in sorted(by_number):
        version = by_number[number]
        if version.state != VersionState.TRAINING:
            continue
        job = jobs.get(number)
        if job is None:
            by_number[number] = version.model_copy(
                update={
                    "state": VersionState.FAILED,
                    "reason": f"{REASON_JOB_DELETED}: training Job {version.job_name} disappeared",
                    "finished_at": rfc3339(now),
                }
            )
            out.events.append(
                events.warning(
                    REASON_TRAINING_FAILED, f"v{number}: Job {version.job_name} was deleted"
                )
            )
            continue
        if job.phase == JobPhase.RUNNING:
            continue
        result = job.result
        if job.phase == JobPhase.FAILED or (result is not None and not result.ok):
            failed = _failed(version, job, now)
            by_number[number] = failed
            out.events.append(
                events.warning(reason_word(failed), f"v{number} failed: {reason_message(failed)}")
            )
            continue
        if result is None:
            by_number[number] = version.model_copy(
                update={
                    "state": VersionState.FAILED,
                    "reason": f"{REASON_NO_SUMMARY}: Job {job.name} succeeded but its pod left no"
                    " TrainingSummary in the termination message",
                    "finished_at": job.finished_at or rfc3339(now),
                }
            )
            out.events.append(events.warning(REASON_NO_SUMMARY, f"v{number}: no training summary"))
            continue
        serving = by_number.get(out.serving_version) if out.serving_version is not None else None
        verdict = gate.evaluate(
            policy=policy,
            candidate_version=number,
            candidate_score=result.score,
            baseline_score=result.baseline_score,
            serving_version=out.serving_version,
            serving_score=serving.score if serving else None,
        )
        trained = version.model_copy(
            update={
                "metrics": dict(result.metrics),
                "score": result.score,
                "baseline_score": result.baseline_score,
                "data_report": _report(result.data_report),
                "data_fingerprint": result.data_fingerprint,
                "rows": result.rows,
                "artifact_sha256": result.artifact_sha256,
                "finished_at": job.finished_at or rfc3339(now),
                "reason": f"{verdict.reason}: {verdict.message}",
            }
        )
        if verdict.promote:
            if serving is not None:
                by_number[serving.version] = serving.model_copy(
                    update={"state": VersionState.RETIRED}
                )
            by_number[number] = trained.model_copy(update={"state": VersionState.PROMOTED})
            out.serving_version = number
            out.events.append(events.normal("Promoted", verdict.message))
        else:
            by_number[number] = trained.model_copy(update={"state": VersionState.REJECTED})
            keeps = (
                f"; v{out.serving_version} keeps serving"
                if out.serving_version is not None
                else "; nothing is serving"
            )
            out.events.append(
                events.warning("GateRejected", f"{verdict.reason}: {verdict.message}{keeps}")
            )
            out.gate_rejections.append(verdict.reason)
    out.versions = [by_number[n] for n in sorted(by_number)]
    return out


def _report(raw: dict[str, object] | None) -> DataReport | None:
    if not raw:
        return None
    known = {f.alias or n for n, f in DataReport.model_fields.items()}
    try:
        return DataReport.model_validate({k: v for k, v in raw.items() if k in known})
    except ValueError:
        return None


@dataclass(frozen=True)
class Trigger:
    reason: str
    message: str


def next_trigger(
    *,
    versions: Sequence[ModelVersion],
    jobs: Mapping[int, JobState],
    current_hash: str,
    retrain_annotation: str,
) -> Trigger | None:
    """Why to train a new version now (Created, SpecChanged, Manual), or None.

    The spec is compared with the newest version's, so a version that failed on this very spec is
    not retried in a loop. A manual request is consumed once: each Job remembers the annotation
    value it saw.
    """
    if any(v.state == VersionState.TRAINING for v in versions):
        return None
    if not versions and not jobs:
        return Trigger(TRIGGER_CREATED, "first version of a new model")
    latest = max(versions, key=lambda v: v.version) if versions else None
    if latest is not None and latest.spec_hash and latest.spec_hash != current_hash:
        return Trigger(
            TRIGGER_SPEC_CHANGED,
            f"spec.data/spec.training changed ({latest.spec_hash} -> {current_hash})",
        )
    newest_job = jobs[max(jobs)] if jobs else None
    seen = newest_job.retrain_seen if newest_job else ""
    if retrain_annotation and retrain_annotation != seen:
        return Trigger(
            TRIGGER_MANUAL, f"annotation {contract.ANNOTATION_RETRAIN}={retrain_annotation!r}"
        )
    return None


def next_number(versions: Sequence[ModelVersion], jobs: Mapping[int, JobState]) -> int:
    return max([*(v.version for v in versions), *jobs.keys(), 0]) + 1
