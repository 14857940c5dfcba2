"""End-to-end fixtures: the operator installed in-cluster from manifests/, and a real Prometheus.

The operator runs exactly as a user installs it (`kubectl apply -k manifests/`, its own image,
ServiceAccount and RBAC), with the image name swapped for the one hack/cluster loaded.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import textwrap
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.e2e.traffic import ModelClient
from tests.kube import Kubectl, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.node, pytest.mark.e2e]

OPERATOR_NAMESPACE = "mlmodel-system"
IMAGE_PLACEHOLDER = "localhost/mlmodel-operator:dev"


@pytest.fixture(scope="package")
def operator(kubectl: Kubectl, image: str) -> Iterator[Kubectl]:
    """The operator Deployment from manifests/, Available; uninstalled after the e2e tests."""
    rendered = kubectl.run("kustomize", str(REPO / "manifests")).stdout
    assert IMAGE_PLACEHOLDER in rendered, "manifests/ no longer uses the image placeholder"
    rendered = rendered.replace(IMAGE_PLACEHOLDER, image)
    wait_for(
        f"namespace {OPERATOR_NAMESPACE} of an earlier run to finish terminating",
        lambda: (
            not (kubectl.get("namespace", OPERATOR_NAMESPACE) or {})
            .get("metadata", {})
            .get("deletionTimestamp")
        ),
        timeout=120,
    )
    kubectl.run("apply", "--server-side", "--force-conflicts", "-f", "-", input=rendered)
    ops = kubectl.in_namespace(OPERATOR_NAMESPACE)
    ops.run(
        "wait", "--for=condition=Available", "deployment", "--all", "--timeout=180s", timeout=200
    )
    yield ops
    logs = ops.run("logs", "deployment/mlmodel-operator", "--tail=400", check=False).stdout
    (Path(tempfile.gettempdir()) / "mlmodel-operator-e2e.log").write_text(logs)
    # Stop the operator so later tests can run their own; the CRD and namespace stay.
    ops.run("delete", "deployment", "mlmodel-operator", "--ignore-not-found", timeout=120)


@pytest.fixture(scope="module")
def model_namespace(operator: Kubectl, kubectl: Kubectl) -> Iterator[Kubectl]:
    """A namespace for one module's MLModels, which the module's steps share in order."""
    ns = f"e2e-{uuid.uuid4().hex[:6]}"
    kubectl.run("create", "namespace", ns)
    k = kubectl.in_namespace(ns)
    wait_for("default ServiceAccount", lambda: k.get("serviceaccount", "default"), timeout=30)
    yield k
    # While the operator still runs, so it can release its finalizers.
    k.run("delete", "mlmodel", "--all", "--timeout=60s", check=False, timeout=90)
    kubectl.run("delete", "namespace", ns, "--wait=false", check=False)


def node_ip(kubectl: Kubectl) -> str:
    node = kubectl.json("get", "nodes")["items"][0]
    return next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")


@dataclass
class Prometheus:
    """A real Prometheus server and the Services whose pods it scrapes.

    Debian's Prometheus 2.42 is built without Kubernetes service discovery, so a thread feeds
    its file_sd targets from each watched Service's ready endpoints, the same pod addresses
    kubernetes_sd would find.
    """

    url: str
    targets_file: Path
    kubectl: Kubectl
    watched: list[tuple[str, str]] = field(default_factory=list)

    def scrape(self, namespace: str, service: str) -> None:
        self.watched.append((namespace, service))
        self.refresh()

    def refresh(self) -> None:
        groups = []
        for namespace, service in list(self.watched):
            k = self.kubectl.in_namespace(namespace)
            proc = k.run("get", "endpoints", service, "-o", "json", check=False)
            if proc.returncode != 0:
                continue
            for subset in json.loads(proc.stdout).get("subsets", []):
                port = subset["ports"][0]["port"]
                for address in subset.get("addresses", []):
                    pod = (address.get("targetRef") or {}).get("name", "")
                    groups.append(
                        {
                            "targets": [f"{address['ip']}:{port}"],
                            "labels": {
                                "namespace": namespace,
                                "mlmodel": service.removesuffix("-server"),
                                "pod": pod,
                            },
                        }
                    )
        tmp = self.targets_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(groups))
        tmp.replace(self.targets_file)


@pytest.fixture(scope="package")
def prometheus(kubectl: Kubectl) -> Iterator[Prometheus]:
    """A real Prometheus (Debian's package) on the node address, scraping watched Services."""
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not Path(binary).exists():
        pytest.fail("prometheus is not installed (apt-get install prometheus; .ci/run does it)")
    ip = node_ip(kubectl)
    with socket.socket() as s:
        s.bind((ip, 0))
        port = s.getsockname()[1]
    work = Path(tempfile.mkdtemp(prefix="mlmodel-prometheus-"))
    targets = work / "targets.json"
    targets.write_text("[]")
    config = work / "prometheus.yml"
    config.write_text(
        textwrap.dedent(
            f"""
            global: {{scrape_interval: 2s, evaluation_interval: 2s}}
            scrape_configs:
            - job_name: mlmodel-pods
              file_sd_configs:
              - files: [{targets}]
                refresh_interval: 2s
            """
        )
    )
    log_path = work / "prometheus.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={work / 'data'}",
            f"--web.listen-address={ip}:{port}",
            "--storage.tsdb.retention.time=1h",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Prometheus(url=f"http://{ip}:{port}", targets_file=targets, kubectl=kubectl)
    stop = threading.Event()

    def keep_targets_fresh() -> None:
        while not stop.wait(2):
            server.refresh()

    refresher = threading.Thread(target=keep_targets_fresh, daemon=True)
    try:
        try:
            wait_for(
                "Prometheus to be ready",
                lambda: proc.poll() is None and _ok(f"{server.url}/-/ready"),
                timeout=60,
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log_path.read_text()[-2000:]}") from None
        refresher.start()
        yield server
    finally:
        stop.set()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


# ---- reading an MLModel's story ---------------------------------------------------------------


def status(k: Kubectl, name: str) -> dict[str, Any]:
    obj = k.get("mlmodel", name) or {}
    return obj.get("status") or {}


def condition(st: dict[str, Any], type_: str) -> dict[str, Any]:
    return next((c for c in st.get("conditions", []) if c["type"] == type_), {})


def version(st: dict[str, Any], number: int) -> dict[str, Any]:
    return next((v for v in st.get("versions", []) if v["version"] == number), {})


def wait_serving(k: Kubectl, name: str, number: int, timeout: float = 420) -> dict[str, Any]:
    """Wait until version `number` serves and the model is Ready; fail early on a failed version."""

    def probe() -> dict[str, Any] | None:
        st = status(k, name)
        v = version(st, number)
        if v.get("state") in ("Failed", "Rejected"):
            raise AssertionError(f"version {number} ended {v['state']}: {v.get('reason')}\n{st}")
        ready = condition(st, "Ready").get("status") == "True"
        return st if st.get("servingVersion") == number and ready else None

    return wait_for(
        f"{name} to serve version {number} and be Ready", probe, timeout=timeout, interval=2
    )


def client_for(k: Kubectl, name: str) -> ModelClient:
    service = k.json("get", "service", f"{name}-server")
    port = service["spec"]["ports"][0]["port"]
    return ModelClient(f"http://{service['spec']['clusterIP']}:{port}")


def wait_rollout_done(k: Kubectl, name: str, timeout: float = 300) -> None:
    k.run(
        "rollout",
        "status",
        f"deployment/{name}-server",
        f"--timeout={int(timeout)}s",
        timeout=timeout + 20,
    )
    # The old pods have gone once only the new ReplicaSet's pods remain.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pods = k.json(
            "get",
            "pods",
            "-l",
            f"app.kubernetes.io/instance={name},app.kubernetes.io/component=server",
        )
        if all(not p["metadata"].get("deletionTimestamp") for p in pods["items"]):
            return
        time.sleep(1)
