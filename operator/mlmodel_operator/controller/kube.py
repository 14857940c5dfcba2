"""I/O: the only module that imports `kubernetes`; implements reconcile.Cluster.

Children are applied idempotently: Deployments and Services by server-side apply (an unchanged
manifest is a no-op on the server), PVCs and Jobs by create-if-missing (their specs are
immutable, and a version's Job must never be replaced). API failures become the controller's
typed errors (errors.py); raw dicts in, raw dicts out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from datetime import UTC, datetime
from typing import Any

import kubernetes
import urllib3
from kubernetes.client.exceptions import ApiException

from mlmodel_operator.api import contract, v1alpha1
from mlmodel_operator.controller import events
from mlmodel_operator.controller.desired import names
from mlmodel_operator.controller.errors import ApiRefused, TransientApiError

log = logging.getLogger(__name__)

TRANSIENT_STATUS = frozenset({409, 429, 500, 502, 503, 504})
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
MERGE_CONTENT_TYPE = "application/merge-patch+json"


def load_config() -> None:
    """In-cluster credentials in a pod, else the local kubeconfig ($KUBECONFIG)."""
    try:
        kubernetes.config.load_incluster_config()  # type: ignore[no-untyped-call]
    except kubernetes.config.ConfigException:
        kubernetes.config.load_kube_config()  # type: ignore[no-untyped-call]


def _translate(what: str, exc: Exception) -> Exception:
    if isinstance(exc, ApiException):
        detail = exc.reason or ""
        with contextlib.suppress(ValueError, AttributeError):
            detail = json.loads(exc.body or "{}").get("message") or detail
        if exc.status in TRANSIENT_STATUS or exc.status is None:
            return TransientApiError(f"{what}: HTTP {exc.status} {detail}")
        return ApiRefused(f"{what}: HTTP {exc.status} {detail}", status=int(exc.status))
    return TransientApiError(f"{what}: {exc}")


def _load(resp: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resp.data)
    return data


class KubeCluster:
    """reconcile.Cluster over the official client (sync; kopf runs our handlers in threads)."""

    def __init__(self, api_client: kubernetes.client.ApiClient | None = None) -> None:
        # Typed as Any: we pass raw dicts and read raw JSON (_preload_content=False) throughout.
        self.api: Any = api_client or kubernetes.client.ApiClient()
        self.core: Any = kubernetes.client.CoreV1Api(self.api)
        self.apps: Any = kubernetes.client.AppsV1Api(self.api)
        self.batch: Any = kubernetes.client.BatchV1Api(self.api)
        self.custom: Any = kubernetes.client.CustomObjectsApi(self.api)
        self.instance = socket.gethostname()

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise _translate(what, exc) from exc

    def _get(self, what: str, fn: Any, *args: Any) -> dict[str, Any] | None:
        try:
            return _load(fn(*args, _preload_content=False))
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise _translate(what, exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _translate(what, exc) from exc

    # -- MLModel -----------------------------------------------------------------------------
    def get_model(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            obj: dict[str, Any] = self.custom.get_namespaced_custom_object(
                v1alpha1.GROUP, v1alpha1.VERSION, namespace, v1alpha1.PLURAL, name
            )
            return obj
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise _translate(f"get MLModel {namespace}/{name}", exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _translate(f"get MLModel {namespace}/{name}", exc) from exc

    def patch_status(self, namespace: str, name: str, patch: dict[str, Any]) -> None:
        self._call(
            f"patch MLModel {namespace}/{name} status",
            self.custom.patch_namespaced_custom_object_status,
            v1alpha1.GROUP,
            v1alpha1.VERSION,
            namespace,
            v1alpha1.PLURAL,
            name,
            {"status": patch},
            _content_type=MERGE_CONTENT_TYPE,
        )

    # -- children ---------------------------------------------------------------------------
    def ensure_created(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Create the object unless it exists (read first: most passes find it); return it."""
        kind = manifest["kind"]
        ns = manifest["metadata"]["namespace"]
        name = manifest["metadata"]["name"]
        what = f"create {kind} {ns}/{name}"
        create: Any
        read: Any
        create, read = {
            "PersistentVolumeClaim": (
                self.core.create_namespaced_persistent_volume_claim,
                self.core.read_namespaced_persistent_volume_claim,
            ),
            "Job": (self.batch.create_namespaced_job, self.batch.read_namespaced_job),
        }[kind]
        existing = self._get(f"read {kind} {ns}/{name}", read, name, ns)
        if existing is not None:
            return existing
        try:
            return _load(create(ns, manifest, _preload_content=False))
        except ApiException as exc:
            if exc.status != 409:
                raise _translate(what, exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _translate(what, exc) from exc
        existing = self._get(f"read {kind} {ns}/{name}", read, name, ns)
        if existing is None:
            raise TransientApiError(f"{what}: it exists and vanished; retrying")
        return existing

    def apply(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply as the operator's field manager (force: the operator owns these)."""
        kind = manifest["kind"]
        ns = manifest["metadata"]["namespace"]
        name = manifest["metadata"]["name"]
        patch = {
            "Deployment": self.apps.patch_namespaced_deployment,
            "Service": self.core.patch_namespaced_service,
        }[kind]
        resp = self._call(
            f"apply {kind} {ns}/{name}",
            patch,
            name,
            ns,
            manifest,
            field_manager=names.FIELD_MANAGER,
            force=True,
            _content_type=APPLY_CONTENT_TYPE,
            _preload_content=False,
        )
        return _load(resp)

    def _list(self, what: str, fn: Any, namespace: str, selector: str) -> list[dict[str, Any]]:
        resp = self._call(
            f"list {what} in {namespace}",
            fn,
            namespace,
            label_selector=selector,
            _preload_content=False,
        )
        items: list[dict[str, Any]] = _load(resp).get("items") or []
        return items

    def list_jobs(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        return self._list("Jobs", self.batch.list_namespaced_job, namespace, selector)

    def list_pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        return self._list("Pods", self.core.list_namespaced_pod, namespace, selector)

    def get_deployment(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._get(
            f"read Deployment {namespace}/{name}",
            self.apps.read_namespaced_deployment,
            name,
            namespace,
        )

    # -- events -----------------------------------------------------------------------------
    def post_event(self, model: dict[str, Any], event: events.Event) -> None:
        """Post an Event on the MLModel; a failure is logged, never fatal to the pass."""
        meta = model["metadata"]
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {
            "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
            "involvedObject": {
                "apiVersion": v1alpha1.API_VERSION,
                "kind": v1alpha1.KIND,
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": meta["uid"],
                "resourceVersion": meta.get("resourceVersion"),
            },
            "type": event.type,
            "reason": event.reason,
            "message": event.message[:1024],
            "source": {"component": contract.MANAGER},
            "reportingComponent": f"{v1alpha1.GROUP}/{contract.MANAGER}",
            "reportingInstance": self.instance,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        try:
            self.core.create_namespaced_event(meta["namespace"], body, _preload_content=False)
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            log.warning(
                "Failed to post Event %s on MLModel %s: %s", event.reason, meta["name"], exc
            )
