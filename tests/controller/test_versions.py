"""Version bookkeeping: adopting Jobs, triggers, spec hash."""

from __future__ import annotations

from mlmodel_operator.api.v1alpha1 import ModelVersion, VersionState
from mlmodel_operator.controller import versions
from mlmodel_operator.controller.observed import JobPhase, JobState
from tests.controller.conftest import make_spec


def _job(n: int, seen: str = "") -> JobState:
    return JobState(
        name=f"iris-train-v{n}",
        version=n,
        phase=JobPhase.SUCCEEDED,
        trigger="Manual",
        retrain_seen=seen,
        spec_hash="h",
    )


def test_spec_hash_ignores_serving_and_monitoring() -> None:
    base = versions.spec_hash(make_spec())
    assert (
        versions.spec_hash(make_spec(serving={"replicas": 5}, monitoring={"threshold": 0.5}))
        == base
    )
    assert versions.spec_hash(make_spec(training={"seed": 1})) != base
    assert versions.spec_hash(make_spec(data={"source": {"dataset": "wine"}})) != base


def test_adopt_only_jobs_newer_than_history() -> None:
    kept = [ModelVersion(version=5, trigger="Manual", state=VersionState.PROMOTED)]
    out = versions.adopt_jobs(kept, {1: _job(1), 5: _job(5), 6: _job(6)})
    assert [(v.version, v.state) for v in out] == [
        (5, VersionState.PROMOTED),
        (6, VersionState.TRAINING),
    ]


def test_manual_request_consumed_by_newest_job() -> None:
    hist = [ModelVersion(version=1, trigger="Created", state=VersionState.PROMOTED, spec_hash="h")]
    assert (
        versions.next_trigger(
            versions=hist, jobs={1: _job(1, "a")}, current_hash="h", retrain_annotation="a"
        )
        is None
    )
    t = versions.next_trigger(
        versions=hist, jobs={1: _job(1, "a")}, current_hash="h", retrain_annotation="b"
    )
    assert t is not None and t.reason == "Manual"
    assert (
        versions.next_trigger(
            versions=hist, jobs={1: _job(1)}, current_hash="h", retrain_annotation=""
        )
        is None
    )


def test_next_number_counts_jobs_beyond_history() -> None:
    assert versions.next_number([], {}) == 1
    assert versions.next_number([ModelVersion(version=2, trigger="x")], {7: _job(7)}) == 8
