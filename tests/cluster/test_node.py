"""The local node really runs pods: the project image, Services with DNS, rollouts, volumes, exec."""

from __future__ import annotations

import json
import textwrap
import urllib.request
from typing import Any

import pytest

from tests.kube import Kubectl, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.node]

RESTRICTED = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}

HOSTNAME_SERVER = textwrap.dedent(
    """
    import http.server, os, socket
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = (socket.gethostname() + " " + os.environ["GREETING"]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    http.server.ThreadingHTTPServer(("", 8080), Handler).serve_forever()
    """
)


def _pod(name: str, image: str, command: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "main",
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "command": command,
                    "securityContext": RESTRICTED,
                    **extra,
                }
            ],
        },
    }


def _wait_phase(k: Kubectl, pod: str, phase: str, timeout: float = 180) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        obj = k.get("pod", pod)
        if obj and obj["status"].get("phase") == "Failed" and phase != "Failed":
            raise AssertionError(f"pod {pod} failed: {k.run('logs', pod, check=False).stdout}")
        return obj if obj and obj["status"].get("phase") == phase else None

    return wait_for(f"pod {pod} to be {phase}", probe, timeout=timeout)


def test_project_image_runs_to_completion(kubectl: Kubectl, namespace: str, image: str) -> None:
    k = kubectl.in_namespace(namespace)
    k.apply(
        _pod(
            "imports",
            image,
            [
                "python",
                "-c",
                "import sklearn, kopf, prometheus_client; print('imports ok', sklearn.__version__)",
            ],
        )
    )
    _wait_phase(k, "imports", "Succeeded")
    assert "imports ok" in k.run("logs", "imports").stdout


def test_deployment_service_dns_and_rolling_update(
    kubectl: Kubectl, namespace: str, image: str
) -> None:
    k = kubectl.in_namespace(namespace)

    def deployment(greeting: str) -> dict[str, Any]:
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": image,
                                "imagePullPolicy": "IfNotPresent",
                                "command": ["python", "-c", HOSTNAME_SERVER],
                                "env": [{"name": "GREETING", "value": greeting}],
                                "ports": [{"containerPort": 8080}],
                                "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
                                "securityContext": RESTRICTED,
                            }
                        ]
                    },
                },
            },
        }

    k.apply(deployment("v1"))
    k.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 8080, "targetPort": 8080}]},
        }
    )
    k.run("rollout", "status", "deployment/web", "--timeout=180s", timeout=200)
    first_pods = {p["metadata"]["name"] for p in k.json("get", "pods", "-l", "app=web")["items"]}
    assert len(first_pods) == 2

    # From another pod, by DNS name: both replicas answer.
    client = textwrap.dedent(
        f"""
        import time, urllib.request
        url = "http://web.{namespace}.svc.cluster.local:8080"
        for _ in range(30):  # kube-proxy programs a new Service within a moment; wait for it
            try:
                urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                time.sleep(1)
        seen = set()
        for _ in range(60):
            seen.add(urllib.request.urlopen(url, timeout=5).read().decode())
        print("\\n".join(sorted(seen)))
        """
    )
    k.apply(_pod("client", image, ["python", "-c", client]))
    _wait_phase(k, "client", "Succeeded")
    answers = k.run("logs", "client").stdout.split("\n")
    assert {a.split()[0] for a in answers if a} == first_pods

    # From the host, through the Service's ClusterIP (kube-proxy's rules on this machine).
    cluster_ip = k.json("get", "service", "web")["spec"]["clusterIP"]
    seen = {
        urllib.request.urlopen(f"http://{cluster_ip}:8080", timeout=5).read().decode().split()[0]
        for _ in range(60)
    }
    assert seen == first_pods

    # A rolling update replaces both pods.
    k.apply(deployment("v2"))
    k.run("rollout", "status", "deployment/web", "--timeout=180s", timeout=200)

    def new_pods_only() -> set[str] | None:
        pods = k.json("get", "pods", "-l", "app=web")["items"]
        names = {p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp")}
        return names if len(names) == 2 and not names & first_pods else None

    wait_for("both pods replaced", new_pods_only, timeout=120)

    # Old pods leave the Service's endpoints as they terminate; soon only v2 answers.
    def only_v2_answers() -> bool:
        answers = [
            urllib.request.urlopen(f"http://{cluster_ip}:8080", timeout=5).read().decode()
            for _ in range(20)
        ]
        return all(a.endswith(" v2") for a in answers)

    wait_for("only the new pods to answer through the Service", only_v2_answers, timeout=60)


def test_pvc_binds_and_keeps_data_across_pods(kubectl: Kubectl, namespace: str, image: str) -> None:
    k = kubectl.in_namespace(namespace)
    k.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "10Mi"}},
            },
        }
    )
    wait_for(
        "the claim to bind through the default StorageClass",
        lambda: (k.get("pvc", "data") or {}).get("status", {}).get("phase") == "Bound",
        timeout=60,
    )
    mount = {"volumeMounts": [{"name": "data", "mountPath": "/data"}]}
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    writer = _pod(
        "writer", image, ["python", "-c", "open('/data/note','w').write('kept')"], **mount
    )
    writer["spec"]["volumes"] = volumes
    k.apply(writer)
    _wait_phase(k, "writer", "Succeeded")
    reader = _pod("reader", image, ["python", "-c", "print(open('/data/note').read())"], **mount)
    reader["spec"]["volumes"] = volumes
    k.apply(reader)
    _wait_phase(k, "reader", "Succeeded")
    assert k.run("logs", "reader").stdout.strip() == "kept"


def test_exec_into_a_running_pod(kubectl: Kubectl, namespace: str, image: str) -> None:
    k = kubectl.in_namespace(namespace)
    k.apply(_pod("sleeper", image, ["python", "-c", "import time; time.sleep(600)"]))
    _wait_phase(k, "sleeper", "Running")
    out = k.run(
        "exec",
        "sleeper",
        "--",
        "python",
        "-c",
        "import json, os; print(json.dumps({'uid': os.getuid()}))",
    )
    assert json.loads(out.stdout)["uid"] != 0
