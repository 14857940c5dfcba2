"""The real API server admits exactly what `mlmodel validate` admits, with the same messages.

Runs against the local cluster (hack/cluster): the generated CRD installs, `kubectl explain`
documents the fields, every example is accepted (and defaulted exactly as pydantic defaults
it), and every invalid case from tests/api/cases.py is refused naming the same field and saying
the same thing as the offline validator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlmodel_operator.api import v1alpha1 as api
from mlmodel_operator.api.validate import validate_manifest
from tests.api.cases import CASES
from tests.kube import Kubectl, wait_for

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]


def _example_models() -> list[dict[str, Any]]:
    docs = []
    for file in sorted((REPO / "examples").glob("*.yaml")):
        docs += [
            d
            for d in yaml.safe_load_all(file.read_text())
            if isinstance(d, dict) and d.get("kind") == api.KIND
        ]
    return docs


def _dry_run(kubectl: Kubectl, namespace: str, doc: dict[str, Any]) -> Any:
    return kubectl.run(
        "apply", "--dry-run=server", "-n", namespace, "-o", "json", "-f", "-",
        input=yaml.safe_dump(doc), check=False,
    )  # fmt: skip


def test_crds_apply_and_are_served(kubectl: Kubectl) -> None:
    kubectl.run("apply", "-f", str(REPO / "crds"))
    kubectl.run("wait", "--for=condition=Established", "--timeout=60s", "crd/mlmodels.mlops.dev")
    crd = kubectl.json("get", "crd", "mlmodels.mlops.dev")
    assert crd["spec"]["names"]["shortNames"] == ["mlm"]
    assert kubectl.run("get", "mlm", "-A").returncode == 0


def test_kubectl_explain_documents_monitoring(kubectl: Kubectl) -> None:
    fields = [f.alias for f in api.MonitoringSpec.model_fields.values()]

    def explained() -> str | None:
        proc = kubectl.run("explain", "mlmodel.spec.monitoring", check=False)
        return proc.stdout if proc.returncode == 0 and "intervalSeconds" in proc.stdout else None

    text = wait_for("kubectl explain mlmodel.spec.monitoring", explained, timeout=60)
    for name in fields:
        assert f"  {name}\t" in text or f"  {name} " in text, f"{name} missing:\n{text}"
    assert "The production metric and its threshold." in text
    assert "How often the operator reads the metric." in text


def test_every_example_is_accepted_and_defaulted_like_pydantic(
    kubectl: Kubectl, namespace: str
) -> None:
    failures = []
    for doc in _example_models():
        proc = _dry_run(kubectl, namespace, doc)
        name = doc["metadata"]["name"]
        if proc.returncode != 0:
            failures.append(f"{name}: refused: {proc.stderr.strip()}")
            continue
        stored = json.loads(proc.stdout)["spec"]
        expected = api.MLModelSpec.model_validate(doc["spec"]).to_wire()
        if stored != expected:
            failures.append(f"{name}: server defaults differ:\n{stored}\n!=\n{expected}")
    assert not failures, "\n".join(failures)


def test_invalid_specs_are_refused_like_mlmodel_validate(kubectl: Kubectl, namespace: str) -> None:
    failures = []
    for case in CASES:
        doc = case.manifest()
        offline = [str(p) for p in validate_manifest(doc)]
        if not any(case.path in p and case.expect in p for p in offline):
            failures.append(f"{case.id}: mlmodel validate said {offline}")
        proc = _dry_run(kubectl, namespace, doc)
        if proc.returncode == 0:
            failures.append(f"{case.id}: the API server accepted it")
        elif case.expect not in proc.stderr or case.path not in proc.stderr:
            failures.append(
                f"{case.id}: expected {case.path}: ...{case.expect}...; the API server said "
                f"{proc.stderr.strip()}"
            )
    assert not failures, "\n".join(failures)
