"""The local control plane is real Kubernetes: pinned version, ready, CRDs, real controllers."""

from __future__ import annotations

import pytest

from tests.kube import Kubectl, wait_for

pytestmark = pytest.mark.cluster


def test_server_is_the_pinned_release(kubectl: Kubectl) -> None:
    version = kubectl.json("version")
    assert version["serverVersion"]["gitVersion"].startswith(("v1.33.", "v1.34."))
    assert version["clientVersion"]["gitVersion"] == version["serverVersion"]["gitVersion"]


def test_readyz_says_ok(kubectl: Kubectl) -> None:
    assert kubectl.run("get", "--raw", "/readyz").stdout.strip() == "ok"


def test_crds_are_established(kubectl: Kubectl) -> None:
    crd = kubectl.json("get", "crd", "mlmodels.mlops.dev")
    established = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert established["Established"] == "True"


def test_job_controller_creates_the_pod(kubectl: Kubectl, namespace: str) -> None:
    """A Job created through the API gets its Pod from the real job controller."""
    k = kubectl.in_namespace(namespace)
    k.run("create", "job", "smoke", "--image=localhost/does-not-matter:1", "--", "true")

    def pods_of_job() -> list[dict[str, object]]:
        return k.json("get", "pods", "-l", "job-name=smoke")["items"]  # type: ignore[no-any-return]

    pods = wait_for("the job controller to create a pod", pods_of_job, timeout=60)
    owner = pods[0]["metadata"]["ownerReferences"][0]  # type: ignore[index]
    assert owner["kind"] == "Job" and owner["name"] == "smoke"
    assert owner["controller"] is True
