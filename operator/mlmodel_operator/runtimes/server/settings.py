"""Server settings from the pod's environment (names from ``api.contract``).

The operator sets these on the serving container; ``__main__`` turns them into a
``ServerSettings`` and hands it to ``app.serve``. Bad values are a ``StartupError`` naming the
variable, so the pod exits with a message instead of a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pydantic

from mlmodel_operator.api import contract
from mlmodel_operator.api.v1alpha1 import MLModelSpec
from mlmodel_operator.runtimes.server.errors import StartupError

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
"""Byte cap of a request body; spec.serving.maxRequestRows caps rows."""


@dataclass(frozen=True, kw_only=True)
class ServerSettings:
    version_dir: Path
    feedback_file: Path | None
    expected_sha256: str | None
    spec: MLModelSpec | None
    host: str = "0.0.0.0"
    port: int = contract.HTTP_PORT
    workers: int = 1


def available_cpus() -> int:
    """CPUs this container may use: the cgroup CPU quota, else the affinity mask."""
    cpus = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise StartupError(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise StartupError(f"{name} must be >= 0, got {value}")
    return value


def from_env(env: Mapping[str, str] | None = None) -> ServerSettings:
    """Read the serving container's environment; raises StartupError naming a bad variable."""
    env = os.environ if env is None else env
    missing = [n for n in (contract.ENV_MODEL_NAME, contract.ENV_VERSION) if not env.get(n)]
    if missing:
        raise StartupError(f"missing environment variable(s): {', '.join(missing)}")
    model_name = env[contract.ENV_MODEL_NAME]
    version = _int(env, contract.ENV_VERSION, 0)
    if version < 1:
        raise StartupError(f"{contract.ENV_VERSION} must be >= 1, got {version}")
    root = env.get(contract.ENV_ARTIFACT_ROOT) or contract.ARTIFACT_ROOT
    spec: MLModelSpec | None = None
    if env.get(contract.ENV_SPEC):
        try:
            spec = MLModelSpec.model_validate_json(env[contract.ENV_SPEC])
        except pydantic.ValidationError as exc:
            raise StartupError(f"{contract.ENV_SPEC} is not a valid MLModel spec: {exc}") from None
    pod = env.get(contract.ENV_POD_NAME) or os.uname().nodename
    workers = _int(env, contract.ENV_WORKERS, 1) or available_cpus()
    return ServerSettings(
        version_dir=Path(contract.version_dir(root, model_name, version)),
        feedback_file=Path(contract.feedback_dir(root, model_name)) / f"{pod}.jsonl",
        expected_sha256=env.get(contract.ENV_ARTIFACT_SHA256) or None,
        spec=spec,
        port=_int(env, contract.ENV_PORT, contract.HTTP_PORT),
        workers=workers,
    )
