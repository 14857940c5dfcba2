"""PURE: the training Job of one version (`<model>-train-v<N>`).

The pod runs the trainer, which writes the version to the model volume and its TrainingSummary
JSON to the termination message; the operator reads the result back from there, not the volume.
"""

from __future__ import annotations

from typing import Any

from mlmodel_operator.api import contract, v1alpha1
from mlmodel_operator.controller.desired import common, names, security

TRAINER_MODULE = "mlmodel_operator.runtimes.trainer"


def data_volume(source: v1alpha1.DataSource) -> dict[str, Any] | None:
    """The read-only volume holding a CSV data source, if the source is a volume."""
    vol = source.volume
    if vol is None:
        return None
    if vol.claim_name:
        return {
            "name": common.DATA_VOLUME,
            "persistentVolumeClaim": {"claimName": vol.claim_name, "readOnly": True},
        }
    return {"name": common.DATA_VOLUME, "configMap": {"name": vol.config_map}}


def desired_job(
    *,
    owner: names.Owner,
    spec: v1alpha1.MLModelSpec,
    version: int,
    baseline_version: int | None,
    default_image: str,
    trigger: str,
    trigger_message: str,
    spec_hash: str,
    retrain_seen: str,
) -> dict[str, Any]:
    """The Job that trains `version`; the annotations let status be rebuilt from the Job alone."""
    env = {
        contract.ENV_SPEC: common.spec_json(spec),
        contract.ENV_MODEL_NAME: owner.name,
        contract.ENV_VERSION: str(version),
        contract.ENV_ARTIFACT_ROOT: contract.ARTIFACT_ROOT,
        contract.ENV_TERMINATION_LOG: contract.TERMINATION_LOG,
    }
    if baseline_version is not None:
        env[contract.ENV_BASELINE_VERSION] = str(baseline_version)
    volumes = [common.models_volume(owner.name, spec), security.tmp_volume()]
    mounts = [common.models_mount(), security.tmp_mount()]
    data = data_volume(spec.data.source)
    if data is not None:
        env[contract.ENV_DATA_ROOT] = contract.DATA_ROOT
        volumes.append(data)
        mounts.append(
            {"name": common.DATA_VOLUME, "mountPath": contract.DATA_ROOT, "readOnly": True}
        )
    container: dict[str, Any] = {
        "name": contract.COMPONENT_TRAINER,
        "image": common.image(spec, default_image=default_image),
        "imagePullPolicy": "IfNotPresent",
        "command": ["python", "-m", TRAINER_MODULE],
        "env": common.env(env),
        "volumeMounts": mounts,
        "terminationMessagePath": contract.TERMINATION_LOG,
        "terminationMessagePolicy": "File",
        "securityContext": security.container_security_context(),
    }
    res = common.resources(spec.training.resources)
    if res:
        container["resources"] = res
    meta = names.metadata(
        owner,
        name=names.job_name(owner.name, version),
        component=contract.COMPONENT_TRAINER,
        version=version,
    )
    meta["annotations"] = {
        names.ANNOTATION_TRIGGER: trigger,
        names.ANNOTATION_TRIGGER_MESSAGE: trigger_message,
        names.ANNOTATION_SPEC_HASH: spec_hash,
        names.ANNOTATION_RETRAIN_SEEN: retrain_seen,
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {
            "backoffLimit": spec.training.retries,
            "activeDeadlineSeconds": spec.training.deadline_seconds,
            "template": {
                "metadata": {
                    "labels": names.labels(
                        owner.name, component=contract.COMPONENT_TRAINER, version=version
                    ),
                },
                "spec": {
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": False,
                    "securityContext": security.pod_security_context(),
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    }
