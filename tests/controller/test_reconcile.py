"""The reconcile pass over an in-memory cluster: the version lifecycle end to end (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from mlmodel_operator.api import contract, v1alpha1
from mlmodel_operator.controller import reconcile, retraining
from mlmodel_operator.controller.errors import InvalidSpec, MetricUnavailable
from mlmodel_operator.controller.observed import PodState
from tests.controller.conftest import NOW
from tests.controller.fake_cluster import FakeCluster


def _model(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "mlops.dev/v1alpha1",
        "kind": "MLModel",
        "metadata": {
            "name": "iris",
            "namespace": "ml",
            "uid": "u1",
            "generation": 1,
            "annotations": {},
        },
        "spec": {"data": {"source": {"dataset": "iris"}}, **spec},
    }


def _ok(version: int, score: float, baseline: float | None = None) -> dict[str, Any]:
    return {
        "ok": True,
        "version": version,
        "metrics": {"accuracy": score},
        "score": score,
        "baselineScore": baseline,
        "artifactSha256": f"{version:064x}",
        "dataFingerprint": "fp",
        "rows": 150,
        "dataReport": {"rowsIn": 150, "rowsOut": 150},
    }


def _run(
    cluster: FakeCluster, *, minutes: float = 0, reader: reconcile.MetricReader | None = None
) -> reconcile.PassResult:
    return reconcile.run(
        cluster=cluster,
        namespace="ml",
        name="iris",
        now=NOW + timedelta(minutes=minutes),
        default_image="img:dev",
        read_metric=reader,
    )


def _status(cluster: FakeCluster) -> v1alpha1.MLModelStatus:
    return v1alpha1.MLModelStatus.model_validate(cluster.model["status"])


def _cond(cluster: FakeCluster, ctype: str) -> v1alpha1.Condition:
    return next(c for c in _status(cluster).conditions if c.type == ctype)


def _serving(cluster: FakeCluster) -> FakeCluster:
    """Create -> v1 trained and promoted -> Deployment ready."""
    _run(cluster)
    cluster.finish_job(1, _ok(1, 0.9))
    _run(cluster, minutes=1)
    cluster.deployment_ready()
    _run(cluster, minutes=2)
    return cluster


def _reader(value: float, samples: int = 100) -> reconcile.MetricReader:
    def read(mon: v1alpha1.MonitoringSpec, pods: Sequence[PodState]) -> retraining.Observation:
        return retraining.Observation(metric=mon.metric.value, value=value, samples=samples)

    return read


def test_create_trains_v1() -> None:
    c = FakeCluster(_model())
    res = _run(c)
    assert c.creates == ["PersistentVolumeClaim/iris-models", "Job/iris-train-v1"]
    assert res.trigger == "Created"
    st = _status(c)
    assert st.phase == v1alpha1.Phase.TRAINING
    assert st.versions[0].state == v1alpha1.VersionState.TRAINING
    assert st.versions[0].job_name == "iris-train-v1"
    assert st.observed_generation == 1
    assert _cond(c, "Ready").status == "False"
    assert ("Deployment", "iris-server") not in c.objects


def test_same_spec_twice_changes_nothing() -> None:
    c = _serving(FakeCluster(_model()))
    patches, creates, events = len(c.status_patches), list(c.creates), len(c.events)
    res = _run(c, minutes=3)
    assert not res.status_written and len(c.status_patches) == patches
    assert c.creates == creates and len(c.events) == events


def test_success_promotes_and_serves() -> None:
    c = _serving(FakeCluster(_model()))
    st = _status(c)
    assert st.serving_version == 1 and st.phase == v1alpha1.Phase.SERVING
    v1 = st.versions[0]
    assert (v1.state, v1.score, v1.artifact_sha256, v1.rows) == (
        v1alpha1.VersionState.PROMOTED,
        0.9,
        f"{1:064x}",
        150,
    )
    assert v1.data_report is not None and v1.data_report.rows_out == 150
    dep = c.objects[("Deployment", "iris-server")]
    env = {
        e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env[contract.ENV_VERSION] == "1" and env[contract.ENV_ARTIFACT_SHA256] == f"{1:064x}"
    assert ("Service", "iris-server") in c.objects
    assert _cond(c, "Ready").status == "True" and _cond(c, "Trained").status == "True"
    assert st.replicas == 1 and st.selector
    assert any(e.reason == "Promoted" for e in c.events)


def test_ready_false_while_rolling_out() -> None:
    c = FakeCluster(_model())
    _run(c)
    c.finish_job(1, _ok(1, 0.9))
    _run(c, minutes=1)
    assert _cond(c, "Ready").reason == "RollingOut"
    assert _status(c).phase == v1alpha1.Phase.ROLLING_OUT


def test_crashing_pods_never_ready() -> None:
    c = _serving(FakeCluster(_model()))
    labels = {**c.objects[("Deployment", "iris-server")]["spec"]["template"]["metadata"]["labels"]}
    c.pods.append(
        {
            "metadata": {"name": "iris-server-x", "labels": labels},
            "status": {
                "containerStatuses": [
                    {
                        "name": "server",
                        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "boom"}},
                    }
                ]
            },
        }
    )
    _run(c, minutes=4)
    ready = _cond(c, "Ready")
    assert (ready.status, ready.reason) == ("False", "PodsCrashing")
    assert _status(c).phase == v1alpha1.Phase.DEGRADED


def test_serving_only_change_does_not_retrain() -> None:
    c = _serving(FakeCluster(_model()))
    c.model["spec"]["serving"] = {"replicas": 3}
    c.model["metadata"]["generation"] = 2
    res = _run(c, minutes=5)
    assert res.started_version is None
    assert c.objects[("Deployment", "iris-server")]["spec"]["replicas"] == 3
    assert _status(c).observed_generation == 2


def test_training_change_trains_new_version_and_rolls_out() -> None:
    c = _serving(FakeCluster(_model()))
    c.model["spec"]["training"] = {"seed": 7}
    res = _run(c, minutes=5)
    assert (res.started_version, res.trigger) == (2, "SpecChanged")
    job = c.objects[("Job", "iris-train-v2")]
    env = {
        e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env[contract.ENV_BASELINE_VERSION] == "1"
    assert _status(c).phase == v1alpha1.Phase.RETRAINING
    assert _cond(c, "Retraining").reason == "SpecChanged"
    c.finish_job(2, _ok(2, 0.95, baseline=0.9))
    _run(c, minutes=6)
    st = _status(c)
    assert st.serving_version == 2
    assert [v.state for v in st.versions] == [
        v1alpha1.VersionState.RETIRED,
        v1alpha1.VersionState.PROMOTED,
    ]
    dep = c.objects[("Deployment", "iris-server")]
    assert dep["spec"]["template"]["metadata"]["labels"][contract.LABEL_VERSION] == "2"
    # no retrain loop once the new spec is trained
    assert _run(c, minutes=7).started_version is None


def test_rejected_candidate_keeps_old_version_serving() -> None:
    c = _serving(FakeCluster(_model()))
    c.model["metadata"]["annotations"][contract.ANNOTATION_RETRAIN] = "now"
    assert _run(c, minutes=5).trigger == "Manual"
    c.finish_job(2, _ok(2, 0.8, baseline=0.93))
    res = _run(c, minutes=6)
    st = _status(c)
    assert st.serving_version == 1
    assert st.versions[1].state == v1alpha1.VersionState.REJECTED
    assert st.versions[1].reason.startswith("WorseThanServing")
    assert res.gate_rejections == ["WorseThanServing"]
    gate_events = [e for e in c.events if e.reason == "GateRejected"]
    assert (
        gate_events
        and gate_events[0].type == "Warning"
        and "v1 keeps serving" in gate_events[0].message
    )
    trained = _cond(c, "Trained")
    assert (trained.status, trained.reason) == ("False", "GateRejected")
    dep = c.objects[("Deployment", "iris-server")]
    assert dep["spec"]["template"]["metadata"]["labels"][contract.LABEL_VERSION] == "1"
    # the manual request was consumed
    assert _run(c, minutes=7).started_version is None


def test_first_version_below_min_score_fails() -> None:
    c = FakeCluster(_model(retraining={"gate": {"minScore": 0.95}}))
    _run(c)
    c.finish_job(1, _ok(1, 0.9))
    _run(c, minutes=1)
    st = _status(c)
    assert st.phase == v1alpha1.Phase.FAILED and st.serving_version is None
    ready = _cond(c, "Ready")
    assert (ready.status, ready.reason) == ("False", "GateRejected")
    assert "BelowMinimumScore" in ready.message
    assert ("Deployment", "iris-server") not in c.objects


def test_training_failure_reason_from_trainer() -> None:
    c = FakeCluster(_model())
    _run(c)
    c.finish_job(
        1,
        {"ok": False, "version": 1, "reason": "ValidationFailed", "message": "minRows: 3 < 20"},
        failed=True,
    )
    _run(c, minutes=1)
    trained = _cond(c, "Trained")
    assert (trained.status, trained.reason) == ("False", "ValidationFailed")
    assert "minRows: 3 < 20" in trained.message
    assert _status(c).phase == v1alpha1.Phase.FAILED
    assert any(e.reason == "ValidationFailed" and e.type == "Warning" for e in c.events)
    assert _run(c, minutes=2).started_version is None  # no retry loop on the same spec


def test_lost_status_adopts_existing_job_without_duplicate() -> None:
    c = FakeCluster(_model())
    _run(c)
    c.model.pop("status")  # e.g. the status write was lost before a restart
    res = _run(c, minutes=1)
    assert res.started_version is None
    assert [k for k in c.objects if k[0] == "Job"] == [("Job", "iris-train-v1")]
    st = _status(c)
    assert [(v.version, v.trigger, v.state) for v in st.versions] == [
        (1, "Created", v1alpha1.VersionState.TRAINING)
    ]


def test_metric_breach_retrains_once_then_cools_down() -> None:
    c = _serving(FakeCluster(_model(retraining={"cooldownSeconds": 600})))
    res = _run(c, minutes=3, reader=_reader(0.42, 120))
    assert (res.started_version, res.trigger) == (2, "MetricBreach")
    st = _status(c)
    assert st.retrain_count == 1 and st.last_metric is not None and st.last_metric.value == 0.42
    assert st.versions[-1].trigger_message == "accuracy 0.42 < threshold 0.8 over 120 samples"
    assert _cond(c, "Degraded").status == "True"
    c.finish_job(2, _ok(2, 0.5, baseline=0.9))  # rejected
    res = _run(c, minutes=4, reader=_reader(0.42, 120))
    assert res.started_version is None and res.decision is not None
    assert res.decision.reason == retraining.COOLDOWN
    assert _status(c).phase == v1alpha1.Phase.DEGRADED
    res = _run(c, minutes=13, reader=_reader(0.42, 120))
    assert res.started_version == 3


def test_healthy_metric_and_unavailable_metric() -> None:
    c = _serving(FakeCluster(_model()))
    _run(c, minutes=3, reader=_reader(0.95))
    assert _cond(c, "Degraded").status == "False"

    def broken(mon: v1alpha1.MonitoringSpec, pods: Sequence[PodState]) -> retraining.Observation:
        raise MetricUnavailable("no serving pod exposes it yet")

    res = _run(c, minutes=4, reader=broken)
    assert res.metric_error and _cond(c, "Degraded").status == "Unknown"


def test_invalid_spec_sets_condition_and_raises() -> None:
    c = FakeCluster(_model(training={"estimator": "NoSuchEstimator"}))
    with pytest.raises(InvalidSpec, match=r"spec\.training\.estimator"):
        _run(c)
    ready = _cond(c, "Ready")
    assert (ready.status, ready.reason) == ("False", "InvalidSpec")
    assert _status(c).phase == v1alpha1.Phase.FAILED
    assert not [k for k in c.objects if k[0] == "Job"]
