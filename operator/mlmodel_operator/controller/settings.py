"""OperatorSettings: the operator's own knobs, read once from the environment at startup.

Plain environment variables (prefix MLMODEL_OPERATOR_) so the Deployment in manifests/ sets them;
the runtime image variable is the one named in api/contract.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from mlmodel_operator.api import contract

DEFAULT_IMAGE = "localhost/mlmodel-operator:dev"


class SettingsError(ValueError):
    """An operator environment variable has a value that cannot be used."""


@dataclass(frozen=True)
class OperatorSettings:
    runtime_image: str = DEFAULT_IMAGE
    """Default image of training and serving pods (spec.image overrides it)."""
    namespaces: tuple[str, ...] = ()
    """Namespaces to watch; empty means every namespace."""
    metrics_port: int = 8000
    """Port of the operator's own Prometheus metrics; 0 turns them off."""
    liveness_port: int = 8081
    """Port of kopf's liveness endpoint (/healthz); 0 turns it off."""
    scrape_timeout_seconds: float = 3.0
    """Timeout of one metrics read (a serving pod's /metrics or a Prometheus query)."""
    log_format: str = "json"
    """kopf's log format: json, full or plain."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OperatorSettings:
        env = os.environ if env is None else env

        def number(key: str, default: float) -> float:
            raw = env.get(key, "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise SettingsError(f"{key}={raw!r} is not a number") from None
            if value < 0:
                raise SettingsError(f"{key}={raw!r} must be >= 0")
            return value

        namespaces = tuple(
            ns.strip() for ns in env.get("MLMODEL_OPERATOR_NAMESPACE", "").split(",") if ns.strip()
        )
        log_format = env.get("MLMODEL_OPERATOR_LOG_FORMAT", "json").strip() or "json"
        if log_format not in ("json", "full", "plain"):
            raise SettingsError(
                f"MLMODEL_OPERATOR_LOG_FORMAT={log_format!r}: use json, full or plain"
            )
        return cls(
            runtime_image=env.get(contract.ENV_OPERATOR_IMAGE, "").strip() or DEFAULT_IMAGE,
            namespaces=namespaces,
            metrics_port=int(number("MLMODEL_OPERATOR_METRICS_PORT", 8000)),
            liveness_port=int(number("MLMODEL_OPERATOR_LIVENESS_PORT", 8081)),
            scrape_timeout_seconds=number("MLMODEL_OPERATOR_SCRAPE_TIMEOUT", 3.0) or 3.0,
            log_format=log_format,
        )
