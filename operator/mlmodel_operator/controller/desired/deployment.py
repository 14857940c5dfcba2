"""PURE: the serving Deployment (`<model>-server`) of the promoted version.

A new version changes the pod template (version label, env), which rolls the pods; readiness,
minReadySeconds, a preStop sleep and maxUnavailable=0 by default keep requests flowing meanwhile.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from mlmodel_operator.api import contract, v1alpha1
from mlmodel_operator.controller.desired import common, names, security

SERVER_MODULE = "mlmodel_operator.runtimes.server"
MIN_READY_SECONDS: Final = 3
PRESTOP_SLEEP_SECONDS: Final = 5
"""Long enough for the Service endpoints to drop a terminating pod before it stops listening."""
TERMINATION_GRACE_SECONDS: Final = 30
ANNOTATION_ARTIFACT_SHA256: Final = "mlops.dev/artifact-sha256"


def workers(res: v1alpha1.Resources) -> int:
    """Worker processes: the CPU limit rounded up (500m -> 1, 2 -> 2), 1 without a limit."""
    cpu = res.limits.get("cpu")
    if cpu is None:
        return 1
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(m?)", cpu)
    if m is None:
        return 1
    cores = float(m.group(1)) / (1000 if m.group(2) else 1)
    return max(1, math.ceil(cores))


def _probe(path: str, *, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": contract.PORT_NAME},
        "periodSeconds": period,
        "failureThreshold": failures,
        "timeoutSeconds": 2,
    }


def desired_deployment(
    *,
    owner: names.Owner,
    spec: v1alpha1.MLModelSpec,
    version: int,
    artifact_sha256: str,
    default_image: str,
) -> dict[str, Any]:
    """The Deployment serving `version`, whose artifact must match `artifact_sha256`."""
    env = common.env(
        {
            contract.ENV_SPEC: common.spec_json(spec),
            contract.ENV_MODEL_NAME: owner.name,
            contract.ENV_VERSION: str(version),
            contract.ENV_ARTIFACT_ROOT: contract.ARTIFACT_ROOT,
            contract.ENV_ARTIFACT_SHA256: artifact_sha256,
            contract.ENV_WORKERS: str(workers(spec.serving.resources)),
            contract.ENV_PORT: str(contract.HTTP_PORT),
        }
    )
    env.append(
        {"name": contract.ENV_POD_NAME, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
    )
    container: dict[str, Any] = {
        "name": contract.COMPONENT_SERVER,
        "image": common.image(spec, default_image=default_image),
        "imagePullPolicy": "IfNotPresent",
        "command": ["python", "-m", SERVER_MODULE],
        "env": env,
        "ports": [
            {"name": contract.PORT_NAME, "containerPort": contract.HTTP_PORT, "protocol": "TCP"}
        ],
        "readinessProbe": _probe(contract.READY_PATH, period=2, failures=2),
        "livenessProbe": _probe(contract.LIVE_PATH, period=10, failures=3),
        "startupProbe": _probe(contract.LIVE_PATH, period=2, failures=60),
        "lifecycle": {"preStop": {"sleep": {"seconds": PRESTOP_SLEEP_SECONDS}}},
        "volumeMounts": [common.models_mount(), security.tmp_mount()],
        "securityContext": security.container_security_context(),
    }
    res = common.resources(spec.serving.resources)
    if res:
        container["resources"] = res
    pod_labels = names.labels(owner.name, component=contract.COMPONENT_SERVER, version=version)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": names.metadata(
            owner,
            name=names.server_name(owner.name),
            component=contract.COMPONENT_SERVER,
            version=version,
        ),
        "spec": {
            "replicas": spec.serving.replicas,
            "selector": {
                "matchLabels": names.selector(owner.name, component=contract.COMPONENT_SERVER)
            },
            "minReadySeconds": MIN_READY_SECONDS,
            "revisionHistoryLimit": 5,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {
                    "maxSurge": spec.serving.rollout.max_surge,
                    "maxUnavailable": spec.serving.rollout.max_unavailable,
                },
            },
            "template": {
                "metadata": {
                    "labels": pod_labels,
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(contract.HTTP_PORT),
                        "prometheus.io/path": contract.METRICS_PATH,
                        ANNOTATION_ARTIFACT_SHA256: artifact_sha256,
                    },
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
                    "securityContext": security.pod_security_context(),
                    "containers": [container],
                    "volumes": [common.models_volume(owner.name, spec), security.tmp_volume()],
                },
            },
        },
    }
