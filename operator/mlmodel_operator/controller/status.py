"""PURE: conditions, phase and bounded history of MLModel status (last step before the patch).

lastTransitionTime changes only when a condition's status flips, so a pass that observes nothing
new produces the very same status (and the reconciler then writes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from mlmodel_operator.api import v1alpha1
from mlmodel_operator.api.v1alpha1 import (
    Condition,
    ConditionType,
    ModelVersion,
    Phase,
    VersionState,
)

CondStatus = Literal["True", "False", "Unknown"]


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    """An RFC 3339 time from the API (or status), or None if missing/garbled."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def get_condition(conditions: Iterable[Condition], ctype: str) -> Condition | None:
    return next((c for c in conditions if c.type == ctype), None)


def set_condition(
    conditions: Sequence[Condition],
    *,
    ctype: ConditionType,
    status: CondStatus,
    reason: str,
    message: str,
    now: datetime,
    generation: int | None,
) -> list[Condition]:
    """Replace one condition, keeping lastTransitionTime unless the status flips."""
    old = get_condition(conditions, ctype)
    since = old.last_transition_time if old and old.status == status else rfc3339(now)
    new = Condition(
        type=ctype,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=since,
        observed_generation=generation,
    )
    out = [c for c in conditions if c.type != ctype]
    out.append(new)
    order = [t.value for t in ConditionType]
    return sorted(out, key=lambda c: order.index(c.type) if c.type in order else len(order))


def bound_versions(versions: Sequence[ModelVersion], *, serving: int | None) -> list[ModelVersion]:
    """The newest MAX_VERSION_HISTORY versions, always keeping the serving one."""
    ordered = sorted(versions, key=lambda v: v.version)
    limit = v1alpha1.MAX_VERSION_HISTORY
    if len(ordered) <= limit:
        return ordered
    keep = ordered[-limit:]
    if serving is not None and all(v.version != serving for v in keep):
        pinned = [v for v in ordered if v.version == serving]
        keep = pinned + ordered[-(limit - len(pinned)) :]
    return keep


def recent_times(times: Iterable[str], *, now: datetime, window_seconds: int = 86_400) -> list[str]:
    """Retrain start times still inside the daily-cap window (older ones are dropped)."""
    out = []
    for text in times:
        when = parse_time(text)
        if when is not None and (now - when).total_seconds() < window_seconds:
            out.append(text)
    return sorted(out)


def latest_finished(versions: Sequence[ModelVersion]) -> ModelVersion | None:
    done = [v for v in versions if v.state != VersionState.TRAINING]
    return max(done, key=lambda v: v.version) if done else None


def in_flight(versions: Sequence[ModelVersion]) -> ModelVersion | None:
    training = [v for v in versions if v.state == VersionState.TRAINING]
    return max(training, key=lambda v: v.version) if training else None


def phase(
    *,
    versions: Sequence[ModelVersion],
    serving_version: int | None,
    ready: bool,
    degraded: bool,
    crashing: bool,
    rolling_out: bool,
) -> Phase:
    """One word for kubectl get: training beats serving states; failure only without a server."""
    training = in_flight(versions) is not None
    if serving_version is None:
        if training:
            return Phase.TRAINING
        last = latest_finished(versions)
        if last is not None and last.state in (VersionState.FAILED, VersionState.REJECTED):
            return Phase.FAILED
        return Phase.PENDING
    if training:
        return Phase.RETRAINING
    if crashing:
        return Phase.DEGRADED
    if rolling_out:
        return Phase.ROLLING_OUT
    if degraded:
        return Phase.DEGRADED
    return Phase.SERVING if ready else Phase.PENDING


def status_patch(old: dict[str, Any], new: v1alpha1.MLModelStatus) -> dict[str, Any] | None:
    """A merge patch turning `old` (raw status) into `new`, or None if nothing changed.

    Keys the operator owns but `new` leaves unset are nulled; foreign keys are left alone.
    """
    wire = new.to_wire()
    owned = {f.alias or name for name, f in v1alpha1.MLModelStatus.model_fields.items()}
    patch: dict[str, Any] = dict(wire)
    for key in owned:
        if key not in wire and key in old:
            patch[key] = None
    if all(old.get(k) == v for k, v in patch.items()):
        return None
    return patch
