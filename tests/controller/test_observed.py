"""Parsing Jobs (incl. the trainer's termination message) and the serving Deployment."""

from __future__ import annotations

import json
from typing import Any

from mlmodel_operator.api import contract
from mlmodel_operator.controller import observed
from mlmodel_operator.controller.desired import names

SUMMARY = {
    "ok": True,
    "version": 2,
    "metrics": {"accuracy": 0.97},
    "score": 0.97,
    "baselineScore": 0.9,
    "artifactSha256": "ab" * 32,
    "dataFingerprint": "cd",
    "rows": 150,
    "dataReport": {"rowsIn": 150, "rowsOut": 149},
}


def _job(conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "iris-train-v2",
            "creationTimestamp": "2025-01-01T00:00:00Z",
            "labels": {contract.LABEL_VERSION: "2"},
            "annotations": {names.ANNOTATION_TRIGGER: "Manual", names.ANNOTATION_RETRAIN_SEEN: "1"},
        },
        "status": {"conditions": conditions or []},
    }


def _pod(message: str, exit_code: int, finished: str = "2025-01-01T00:01:00Z") -> dict[str, Any]:
    return {
        "status": {
            "containerStatuses": [
                {
                    "name": "trainer",
                    "state": {
                        "terminated": {
                            "exitCode": exit_code,
                            "message": message,
                            "finishedAt": finished,
                        }
                    },
                }
            ]
        }
    }


def test_running_job() -> None:
    js = observed.job_state(_job(), [])
    assert (js.phase, js.version, js.trigger, js.retrain_seen) == (
        observed.JobPhase.RUNNING,
        2,
        "Manual",
        "1",
    )
    assert js.result is None


def test_succeeded_job_reads_summary_from_successful_pod() -> None:
    job = _job([{"type": "Complete", "status": "True"}])
    job["status"]["completionTime"] = "2025-01-01T00:02:00Z"
    failed_first = _pod(
        json.dumps({"ok": False, "version": 2, "reason": "TrainingFailed", "message": "oom"}),
        1,
        "2025-01-01T00:05:00Z",
    )
    js = observed.job_state(job, [failed_first, _pod(json.dumps(SUMMARY), 0)])
    assert js.phase == observed.JobPhase.SUCCEEDED
    assert js.result is not None and js.result.ok
    assert (js.result.score, js.result.baseline_score, js.result.artifact_sha256) == (
        0.97,
        0.9,
        "ab" * 32,
    )
    assert js.finished_at == "2025-01-01T00:02:00Z"


def test_failed_job_keeps_reason_and_raw_message() -> None:
    job = _job(
        [
            {
                "type": "Failed",
                "status": "True",
                "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit",
                "lastTransitionTime": "t",
            }
        ]
    )
    js = observed.job_state(job, [_pod("Traceback ... MemoryError", 137)])
    assert js.phase == observed.JobPhase.FAILED
    assert js.failure_reason == "BackoffLimitExceeded"
    assert js.result is None and "MemoryError" in js.last_pod_message


def test_termination_message_garbage_is_none() -> None:
    assert observed.parse_trainer_result("not json") is None
    assert observed.parse_trainer_result('{"version": 1}') is None
    assert observed.parse_trainer_result("") is None


def _dep(**status: Any) -> dict[str, Any]:
    return {
        "metadata": {"generation": 2},
        "spec": {
            "replicas": 2,
            "template": {"metadata": {"labels": {contract.LABEL_VERSION: "3"}}},
        },
        "status": {"observedGeneration": 2, **status},
    }


def _server_pod(version: str, *, ready: bool, waiting: str | None = None) -> dict[str, Any]:
    cs: dict[str, Any] = {"name": "server", "state": {"running": {}}}
    if waiting:
        cs["state"] = {"waiting": {"reason": waiting, "message": "back-off"}}
    return {
        "metadata": {"name": f"p-{version}", "labels": {contract.LABEL_VERSION: version}},
        "status": {
            "podIP": "10.0.0.1",
            "containerStatuses": [cs],
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def test_deployment_ready_only_when_rolled_out_and_available() -> None:
    avail = [{"type": "Available", "status": "True"}]
    ok = observed.deployment_state(
        _dep(replicas=2, updatedReplicas=2, readyReplicas=2, conditions=avail), []
    )
    assert ok.serving_ready and ok.version == 3
    rolling = observed.deployment_state(
        _dep(replicas=3, updatedReplicas=1, readyReplicas=2, conditions=avail), []
    )
    assert not rolling.up_to_date and not rolling.serving_ready
    unavailable = observed.deployment_state(
        _dep(replicas=2, updatedReplicas=2, readyReplicas=2), []
    )
    assert not unavailable.serving_ready


def test_crashing_pods_of_serving_version_block_ready() -> None:
    avail = [{"type": "Available", "status": "True"}]
    pods = [
        _server_pod("3", ready=False, waiting="CrashLoopBackOff"),
        _server_pod("2", ready=False, waiting="CrashLoopBackOff"),
    ]
    st = observed.deployment_state(
        _dep(replicas=2, updatedReplicas=2, readyReplicas=2, conditions=avail), pods
    )
    assert [p.name for p in st.crashing] == ["p-3"]  # the old version's pod is not ours to judge
    assert not st.serving_ready
    assert st.crashing[0].problem.startswith("CrashLoopBackOff")
