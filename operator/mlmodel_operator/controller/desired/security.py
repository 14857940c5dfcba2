"""PURE: the Pod Security "restricted" settings every child pod uses, in one place."""

from __future__ import annotations

from typing import Any, Final

RUN_AS_USER: Final = 1000
TMP_VOLUME: Final = "tmp"


def pod_security_context() -> dict[str, Any]:
    """Non-root with an fsGroup, so the model volume is writable by the pod's user."""
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "fsGroup": RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def tmp_volume() -> dict[str, Any]:
    """A writable /tmp, since the root filesystem is read-only."""
    return {"name": TMP_VOLUME, "emptyDir": {}}


def tmp_mount() -> dict[str, Any]:
    return {"name": TMP_VOLUME, "mountPath": "/tmp"}
