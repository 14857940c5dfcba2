"""Failure paths users hit: data that fails validation, and the operator dying mid-training."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import condition, status, version, wait_serving
from tests.kube import Kubectl, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.node, pytest.mark.e2e]


def _model(name: str, **data: Any) -> dict[str, Any]:
    return {
        "apiVersion": "mlops.dev/v1alpha1",
        "kind": "MLModel",
        "metadata": {"name": name},
        "spec": {"data": {"source": {"dataset": "iris"}, **data}},
    }


def test_invalid_data_sets_a_condition_and_never_rolls_out(model_namespace: Kubectl) -> None:
    k = model_namespace
    k.apply(_model("too-small", validation={"minRows": 100000}))

    def failed() -> dict[str, Any] | None:
        st = status(k, "too-small")
        return st if version(st, 1).get("state") == "Failed" else None

    st = wait_for("version 1 to fail validation", failed, timeout=240, interval=2)
    trained = condition(st, "Trained")
    assert trained["status"] == "False"
    assert trained["reason"] == "ValidationFailed"
    assert "minRows" in trained["message"] and "100000" in trained["message"]
    assert st.get("servingVersion") is None
    assert k.get("deployment", "too-small-server") is None
    events = k.json("get", "events", "--field-selector", "involvedObject.name=too-small")["items"]
    assert any(e["type"] == "Warning" and "minRows" in e["message"] for e in events)


def test_operator_restart_mid_training_resumes_without_a_duplicate_job(
    model_namespace: Kubectl, operator: Kubectl
) -> None:
    k = model_namespace
    k.apply(_model("restarted"))
    wait_for("the training Job", lambda: k.get("job", "restarted-train-v1"), timeout=60)
    old = {p["metadata"]["name"] for p in operator.json("get", "pods")["items"]}
    operator.run("delete", "pod", "--all", "--wait=false")

    def new_operator_ready() -> bool:
        pods = operator.json("get", "pods")["items"]
        return any(
            p["metadata"]["name"] not in old
            and any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in p["status"].get("conditions", [])
            )
            for p in pods
        )

    wait_for("a new operator pod to be Ready", new_operator_ready, timeout=180, interval=2)
    st = wait_serving(k, "restarted", 1)
    jobs = k.json("get", "jobs", "-l", "app.kubernetes.io/instance=restarted")["items"]
    assert [j["metadata"]["name"] for j in jobs] == ["restarted-train-v1"]
    assert [v["version"] for v in st["versions"]] == [1]
