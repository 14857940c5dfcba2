"""PURE: the model-store PersistentVolumeClaim (versions and feedback live there)."""

from __future__ import annotations

from typing import Any

from mlmodel_operator.api import v1alpha1
from mlmodel_operator.controller.desired import names

COMPONENT_STORAGE = "storage"


def desired_pvc(*, owner: names.Owner, spec: v1alpha1.MLModelSpec) -> dict[str, Any] | None:
    """The claim to create, or None when the user brings their own (spec.storage.claimName)."""
    if spec.storage.claim_name:
        return None
    pvc_spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": spec.storage.size}},
    }
    if spec.storage.storage_class_name:
        pvc_spec["storageClassName"] = spec.storage.storage_class_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": names.metadata(
            owner, name=names.pvc_name(owner.name), component=COMPONENT_STORAGE
        ),
        "spec": pvc_spec,
    }
