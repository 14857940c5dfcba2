"""The desired children: names, ownership, restricted pod security, env contract, rollout."""

from __future__ import annotations

import json
from typing import Any

from mlmodel_operator.api import contract, v1alpha1
from mlmodel_operator.controller.desired import deployment, job, names, pvc, service
from tests.controller.conftest import make_spec


def _job(owner: names.Owner, spec: v1alpha1.MLModelSpec, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "owner": owner,
        "spec": spec,
        "version": 3,
        "baseline_version": 2,
        "default_image": "img:1",
        "trigger": "Manual",
        "trigger_message": "m",
        "spec_hash": "abc",
        "retrain_seen": "x",
    }
    args.update(kw)
    return job.desired_job(**args)


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def _assert_restricted(pod_spec: dict[str, Any]) -> None:
    psc = pod_spec["securityContext"]
    assert psc["runAsNonRoot"] is True
    assert psc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert psc["fsGroup"] == psc["runAsUser"] != 0
    for c in pod_spec["containers"]:
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["capabilities"] == {"drop": ["ALL"]}
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert c["imagePullPolicy"] == "IfNotPresent"
        assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
    assert {"name": "tmp", "emptyDir": {}} in pod_spec["volumes"]


def _assert_owned(obj: dict[str, Any]) -> None:
    (ref,) = obj["metadata"]["ownerReferences"]
    assert ref == {
        "apiVersion": "mlops.dev/v1alpha1",
        "kind": "MLModel",
        "name": "iris",
        "uid": "uid-123",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    assert obj["metadata"]["namespace"] == "ml"
    assert obj["metadata"]["labels"][contract.LABEL_MANAGED_BY] == contract.MANAGER
    assert "generateName" not in obj["metadata"]


def test_names_are_deterministic() -> None:
    assert names.pvc_name("iris") == "iris-models"
    assert names.job_name("iris", 7) == "iris-train-v7"
    assert names.server_name("iris") == "iris-server"


def test_job_runs_trainer_with_contract_env(owner: names.Owner, spec: v1alpha1.MLModelSpec) -> None:
    obj = _job(owner, spec)
    _assert_owned(obj)
    assert obj["metadata"]["name"] == "iris-train-v3"
    js = obj["spec"]
    assert js["backoffLimit"] == spec.training.retries
    assert js["activeDeadlineSeconds"] == spec.training.deadline_seconds
    assert "ttlSecondsAfterFinished" not in js
    pod = js["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    _assert_restricted(pod)
    (c,) = pod["containers"]
    assert c["command"] == ["python", "-m", "mlmodel_operator.runtimes.trainer"]
    assert c["image"] == "img:1"
    assert c["terminationMessagePath"] == contract.TERMINATION_LOG
    env = _env(c)
    assert json.loads(env[contract.ENV_SPEC]) == spec.to_wire()
    assert env[contract.ENV_MODEL_NAME] == "iris"
    assert env[contract.ENV_VERSION] == "3"
    assert env[contract.ENV_BASELINE_VERSION] == "2"
    assert env[contract.ENV_ARTIFACT_ROOT] == contract.ARTIFACT_ROOT
    assert contract.ENV_DATA_ROOT not in env  # bundled dataset: no data volume
    assert {"name": "models", "mountPath": contract.ARTIFACT_ROOT} in c["volumeMounts"]
    assert {"name": "models", "persistentVolumeClaim": {"claimName": "iris-models"}} in pod[
        "volumes"
    ]
    assert js["template"]["metadata"]["labels"][contract.LABEL_VERSION] == "3"


def test_job_first_version_has_no_baseline(owner: names.Owner, spec: v1alpha1.MLModelSpec) -> None:
    env = _env(
        _job(owner, spec, baseline_version=None)["spec"]["template"]["spec"]["containers"][0]
    )
    assert contract.ENV_BASELINE_VERSION not in env


def test_job_mounts_volume_source_read_only(owner: names.Owner) -> None:
    for source, volume in (
        (
            {"claimName": "raw", "path": "d/x.csv"},
            {"name": "data", "persistentVolumeClaim": {"claimName": "raw", "readOnly": True}},
        ),
        ({"configMap": "cm", "path": "x.csv"}, {"name": "data", "configMap": {"name": "cm"}}),
    ):
        spec = make_spec(data={"source": {"volume": source}, "target": "y"})
        pod = _job(owner, spec)["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        assert _env(c)[contract.ENV_DATA_ROOT] == contract.DATA_ROOT
        assert volume in pod["volumes"]
        assert {"name": "data", "mountPath": contract.DATA_ROOT, "readOnly": True} in c[
            "volumeMounts"
        ]


def test_job_resources_and_image_from_spec(owner: names.Owner) -> None:
    spec = make_spec(
        image="custom:2",
        training={"resources": {"requests": {"cpu": "250m"}, "limits": {"memory": "1Gi"}}},
    )
    (c,) = _job(owner, spec)["spec"]["template"]["spec"]["containers"]
    assert c["image"] == "custom:2"
    assert c["resources"] == {"requests": {"cpu": "250m"}, "limits": {"memory": "1Gi"}}


def test_deployment_serves_version(owner: names.Owner) -> None:
    spec = make_spec(
        serving={
            "replicas": 3,
            "rollout": {"maxSurge": 2, "maxUnavailable": 1},
            "resources": {"limits": {"cpu": "1500m"}},
        }
    )
    obj = deployment.desired_deployment(
        owner=owner, spec=spec, version=4, artifact_sha256="f" * 64, default_image="img:1"
    )
    _assert_owned(obj)
    ds = obj["spec"]
    assert obj["metadata"]["name"] == "iris-server"
    assert ds["replicas"] == 3
    assert ds["strategy"]["rollingUpdate"] == {"maxSurge": 2, "maxUnavailable": 1}
    assert contract.LABEL_VERSION not in ds["selector"]["matchLabels"]
    tmpl = ds["template"]
    assert tmpl["metadata"]["labels"][contract.LABEL_VERSION] == "4"
    assert set(ds["selector"]["matchLabels"].items()) <= set(tmpl["metadata"]["labels"].items())
    ann = tmpl["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true"
    assert ann["prometheus.io/port"] == str(contract.HTTP_PORT)
    _assert_restricted(tmpl["spec"])
    (c,) = tmpl["spec"]["containers"]
    assert c["command"] == ["python", "-m", "mlmodel_operator.runtimes.server"]
    env = _env(c)
    assert env[contract.ENV_VERSION] == "4"
    assert env[contract.ENV_ARTIFACT_SHA256] == "f" * 64
    assert env[contract.ENV_POD_NAME] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env[contract.ENV_WORKERS] == "2"  # 1500m rounds up
    assert c["readinessProbe"]["httpGet"]["path"] == contract.READY_PATH
    assert c["livenessProbe"]["httpGet"]["path"] == contract.LIVE_PATH
    assert c["lifecycle"]["preStop"]["sleep"]["seconds"] > 0
    assert (
        tmpl["spec"]["terminationGracePeriodSeconds"]
        > c["lifecycle"]["preStop"]["sleep"]["seconds"]
    )
    assert ds["minReadySeconds"] > 0


def test_new_version_changes_pod_template(owner: names.Owner, spec: v1alpha1.MLModelSpec) -> None:
    a = deployment.desired_deployment(
        owner=owner, spec=spec, version=1, artifact_sha256="a", default_image="i"
    )
    b = deployment.desired_deployment(
        owner=owner, spec=spec, version=2, artifact_sha256="b", default_image="i"
    )
    assert a["spec"]["template"] != b["spec"]["template"]
    assert a["spec"]["selector"] == b["spec"]["selector"]


def test_workers_follow_cpu_limit() -> None:
    assert deployment.workers(v1alpha1.Resources()) == 1
    assert deployment.workers(v1alpha1.Resources(limits={"cpu": "500m"})) == 1
    assert deployment.workers(v1alpha1.Resources(limits={"cpu": "2"})) == 2
    assert deployment.workers(v1alpha1.Resources(limits={"cpu": "2.5"})) == 3


def test_service_is_cluster_ip_http(owner: names.Owner) -> None:
    obj = service.desired_service(owner=owner)
    _assert_owned(obj)
    assert obj["spec"]["type"] == "ClusterIP"
    assert obj["spec"]["ports"] == [
        {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}
    ]
    assert obj["spec"]["selector"] == names.selector("iris", component=contract.COMPONENT_SERVER)


def test_pvc_created_unless_user_brings_one(owner: names.Owner) -> None:
    obj = pvc.desired_pvc(
        owner=owner, spec=make_spec(storage={"size": "2Gi", "storageClassName": "fast"})
    )
    assert obj is not None
    _assert_owned(obj)
    assert obj["metadata"]["name"] == "iris-models"
    assert obj["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert obj["spec"]["storageClassName"] == "fast"
    assert pvc.desired_pvc(owner=owner, spec=make_spec(storage={"claimName": "mine"})) is None
    (c,) = _job(owner, make_spec(storage={"claimName": "mine"}))["spec"]["template"]["spec"][
        "volumes"
    ][:1]
    assert c["persistentVolumeClaim"]["claimName"] == "mine"
