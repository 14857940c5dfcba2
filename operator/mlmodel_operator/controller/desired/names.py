"""Deterministic child names, labels, selectors and ownerReferences (first step of `desired`).

Names never use generateName: the same MLModel always maps to the same children, which is what
makes a re-run (or an operator restart) find what an earlier run created instead of duplicating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from mlmodel_operator.api import contract, v1alpha1

FIELD_MANAGER: Final = contract.MANAGER
"""The server-side-apply field manager of everything the operator writes."""

# Controller-private annotations on training Jobs: they let the status be rebuilt from the Jobs.
ANNOTATION_TRIGGER: Final = "mlops.dev/trigger"
ANNOTATION_TRIGGER_MESSAGE: Final = "mlops.dev/trigger-message"
ANNOTATION_SPEC_HASH: Final = "mlops.dev/spec-hash"
ANNOTATION_RETRAIN_SEEN: Final = "mlops.dev/retrain-seen"
"""The value of contract.ANNOTATION_RETRAIN when the Job was created (consumed manual request)."""


@dataclass(frozen=True)
class Owner:
    """The MLModel that owns the children: enough to name them and to point back at it."""

    name: str
    namespace: str
    uid: str

    def reference(self) -> dict[str, Any]:
        """ownerReference with controller=true so garbage collection removes the children."""
        return {
            "apiVersion": v1alpha1.API_VERSION,
            "kind": v1alpha1.KIND,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }


def pvc_name(model: str) -> str:
    return f"{model}-models"


def claim_name(model: str, spec: v1alpha1.MLModelSpec) -> str:
    """The claim holding versions: the user's existing claim, or the one the operator creates."""
    return spec.storage.claim_name or pvc_name(model)


def job_name(model: str, version: int) -> str:
    return f"{model}-train-v{version}"


def server_name(model: str) -> str:
    """Name of both the serving Deployment and its Service."""
    return f"{model}-server"


def labels(model: str, *, component: str, version: int | None = None) -> dict[str, str]:
    """Labels on every child (and its pods): who made it, for which model, which part."""
    out = {
        contract.LABEL_NAME: contract.APP_NAME,
        contract.LABEL_INSTANCE: model,
        contract.LABEL_COMPONENT: component,
        contract.LABEL_MANAGED_BY: contract.MANAGER,
    }
    if version is not None:
        out[contract.LABEL_VERSION] = str(version)
    return out


def selector(model: str, *, component: str) -> dict[str, str]:
    """The stable labels of one component (no version: a Deployment selector is immutable)."""
    return {
        contract.LABEL_NAME: contract.APP_NAME,
        contract.LABEL_INSTANCE: model,
        contract.LABEL_COMPONENT: component,
    }


def selector_string(model: str, *, component: str) -> str:
    """`k=v,k=v` form, as status.selector (scale subresource) and list calls want it."""
    return ",".join(f"{k}={v}" for k, v in sorted(selector(model, component=component).items()))


def metadata(
    owner: Owner, *, name: str, component: str, version: int | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": owner.namespace,
        "labels": labels(owner.name, component=component, version=version),
        "ownerReferences": [owner.reference()],
    }
