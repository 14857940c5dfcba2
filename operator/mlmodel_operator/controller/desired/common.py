"""PURE: pieces shared by the training Job and the serving Deployment (env, volumes, resources)."""

from __future__ import annotations

import json
from typing import Any

from mlmodel_operator.api import contract, v1alpha1
from mlmodel_operator.controller.desired import names

MODELS_VOLUME = "models"
DATA_VOLUME = "data"


def spec_json(spec: v1alpha1.MLModelSpec) -> str:
    """The resolved spec (defaults filled in) as the pods read it from contract.ENV_SPEC."""
    return json.dumps(spec.to_wire(), sort_keys=True, separators=(",", ":"))


def env(pairs: dict[str, str]) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in pairs.items()]


def resources(res: v1alpha1.Resources) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if res.requests:
        out["requests"] = dict(res.requests)
    if res.limits:
        out["limits"] = dict(res.limits)
    return out


def image(spec: v1alpha1.MLModelSpec, *, default_image: str) -> str:
    return spec.image or default_image


def models_volume(model: str, spec: v1alpha1.MLModelSpec) -> dict[str, Any]:
    return {
        "name": MODELS_VOLUME,
        "persistentVolumeClaim": {"claimName": names.claim_name(model, spec)},
    }


def models_mount() -> dict[str, Any]:
    return {"name": MODELS_VOLUME, "mountPath": contract.ARTIFACT_ROOT}
