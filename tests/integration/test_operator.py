"""The operator against the REAL local cluster (hack/cluster), running as a child process.

Each test gets a fresh namespace and its own operator watching only that namespace. The
monitored metric comes from a real HTTP endpoint on 127.0.0.1 (PromStub) through the spec's
Prometheus source. With a node, training and serving pods really run (the project image);
without one, the harness plays the kubelet for training Jobs (see operator_harness).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlmodel_operator.api import contract
from tests.integration.operator_harness import (
    OperatorProcess,
    PromStub,
    finish_training,
    has_node,
    summary,
)
from tests.kube import Kubectl, wait_for

pytestmark = pytest.mark.cluster

MODEL = "iris"


@pytest.fixture
def kc(kubectl: Kubectl, namespace: str) -> Kubectl:
    return kubectl.in_namespace(namespace)


@pytest.fixture
def node(kc: Kubectl) -> bool:
    return has_node(kc)


@pytest.fixture
def image(node: bool) -> str:
    img = os.environ.get("MLMODEL_IMAGE", "")
    if node and not img:
        pytest.fail("the cluster has a node but MLMODEL_IMAGE (hack/cluster env) is not set")
    return img or "localhost/mlmodel-operator:dev"


@pytest.fixture
def prom() -> Iterator[PromStub]:
    with PromStub(0.95) as stub:
        yield stub


@pytest.fixture
def operator(kc: Kubectl, namespace: str, image: str, tmp_path: Path) -> Iterator[OperatorProcess]:
    op = OperatorProcess(kubectl=kc, namespace=namespace, image=image, log_path=tmp_path / "op.log")
    op.start()
    yield op
    # kopf's daemon finalizer needs a running operator to let the MLModel (and namespace) go.
    if not op.alive():
        op.start()
    kc.run("delete", "mlmodel", "--all", "--timeout=60s", check=False, timeout=90)
    op.stop()
    print(f"--- operator log (tail) ---\n{op.log_tail(120)}")  # shown by pytest on failure


def mlmodel(prom: PromStub, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "data": {"source": {"dataset": "iris"}},
        "training": {
            "estimator": "LogisticRegression",
            "params": {"max_iter": 500},
            "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}},
        },
        "serving": {"replicas": 1, "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}}},
        "monitoring": {
            "metric": "prometheus",
            "threshold": 0.8,
            "intervalSeconds": 5,
            "prometheus": {"url": prom.url, "query": "model_accuracy", "higherIsBetter": True},
        },
        "retraining": {"cooldownSeconds": 600, "maxPerDay": 6, "gate": {"minScore": 0.5}},
        "storage": {"size": "64Mi"},
    }
    for key, value in extra.items():
        spec[key] = {**spec.get(key, {}), **value}
    return {
        "apiVersion": "mlops.dev/v1alpha1",
        "kind": "MLModel",
        "metadata": {"name": MODEL},
        "spec": spec,
    }


def status(kc: Kubectl) -> dict[str, Any]:
    obj = kc.get("mlmodel", MODEL)
    assert obj is not None, "the MLModel vanished"
    return obj.get("status") or {}


def condition(st: dict[str, Any], ctype: str) -> dict[str, Any]:
    return next((c for c in st.get("conditions", []) if c["type"] == ctype), {})


def version(st: dict[str, Any], n: int) -> dict[str, Any]:
    return next((v for v in st.get("versions", []) if v["version"] == n), {})


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def trainer_jobs(kc: Kubectl) -> list[str]:
    items = kc.json(
        "get", "jobs", "-l", f"{contract.LABEL_INSTANCE}={MODEL},{contract.LABEL_COMPONENT}=trainer"
    )["items"]
    return sorted(j["metadata"]["name"] for j in items)


def promoted(kc: Kubectl, n: int, timeout: float = 120) -> dict[str, Any]:
    return wait_for(
        f"v{n} to be promoted and serving",
        lambda: (
            (st := status(kc)).get("servingVersion") == n
            and version(st, n).get("state") == "Promoted"
            and st
        ),
        timeout=timeout,
    )


def serve_v1(
    kc: Kubectl, prom: PromStub, node: bool, op: OperatorProcess, **extra: Any
) -> dict[str, Any]:
    kc.apply(mlmodel(prom, **extra))
    wait_for("training Job v1", lambda: kc.get("job", f"{MODEL}-train-v1"), timeout=60)
    finish_training(kc, job=f"{MODEL}-train-v1", node=node, result=summary(1, 0.93))
    st = promoted(kc, 1)
    assert op.alive(), op.log_tail()
    return st


def test_create_trains_v1_then_serves_it(
    kc: Kubectl, namespace: str, prom: PromStub, node: bool, image: str, operator: OperatorProcess
) -> None:
    kc.apply(mlmodel(prom))
    model = kc.get("mlmodel", MODEL)
    assert model is not None
    job = wait_for("training Job v1", lambda: kc.get("job", f"{MODEL}-train-v1"), timeout=60)

    # The Job: owned by the MLModel, restricted pod, the trainer with the contract env.
    (ref,) = job["metadata"]["ownerReferences"]
    assert (ref["kind"], ref["name"], ref["uid"], ref["controller"]) == (
        "MLModel",
        MODEL,
        model["metadata"]["uid"],
        True,
    )
    pod = job["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    env = env_of(c)
    assert json.loads(env[contract.ENV_SPEC])["training"]["estimator"] == "LogisticRegression"
    assert (env[contract.ENV_MODEL_NAME], env[contract.ENV_VERSION]) == (MODEL, "1")
    assert contract.ENV_BASELINE_VERSION not in env
    assert c["image"] == image and c["terminationMessagePath"] == contract.TERMINATION_LOG
    assert pod["restartPolicy"] == "Never" and pod["securityContext"]["runAsNonRoot"] is True
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert kc.get("pvc", f"{MODEL}-models") is not None
    st = wait_for(
        "phase Training", lambda: (s := status(kc)).get("phase") == "Training" and s, timeout=30
    )
    assert version(st, 1)["trigger"] == "Created"

    outcome = finish_training(kc, job=f"{MODEL}-train-v1", node=node, result=summary(1, 0.93))
    assert outcome == "Complete"
    st = promoted(kc, 1)
    v1 = version(st, 1)
    assert v1["score"] >= 0.5 and len(v1["artifactSha256"]) == 64 and v1["rows"] > 0

    # Serving children for v1 with the recorded checksum.
    dep = wait_for(
        "serving Deployment", lambda: kc.get("deployment", f"{MODEL}-server"), timeout=30
    )
    tmpl = dep["spec"]["template"]
    assert tmpl["metadata"]["labels"][contract.LABEL_VERSION] == "1"
    assert (
        env_of(tmpl["spec"]["containers"][0])[contract.ENV_ARTIFACT_SHA256] == v1["artifactSha256"]
    )
    svc = kc.get("service", f"{MODEL}-server")
    assert svc is not None and svc["spec"]["ports"][0]["port"] == contract.HTTP_PORT
    assert dep["metadata"]["ownerReferences"][0]["uid"] == model["metadata"]["uid"]

    if node:  # the real server pod must become ready, and only then Ready=True
        st = wait_for(
            "Ready=True",
            lambda: (s := status(kc)) and condition(s, "Ready").get("status") == "True" and s,
            timeout=180,
        )
        assert st["phase"] == "Serving" and st["replicas"] == 1
    else:
        assert condition(status(kc), "Ready").get("status") == "False"

    # The metric was read through the Prometheus seam; healthy -> not degraded.
    st = wait_for("a metric reading", lambda: (s := status(kc)).get("lastMetric") and s, timeout=30)
    assert st["lastMetric"]["value"] == pytest.approx(0.95) and prom.queries
    assert condition(st, "Degraded")["status"] == "False"

    # Idempotence: monitoring passes (every 5s) leave the children untouched.
    before = kc.get("deployment", f"{MODEL}-server")
    n = len(prom.queries)
    wait_for("two more monitoring passes", lambda: len(prom.queries) >= n + 2, timeout=30)
    after = kc.get("deployment", f"{MODEL}-server")
    assert before and after
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert trainer_jobs(kc) == [f"{MODEL}-train-v1"]
    events = kc.json("get", "events", "--field-selector", f"involvedObject.name={MODEL}")["items"]
    assert {"TrainingStarted", "Promoted"} <= {e["reason"] for e in events}


def test_metric_breach_starts_a_retraining_job(
    kc: Kubectl, prom: PromStub, node: bool, operator: OperatorProcess
) -> None:
    serve_v1(kc, prom, node, operator)
    prom.value = 0.42
    job = wait_for("retraining Job v2", lambda: kc.get("job", f"{MODEL}-train-v2"), timeout=60)
    ann = job["metadata"]["annotations"]
    assert ann["mlops.dev/trigger"] == "MetricBreach"
    assert ann["mlops.dev/trigger-message"] == "prometheus 0.42 < threshold 0.8"
    assert (
        env_of(job["spec"]["template"]["spec"]["containers"][0])[contract.ENV_BASELINE_VERSION]
        == "1"
    )
    st = status(kc)
    assert st["retrainCount"] == 1 and st["lastRetrainTime"]
    assert condition(st, "Degraded")["status"] == "True"
    assert version(st, 2)["trigger"] == "MetricBreach"
    assert st["phase"] == "Retraining"

    finish_training(kc, job=f"{MODEL}-train-v2", node=node, result=summary(2, 0.97, baseline=0.93))
    # with a real trainer on the same data and seed, v2 scores like v1 and the gate passes (tie)
    st = promoted(kc, 2)
    assert version(st, 1)["state"] == "Retired"
    dep = kc.get("deployment", f"{MODEL}-server")
    assert (
        dep is not None
        and dep["spec"]["template"]["metadata"]["labels"][contract.LABEL_VERSION] == "2"
    )
    # still breached, but the cooldown holds: no third Job
    n = len(prom.queries)
    wait_for("two more monitoring passes", lambda: len(prom.queries) >= n + 2, timeout=30)
    assert trainer_jobs(kc) == [f"{MODEL}-train-v1", f"{MODEL}-train-v2"]
    degraded = condition(status(kc), "Degraded")
    assert degraded["status"] == "True" and "cooling down" in degraded["message"]


def test_rejected_candidate_keeps_old_version_serving(
    kc: Kubectl, prom: PromStub, node: bool, operator: OperatorProcess
) -> None:
    serve_v1(kc, prom, node, operator)
    # A training change (new version) with a gate no candidate can pass.
    kc.run(
        "patch",
        "mlmodel",
        MODEL,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"training": {"seed": 7}, "retraining": {"gate": {"minScore": 1.5}}}}),
    )
    job = wait_for("training Job v2", lambda: kc.get("job", f"{MODEL}-train-v2"), timeout=60)
    assert job["metadata"]["annotations"]["mlops.dev/trigger"] == "SpecChanged"
    finish_training(kc, job=f"{MODEL}-train-v2", node=node, result=summary(2, 0.97, baseline=0.93))
    st = wait_for(
        "v2 rejected",
        lambda: (s := status(kc)) and version(s, 2).get("state") == "Rejected" and s,
        timeout=60,
    )
    assert st["servingVersion"] == 1
    assert version(st, 2)["reason"].startswith("BelowMinimumScore")
    assert version(st, 1)["state"] == "Promoted"
    trained = condition(st, "Trained")
    assert (trained["status"], trained["reason"]) == ("False", "GateRejected")
    dep = kc.get("deployment", f"{MODEL}-server")
    assert (
        dep is not None
        and dep["spec"]["template"]["metadata"]["labels"][contract.LABEL_VERSION] == "1"
    )
    events = kc.json(
        "get", "events", "--field-selector", f"involvedObject.name={MODEL},reason=GateRejected"
    )["items"]
    assert events and events[0]["type"] == "Warning" and "v1 keeps serving" in events[0]["message"]


def test_operator_restart_mid_training_creates_no_duplicate_job(
    kc: Kubectl, prom: PromStub, node: bool, operator: OperatorProcess
) -> None:
    kc.apply(mlmodel(prom))
    wait_for("training Job v1", lambda: kc.get("job", f"{MODEL}-train-v1"), timeout=60)
    wait_for("status with v1", lambda: version(status(kc), 1), timeout=30)
    operator.stop()
    # Lose the status too: the operator must rebuild it from the Job, not start another.
    kc.run(
        "patch", "mlmodel", MODEL, "--subresource=status", "--type=merge", "-p", '{"status": null}'
    )
    assert status(kc) == {}
    operator.start()
    st = wait_for("status rebuilt", lambda: version(status(kc), 1) and status(kc), timeout=60)
    assert version(st, 1)["trigger"] == "Created"
    assert trainer_jobs(kc) == [f"{MODEL}-train-v1"]
    finish_training(kc, job=f"{MODEL}-train-v1", node=node, result=summary(1, 0.93))
    promoted(kc, 1)
    assert trainer_jobs(kc) == [f"{MODEL}-train-v1"]
    assert operator.alive(), operator.log_tail()
