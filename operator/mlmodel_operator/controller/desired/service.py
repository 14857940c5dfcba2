"""PURE: the ClusterIP Service (`<model>-server`) in front of the serving pods."""

from __future__ import annotations

from typing import Any

from mlmodel_operator.api import contract
from mlmodel_operator.controller.desired import names


def desired_service(*, owner: names.Owner) -> dict[str, Any]:
    """Selects every serving pod regardless of version, so a rollout never empties it."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": names.metadata(
            owner, name=names.server_name(owner.name), component=contract.COMPONENT_SERVER
        ),
        "spec": {
            "type": "ClusterIP",
            "selector": names.selector(owner.name, component=contract.COMPONENT_SERVER),
            "ports": [
                {
                    "name": contract.PORT_NAME,
                    "port": contract.HTTP_PORT,
                    "targetPort": contract.PORT_NAME,
                    "protocol": "TCP",
                }
            ],
        },
    }
