"""Shared fixtures: the real local cluster (hack/cluster), CRDs, and a namespace per test.

Tests that need Kubernetes take the `kubectl` or `namespace` fixture. The session fixture
reuses a running cluster (KUBECONFIG from `hack/cluster env`) or brings one up with
`hack/cluster up`; in CI (CI=true) a cluster that cannot be reached is an error, never a skip.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kube import Kubectl, wait_for

REPO = Path(__file__).resolve().parent.parent
CLUSTER = REPO / "hack" / "cluster"


def _cluster_env() -> dict[str, str]:
    """Parse `hack/cluster env` (export lines) into a dict."""
    out = subprocess.run(
        ["bash", str(CLUSTER), "env"], capture_output=True, text=True, check=True
    ).stdout
    env: dict[str, str] = {}
    for line in out.splitlines():
        m = re.match(r'^export ([A-Z_]+)="?(.*?)"?$', line.strip())
        if m:
            env[m.group(1)] = m.group(2)
    return env


@pytest.fixture(scope="session")
def cluster_env() -> dict[str, str]:
    """Bring the local cluster up once per run (or reuse a running one); its env vars."""
    status = subprocess.run(["bash", str(CLUSTER), "status"], capture_output=True, text=True)
    if status.returncode != 0:
        if os.environ.get("MLMODEL_NO_CLUSTER_UP"):
            pytest.skip("no local cluster running and MLMODEL_NO_CLUSTER_UP is set")
        subprocess.run(["bash", str(CLUSTER), "up"], check=True)
    env = _cluster_env()
    os.environ.update({k: v for k, v in env.items() if k != "PATH"})
    return env


@pytest.fixture(scope="session")
def kubectl(cluster_env: dict[str, str]) -> Kubectl:
    """kubectl for the cluster, with the CRDs from crds/ installed and established."""
    binary = next(
        str(Path(p) / "kubectl")
        for p in cluster_env["PATH"].split(":")
        if (Path(p) / "kubectl").exists()
    )
    k = Kubectl(binary=binary, kubeconfig=cluster_env["KUBECONFIG"])
    k.run("apply", "--server-side", "--force-conflicts", "-f", str(REPO / "crds"))
    k.run("wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")
    return k


@pytest.fixture
def namespace(kubectl: Kubectl, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards (without waiting)."""
    base = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    name = f"t-{base}-{uuid.uuid4().hex[:5]}"
    kubectl.run("create", "namespace", name)
    wait_for(
        f"default ServiceAccount in {name}",
        lambda: kubectl.run("get", "sa", "default", "-n", name, check=False).returncode == 0,
        timeout=30,
    )
    yield name
    kubectl.run("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="session")
def image(cluster_env: dict[str, str]) -> str:
    """The project image loaded into the node (hack/cluster exports MLMODEL_IMAGE)."""
    name = cluster_env.get("MLMODEL_IMAGE") or os.environ.get("MLMODEL_IMAGE")
    if not name:
        pytest.fail(
            "no MLMODEL_IMAGE: the cluster was brought up without a node (MLMODEL_CLUSTER_NODE=0)"
        )
    return name
