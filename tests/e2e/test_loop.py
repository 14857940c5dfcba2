"""The whole loop on real pods: train, serve, degrade, retrain, roll out with zero failed requests.

Production drifts into a region of feature space the first model never saw (iris measurements
shifted by +10 cm). Its live accuracy, from ground-truth feedback, falls below the threshold;
the operator retrains with the feedback merged in; the candidate beats the serving version on
the same held-out data and rolls out while a load generator keeps sending requests.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest
from sklearn.datasets import load_iris

from tests.e2e.conftest import (
    client_for,
    condition,
    status,
    version,
    wait_rollout_done,
    wait_serving,
)
from tests.e2e.traffic import LoadGenerator
from tests.kube import Kubectl, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.node, pytest.mark.e2e]

NAME = "iris"
SHIFT = 10.0
SPEC: dict[str, Any] = {
    "apiVersion": "mlops.dev/v1alpha1",
    "kind": "MLModel",
    "metadata": {"name": NAME},
    "spec": {
        "data": {"source": {"dataset": "iris"}, "includeFeedback": True},
        "training": {
            "estimator": "RandomForestClassifier",
            "params": {"n_estimators": 50},
            "seed": 7,
        },
        "serving": {"replicas": 2},
        "monitoring": {
            "metric": "accuracy",
            "threshold": 0.8,
            "intervalSeconds": 5,
            "minSamples": 40,
            "window": 200,
        },
        "retraining": {
            "cooldownSeconds": 30,
            "maxPerDay": 5,
            "gate": {"minScore": 0.8, "mustBeatServing": True},
        },
    },
}


@pytest.fixture(scope="module")
def model(model_namespace: Kubectl) -> Kubectl:
    """One MLModel that the steps below take through its life, in order."""
    return model_namespace


def iris_rows(shift: float = 0.0) -> tuple[list[list[float]], list[int]]:
    data = load_iris()
    return [[float(v) + shift for v in row] for row in data.data], [int(t) for t in data.target]


def test_apply_trains_version_1_and_serves_it(model: Kubectl) -> None:
    model.apply(SPEC)
    st = wait_serving(model, NAME, 1)
    v1 = version(st, 1)
    assert v1["trigger"] == "Created"
    assert v1["state"] == "Promoted"
    assert v1["metrics"]["accuracy"] >= 0.9
    assert v1["dataReport"]["rowsIn"] == 150 and v1["dataReport"]["rowsOut"] >= 140
    assert len(v1["artifactSha256"]) == 64 and len(v1["dataFingerprint"]) == 64
    assert condition(st, "Trained")["status"] == "True"
    assert (
        condition(st, "Ready")["observedGeneration"]
        == model.get("mlmodel", NAME)["metadata"]["generation"]
    )  # type: ignore[index]
    job = model.json("get", "job", f"{NAME}-train-v1")
    assert job["status"].get("succeeded") == 1, "the training Job's pod really ran"
    deployment = model.json("get", "deployment", f"{NAME}-server")
    assert deployment["status"].get("availableReplicas") == 2


def test_predictions_are_correct_from_the_host_and_from_a_pod(model: Kubectl, image: str) -> None:
    rows, labels = iris_rows()
    answer = client_for(model, NAME).predict(rows)
    correct = sum(p == y for p, y in zip(answer["predictions"], labels, strict=True))
    assert correct / len(labels) >= 0.95
    assert answer["modelVersion"] == 1 and len(answer["ids"]) == len(rows)

    ns = model.namespace
    script = textwrap.dedent(
        f"""
        import json, urllib.request
        body = json.dumps({{"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}}).encode()
        req = urllib.request.Request("http://{NAME}-server.{ns}.svc.cluster.local:8080/predict", data=body,
                                     headers={{"Content-Type": "application/json"}})
        print(json.loads(urllib.request.urlopen(req, timeout=10).read())["predictions"])
        """
    )
    model.run(
        "run",
        "dns-client",
        f"--image={image}",
        "--restart=Never",
        "--image-pull-policy=IfNotPresent",
        "--overrides",
        '{"spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}}}',
        "--",
        "python",
        "-c",
        script,
    )
    wait_for(
        "the in-cluster client to finish",
        lambda: (
            (model.get("pod", "dns-client") or {}).get("status", {}).get("phase")
            in ("Succeeded", "Failed")
        ),
        timeout=120,
    )
    assert model.run("logs", "dns-client").stdout.strip() == "[0, 2]"


def test_degraded_production_triggers_a_retrain_that_rolls_out_without_errors(
    model: Kubectl,
) -> None:
    client = client_for(model, NAME)
    shifted, labels = iris_rows(SHIFT)
    load = LoadGenerator(client, row=shifted[0]).start()
    try:
        # Ground truth arrives for production traffic the model gets wrong.
        for start in range(0, len(shifted), 50):
            client.feedback_rows(shifted[start : start + 50], labels[start : start + 50])

        def breached() -> dict[str, Any] | None:
            st = status(model, NAME)
            return st if version(st, 2) else None

        st = wait_for(
            "the operator to start retraining (version 2)", breached, timeout=180, interval=2
        )
        v2 = version(st, 2)
        assert v2["trigger"] == "MetricBreach"
        assert "accuracy" in v2["triggerMessage"] and "0.8" in v2["triggerMessage"]
        assert st["lastMetric"]["value"] < 0.8 and st["lastMetric"]["samples"] >= 40
        assert condition(st, "Degraded")["status"] == "True"
        assert model.get("job", f"{NAME}-train-v2") is not None

        st = wait_serving(model, NAME, 2)
        wait_rollout_done(model, NAME)
    finally:
        load.stop()
    v1, v2 = version(st, 1), version(st, 2)
    assert v2["state"] == "Promoted" and v1["state"] == "Retired"
    assert v2["dataReport"]["feedbackRows"] > 0
    assert v2["score"] >= v2["baselineScore"]
    assert st["retrainCount"] >= 1 and st["lastRetrainTime"]
    assert load.sent > 100, f"the load generator sent only {load.sent} requests"
    assert load.failed == 0, (
        f"{load.failed} of {load.sent} requests failed during the rollout: {load.errors}"
    )
    assert 2 in load.versions


def test_live_metric_recovers_on_the_new_version(model: Kubectl) -> None:
    client = client_for(model, NAME)
    shifted, labels = iris_rows(SHIFT)
    answer = client.predict(shifted)
    assert answer["modelVersion"] == 2
    client.feedback_ids(answer["ids"], labels)

    def recovered() -> dict[str, Any] | None:
        st = status(model, NAME)
        metric = st.get("lastMetric") or {}
        return st if metric.get("value", 0) >= 0.8 and metric.get("samples", 0) >= 40 else None

    st = wait_for("the live accuracy of version 2 to recover", recovered, timeout=120, interval=2)
    assert condition(st, "Degraded")["status"] == "False"
    assert st["phase"] == "Serving"


def test_a_worse_candidate_is_rejected_and_the_old_version_keeps_serving(model: Kubectl) -> None:
    weak = {"estimator": "DecisionTreeClassifier", "params": {"max_depth": 1}, "seed": 7}
    patch = [{"op": "replace", "path": "/spec/training", "value": weak}]
    model.run("patch", "mlmodel", NAME, "--type=json", "-p", json.dumps(patch))

    def decided() -> dict[str, Any] | None:
        st = status(model, NAME)
        return st if version(st, 3).get("state") in ("Rejected", "Promoted", "Failed") else None

    st = wait_for("the gate's verdict on version 3", decided, timeout=300, interval=2)
    v3 = version(st, 3)
    assert v3["trigger"] == "SpecChanged"
    assert v3["state"] == "Rejected", v3
    assert st["servingVersion"] == 2
    events = model.json("get", "events", "--field-selector", f"involvedObject.name={NAME}")["items"]
    assert any(e["reason"] == "GateRejected" for e in events), [e["reason"] for e in events]
    deployment = model.json("get", "deployment", f"{NAME}-server")
    assert deployment["spec"]["template"]["metadata"]["labels"]["mlops.dev/version"] == "2"
    assert client_for(model, NAME).predict([[5.1, 3.5, 1.4, 0.2]])["modelVersion"] == 2


def test_kubectl_scale_goes_through_the_scale_subresource(model: Kubectl) -> None:
    """kubectl scale (and so an HPA) resizes the serving Deployment; status reports it."""
    model.run("scale", "mlmodel", NAME, "--replicas=1")
    wait_for(
        "the serving Deployment to scale to 1",
        lambda: model.json("get", "deployment", f"{NAME}-server")["spec"]["replicas"] == 1,
        timeout=60,
    )
    scale = wait_for(
        "the scale subresource to report 1 ready replica",
        lambda: (
            s
            if (s := model.json("get", "mlmodel", NAME, "--subresource=scale"))["status"].get(
                "replicas"
            )
            == 1
            else None
        ),
        timeout=120,
        interval=2,
    )
    assert scale["spec"]["replicas"] == 1
    assert "app.kubernetes.io/instance=iris" in scale["status"]["selector"]
