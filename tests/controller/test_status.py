"""Pure status helpers: condition transitions, bounded history, phase, the status patch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mlmodel_operator.api import v1alpha1
from mlmodel_operator.api.v1alpha1 import ConditionType, ModelVersion, Phase, VersionState
from mlmodel_operator.controller import status
from tests.controller.conftest import NOW


def test_transition_time_changes_only_on_flip() -> None:
    conds = status.set_condition(
        [],
        ctype=ConditionType.READY,
        status="False",
        reason="A",
        message="m",
        now=NOW,
        generation=1,
    )
    later = NOW + timedelta(minutes=5)
    same = status.set_condition(
        conds,
        ctype=ConditionType.READY,
        status="False",
        reason="B",
        message="n",
        now=later,
        generation=2,
    )
    assert same[0].last_transition_time == status.rfc3339(NOW)
    assert (same[0].reason, same[0].observed_generation) == ("B", 2)
    flipped = status.set_condition(
        same,
        ctype=ConditionType.READY,
        status="True",
        reason="Serving",
        message="",
        now=later,
        generation=2,
    )
    assert flipped[0].last_transition_time == status.rfc3339(later)


def test_conditions_keep_a_stable_order() -> None:
    conds: list[v1alpha1.Condition] = []
    for ctype in (ConditionType.RETRAINING, ConditionType.TRAINED, ConditionType.READY):
        conds = status.set_condition(
            conds, ctype=ctype, status="True", reason="R", message="", now=NOW, generation=1
        )
    assert [c.type for c in conds] == ["Trained", "Ready", "Retraining"]


def _v(n: int, state: VersionState = VersionState.RETIRED) -> ModelVersion:
    return ModelVersion(version=n, trigger="Manual", state=state)


def test_history_is_bounded_and_keeps_serving() -> None:
    many = [_v(n) for n in range(1, 31)]
    kept = status.bound_versions(many, serving=30)
    assert len(kept) == v1alpha1.MAX_VERSION_HISTORY
    assert [v.version for v in kept] == list(range(11, 31))
    pinned = status.bound_versions(many, serving=3)
    assert len(pinned) == v1alpha1.MAX_VERSION_HISTORY
    assert pinned[0].version == 3 and pinned[-1].version == 30


def test_recent_times_drop_old_and_garbled() -> None:
    times = [
        status.rfc3339(NOW - timedelta(hours=25)),
        status.rfc3339(NOW - timedelta(hours=1)),
        "junk",
    ]
    assert status.recent_times(times, now=NOW) == [status.rfc3339(NOW - timedelta(hours=1))]


SERVING_V1 = [_v(1, VersionState.PROMOTED)]
RETRAINING = [*SERVING_V1, _v(2, VersionState.TRAINING)]
ROLLING_V2 = [_v(1, VersionState.RETIRED), _v(2, VersionState.PROMOTED)]


@pytest.mark.parametrize(
    ("versions", "serving", "ready", "degraded", "crashing", "rolling_out", "expected"),
    [
        ([], None, False, False, False, False, Phase.PENDING),
        ([_v(1, VersionState.TRAINING)], None, False, False, False, False, Phase.TRAINING),
        ([_v(1, VersionState.REJECTED)], None, False, False, False, False, Phase.FAILED),
        (SERVING_V1, 1, True, False, False, False, Phase.SERVING),
        (SERVING_V1, 1, True, True, False, False, Phase.DEGRADED),
        (SERVING_V1, 1, False, False, True, False, Phase.DEGRADED),
        (RETRAINING, 1, True, True, False, False, Phase.RETRAINING),
        (ROLLING_V2, 2, False, True, False, True, Phase.ROLLING_OUT),
        (ROLLING_V2, 2, False, False, True, True, Phase.DEGRADED),
        (ROLLING_V2, 2, False, False, False, False, Phase.PENDING),
    ],
)
def test_phase(
    versions: list[ModelVersion],
    serving: int | None,
    ready: bool,
    degraded: bool,
    crashing: bool,
    rolling_out: bool,
    expected: Phase,
) -> None:
    got = status.phase(
        versions=versions,
        serving_version=serving,
        ready=ready,
        degraded=degraded,
        crashing=crashing,
        rolling_out=rolling_out,
    )
    assert got == expected


def test_status_patch_nulls_dropped_fields_and_detects_no_change() -> None:
    new = v1alpha1.MLModelStatus(phase=Phase.SERVING, serving_version=1)
    old = {
        **new.to_wire(),
        "lastMetric": {"name": "accuracy", "value": 1.0, "time": "t"},
        "kopf": {"x": 1},
    }
    patch = status.status_patch(old, new)
    assert patch is not None
    assert patch["lastMetric"] is None
    assert "kopf" not in patch
    assert status.status_patch(new.to_wire(), new) is None
