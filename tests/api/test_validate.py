"""Offline validation refuses what the API server refuses, naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlmodel_operator.api import v1alpha1 as api
from mlmodel_operator.api.validate import validate_manifest, validate_spec
from tests.api.cases import CASES, Case, base_model

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example_models() -> list[tuple[str, dict[str, object]]]:
    out = []
    for file in sorted(EXAMPLES.glob("*.yaml")):
        for doc in yaml.safe_load_all(file.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == api.KIND:
                out.append((f"{file.name}:{doc['metadata']['name']}", doc))
    return out


EXAMPLE_MODELS = _example_models()


def test_examples_cover_every_data_source_and_metric_kind() -> None:
    sources = set()
    metrics = set()
    for _, doc in EXAMPLE_MODELS:
        spec = api.MLModelSpec.model_validate(doc["spec"])
        src = spec.data.source
        sources.add(
            "dataset"
            if src.dataset
            else "url"
            if src.url
            else "pvc"
            if src.volume and src.volume.claim_name
            else "configmap"
        )
        metrics.add(spec.monitoring.metric.value)
    assert sources == {"dataset", "url", "pvc", "configmap"}
    assert {"accuracy", "drift", "rmse", "prometheus"} <= metrics


@pytest.mark.parametrize(("name", "doc"), EXAMPLE_MODELS, ids=[n for n, _ in EXAMPLE_MODELS])
def test_every_example_is_valid(name: str, doc: dict[str, object]) -> None:
    assert validate_manifest(doc) == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_invalid_spec_is_refused_naming_the_field(case: Case) -> None:
    problems = validate_manifest(case.manifest())
    assert problems, f"{case.id} was accepted"
    matching = [p for p in problems if p.path == case.path and case.expect in p.message]
    assert matching, f"expected {case.path}: ...{case.expect}...; got {[str(p) for p in problems]}"


def test_defaults_are_applied_before_the_rules() -> None:
    # serving.rollout omitted: its defaults (maxSurge 1) satisfy the rule, as on the server.
    doc = base_model()
    doc["spec"]["serving"] = {"replicas": 3}
    assert validate_manifest(doc) == []
    # threshold omitted with metric rmse: the default 0.8 is a valid rmse threshold.
    doc["spec"]["monitoring"] = {"metric": "rmse"}
    doc["spec"]["training"] = {"estimator": "Ridge"}
    assert validate_manifest(doc) == []


def test_integer_threshold_is_a_number_for_cel() -> None:
    doc = base_model()
    doc["spec"]["monitoring"]["threshold"] = 1
    assert validate_manifest(doc) == []


def test_bare_spec_paths_start_with_spec() -> None:
    problems = validate_spec({"data": {"source": {"dataset": "iris"}}, "serving": {"replicas": -1}})
    assert [p.path for p in problems] == ["spec.serving.replicas"]


def test_params_must_be_scalars_with_one_message() -> None:
    doc = base_model()
    doc["spec"]["training"]["params"] = {"hidden": [1, 2]}
    problems = validate_manifest(doc)
    assert [str(p) for p in problems] == [
        "spec.training.params.hidden: must be a number, string, boolean or null"
    ]


def test_wrong_types_and_list_items_are_located() -> None:
    doc = base_model()
    doc["spec"]["data"]["features"] = ["a", 3]
    doc["spec"]["training"]["resources"] = {"limits": {"cpu": 1}}
    problems = {str(p) for p in validate_manifest(doc)}
    assert "spec.data.features[1]: must be of type string" in problems
    assert "spec.training.resources.limits.cpu: must be of type string" in problems


def test_missing_required_fields() -> None:
    problems = {str(p) for p in validate_manifest({"kind": "MLModel", "spec": {}})}
    assert problems == {"metadata: Required value", "spec.data: Required value"}
