"""TrainerSettings: the training pod's environment (names from api/contract.py), typed.

The operator sets these on the training Job; bad values are reported as one line naming the
variable, never as a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlmodel_operator.api import contract
from mlmodel_operator.api.v1alpha1 import MLModelSpec


class SettingsError(ValueError):
    """The environment is not a valid trainer configuration (an operator bug, not user data)."""


class TrainerSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    spec: MLModelSpec
    model_name: str = Field(min_length=1)
    version: int = Field(ge=1)
    artifact_root: Path = Path(contract.ARTIFACT_ROOT)
    data_root: Path = Path(contract.DATA_ROOT)
    baseline_version: int | None = Field(default=None, ge=1)
    termination_log: Path = Path(contract.TERMINATION_LOG)


def _require(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set")
    return value


def _parse_int(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None


def _parse_spec(raw: str) -> MLModelSpec:
    try:
        return MLModelSpec.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{contract.ENV_SPEC} is not valid JSON: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SettingsError(
            f"{contract.ENV_SPEC} is not a valid spec: {where}: {first['msg']}"
        ) from None


def version_hint(env: Mapping[str, str] | None = None) -> int:
    """The version for a failure summary even when the settings are broken (0 if unknown)."""
    try:
        return _parse_int(os.environ if env is None else env, contract.ENV_VERSION) or 0
    except SettingsError:
        return 0


def termination_log_hint(env: Mapping[str, str] | None = None) -> Path:
    """Where to write a failure summary even when the other settings are broken."""
    env = os.environ if env is None else env
    return Path(env.get(contract.ENV_TERMINATION_LOG, "").strip() or contract.TERMINATION_LOG)


def load_settings(env: Mapping[str, str] | None = None) -> TrainerSettings:
    """Read and validate the trainer's environment (``os.environ`` by default)."""
    env = os.environ if env is None else env
    version = _parse_int(env, contract.ENV_VERSION)
    if version is None:
        raise SettingsError(f"{contract.ENV_VERSION} is not set")
    optional = {
        "artifact_root": env.get(contract.ENV_ARTIFACT_ROOT, "").strip(),
        "data_root": env.get(contract.ENV_DATA_ROOT, "").strip(),
        "termination_log": env.get(contract.ENV_TERMINATION_LOG, "").strip(),
    }
    try:
        return TrainerSettings(
            spec=_parse_spec(_require(env, contract.ENV_SPEC)),
            model_name=_require(env, contract.ENV_MODEL_NAME),
            version=version,
            baseline_version=_parse_int(env, contract.ENV_BASELINE_VERSION),
            **{key: Path(value) for key, value in optional.items() if value},
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SettingsError(f"{first['loc'][0]}: {first['msg']}") from None
