"""Helpers for the operator's integration tests on the real local cluster.

- OperatorProcess: `python -m mlmodel_operator.controller` as a subprocess scoped to one
  namespace (exactly what the Deployment runs, minus the pod), with its log kept for failures.
- PromStub: a real HTTP endpoint on 127.0.0.1 answering Prometheus' /api/v1/query with a value
  the test sets: the seam through which a test feeds the monitored metric.
- finish_training: make a training Job finish. With a node the real trainer runs and this only
  waits; without one it plays the kubelet: the Job's pod gets a terminated container whose
  termination message is a TrainingSummary, and the Job is marked complete if the Job
  controller does not do it itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.kube import Kubectl, wait_for

REPO = Path(__file__).resolve().parents[2]


def has_node(kubectl: Kubectl) -> bool:
    """Pods really run: MLMODEL_CLUSTER_HAS_NODE=1/0 decides, else a Ready node exists."""
    forced = os.environ.get("MLMODEL_CLUSTER_HAS_NODE")
    if forced in ("0", "1"):
        return forced == "1"
    nodes = kubectl.json("get", "nodes").get("items", [])
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for n in nodes
        for c in n.get("status", {}).get("conditions", [])
    )


class OperatorProcess:
    """The operator as a child process watching one namespace."""

    def __init__(self, *, kubectl: Kubectl, namespace: str, image: str, log_path: Path) -> None:
        self.kubectl = kubectl
        self.namespace = namespace
        self.image = image
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> OperatorProcess:
        env = {
            **os.environ,
            "KUBECONFIG": self.kubectl.kubeconfig,
            "MLMODEL_OPERATOR_NAMESPACE": self.namespace,
            "MLMODEL_OPERATOR_RUNTIME_IMAGE": self.image,
            "MLMODEL_OPERATOR_METRICS_PORT": "0",
            "MLMODEL_OPERATOR_LIVENESS_PORT": "0",
            "MLMODEL_OPERATOR_LOG_FORMAT": "plain",
        }
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mlmodel_operator.controller"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class PromStub:
    """A tiny Prometheus: GET /api/v1/query answers {"value": <current value>} as a vector."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.queries: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if not self.path.startswith("/api/v1/query"):
                    self.send_error(404)
                    return
                stub.queries.append(self.path)
                body = json.dumps(
                    {
                        "status": "success",
                        "data": {
                            "resultType": "vector",
                            "result": [{"metric": {}, "value": [time.time(), str(stub.value)]}],
                        },
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> PromStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def summary(version: int, score: float, *, baseline: float | None = None) -> dict[str, Any]:
    """A successful TrainingSummary as the trainer writes it to the termination message."""
    return {
        "ok": True,
        "version": version,
        "metrics": {"accuracy": score, "f1_macro": score},
        "score": score,
        "baselineScore": baseline,
        "artifactSha256": f"{version:064x}",
        "dataFingerprint": "0" * 64,
        "rows": 150,
        "dataReport": {"rowsIn": 150, "rowsOut": 150},
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _job_done(kubectl: Kubectl, job: str) -> str | None:
    obj = kubectl.get("job", job)
    for cond in (obj or {}).get("status", {}).get("conditions", []) or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return str(cond["type"])
    return None


def finish_training(
    kubectl: Kubectl, *, job: str, node: bool, result: dict[str, Any], timeout: float = 240
) -> str:
    """Make `job` finish ('Complete' or 'Failed'); simulated with `result` when there's no node."""
    if node:
        return wait_for(f"Job {job} to finish", lambda: _job_done(kubectl, job), timeout=timeout)
    try:  # the Job controller makes the pod (it stays Pending without a node)
        pods = wait_for(f"pods of {job}", lambda: _job_pods(kubectl, job), timeout=15)
        pod = pods[0]["metadata"]["name"]
    except AssertionError:
        pod = _create_job_pod(kubectl, job)
    ok = bool(result.get("ok"))
    now = _now()
    container_status = {
        "name": "trainer",
        "image": "simulated",
        "imageID": "",
        "ready": False,
        "restartCount": 0,
        "started": False,
        "state": {
            "terminated": {
                "exitCode": 0 if ok else 1,
                "reason": "Completed" if ok else "Error",
                "message": json.dumps(result),
                "startedAt": now,
                "finishedAt": now,
            }
        },
    }
    patch = {
        "status": {
            "phase": "Succeeded" if ok else "Failed",
            "containerStatuses": [container_status],
        }
    }
    kubectl.run(
        "patch", "pod", pod, "--subresource=status", "--type=merge", "-p", json.dumps(patch)
    )
    try:
        return wait_for(
            f"Job controller to finish {job}", lambda: _job_done(kubectl, job), timeout=20
        )
    except AssertionError:
        pass  # no Job controller reacting: mark it ourselves
    conds = (
        [
            {"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": now},
            {"type": "Complete", "status": "True", "lastTransitionTime": now},
        ]
        if ok
        else [
            {
                "type": "FailureTarget",
                "status": "True",
                "reason": "BackoffLimitExceeded",
                "lastTransitionTime": now,
            },
            {
                "type": "Failed",
                "status": "True",
                "reason": "BackoffLimitExceeded",
                "lastTransitionTime": now,
            },
        ]
    )
    status: dict[str, Any] = {"conditions": conds, "startTime": now, "active": 0}
    status["succeeded" if ok else "failed"] = 1
    if ok:
        status["completionTime"] = now
    kubectl.run(
        "patch",
        "job",
        job,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": status}),
    )
    return wait_for(f"Job {job} to finish", lambda: _job_done(kubectl, job), timeout=20)


def _job_pods(kubectl: Kubectl, job: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = kubectl.json(
        "get", "pods", "-l", f"batch.kubernetes.io/job-name={job}"
    ).get("items", [])
    return items


def _create_job_pod(kubectl: Kubectl, job: str) -> str:
    """Without a Job controller nobody makes the pod: make it from the Job's template."""
    obj = kubectl.get("job", job)
    assert obj is not None, f"Job {job} vanished"
    tmpl = obj["spec"]["template"]
    labels = {
        **tmpl["metadata"].get("labels", {}),
        "batch.kubernetes.io/job-name": job,
        "job-name": job,
    }
    name = f"{job}-sim"
    kubectl.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels},
            "spec": tmpl["spec"],
        }
    )
    return name
