"""An in-memory reconcile.Cluster for unit tests of the reconcile pass (no API server)."""

from __future__ import annotations

import copy
import json
from typing import Any

from mlmodel_operator.controller import events


def _matches(obj: dict[str, Any], selector: str) -> bool:
    labels = obj["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in (p.split("=", 1) for p in selector.split(",")))


class FakeCluster:
    def __init__(self, model: dict[str, Any]) -> None:
        self.model = model
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.pods: list[dict[str, Any]] = []
        self.events: list[events.Event] = []
        self.status_patches: list[dict[str, Any]] = []
        self.creates: list[str] = []
        self.applies = 0

    def get_model(self, namespace: str, name: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.model)

    def ensure_created(self, manifest: dict[str, Any]) -> dict[str, Any]:
        key = (manifest["kind"], manifest["metadata"]["name"])
        if key not in self.objects:
            obj = copy.deepcopy(manifest)
            obj["metadata"]["creationTimestamp"] = "2025-06-01T12:00:00Z"
            self.objects[key] = obj
            self.creates.append(f"{key[0]}/{key[1]}")
        return copy.deepcopy(self.objects[key])

    def apply(self, manifest: dict[str, Any]) -> dict[str, Any]:
        key = (manifest["kind"], manifest["metadata"]["name"])
        old = self.objects.get(key, {})
        obj = copy.deepcopy(manifest)
        obj["status"] = old.get("status", {})
        gen = old.get("metadata", {}).get("generation", 0)
        changed = json.dumps(old.get("spec"), sort_keys=True) != json.dumps(
            obj.get("spec"), sort_keys=True
        )
        obj["metadata"]["generation"] = gen + 1 if changed else gen
        self.objects[key] = obj
        self.applies += 1
        return copy.deepcopy(obj)

    def list_jobs(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        return [
            copy.deepcopy(o)
            for (k, _), o in self.objects.items()
            if k == "Job" and _matches(o, selector)
        ]

    def list_pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(p) for p in self.pods if _matches(p, selector)]

    def get_deployment(self, namespace: str, name: str) -> dict[str, Any] | None:
        obj = self.objects.get(("Deployment", name))
        return copy.deepcopy(obj) if obj else None

    def patch_status(self, namespace: str, name: str, patch: dict[str, Any]) -> None:
        self.status_patches.append(patch)
        st = self.model.setdefault("status", {})
        for k, v in patch.items():
            if v is None:
                st.pop(k, None)
            else:
                st[k] = v

    def post_event(self, model: dict[str, Any], event: events.Event) -> None:
        self.events.append(event)

    # -- simulating the kubelet / controllers --------------------------------------------------
    def finish_job(
        self, version: int, summary: dict[str, Any] | None, *, failed: bool = False
    ) -> None:
        job = self.objects[("Job", f"{self.model['metadata']['name']}-train-v{version}")]
        cond = {
            "type": "Failed" if failed else "Complete",
            "status": "True",
            "reason": "BackoffLimitExceeded" if failed else "",
        }
        job["status"] = {"conditions": [cond], "completionTime": "2025-06-01T12:05:00Z"}
        if summary is not None:
            labels = dict(job["spec"]["template"]["metadata"]["labels"])
            labels["batch.kubernetes.io/job-name"] = job["metadata"]["name"]
            self.pods.append(
                {
                    "metadata": {"name": f"{job['metadata']['name']}-pod", "labels": labels},
                    "status": {
                        "containerStatuses": [
                            {
                                "name": "trainer",
                                "state": {
                                    "terminated": {
                                        "exitCode": 1 if failed else 0,
                                        "message": json.dumps(summary),
                                        "finishedAt": "2025-06-01T12:04:00Z",
                                    }
                                },
                            }
                        ]
                    },
                }
            )

    def deployment_ready(self) -> None:
        dep = self.objects[("Deployment", f"{self.model['metadata']['name']}-server")]
        n = dep["spec"]["replicas"]
        dep["status"] = {
            "observedGeneration": dep["metadata"]["generation"],
            "replicas": n,
            "updatedReplicas": n,
            "readyReplicas": n,
            "availableReplicas": n,
            "conditions": [{"type": "Available", "status": "True"}],
        }
