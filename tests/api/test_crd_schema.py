"""Structural-schema properties the API server (and `kubectl explain`) rely on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mlmodel_operator.api import crd
from mlmodel_operator.api import v1alpha1 as api

CRD = crd.render()
VERSION = CRD["spec"]["versions"][0]
SCHEMA = VERSION["schema"]["openAPIV3Schema"]


def _nodes(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(node, dict):
        return
    yield path, node
    for name, child in node.get("properties", {}).items():
        yield from _nodes(child, f"{path}.{name}")
    if "items" in node:
        yield from _nodes(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _nodes(node["additionalProperties"], f"{path}{{}}")


def test_every_property_under_spec_and_status_has_a_description() -> None:
    for part in ("spec", "status"):
        for path, node in _nodes(SCHEMA["properties"][part], part):
            for name, child in node.get("properties", {}).items():
                assert child.get("description", "").strip(), f"{path}.{name} has no description"


def test_schema_is_structural() -> None:
    for path, node in _nodes(SCHEMA):
        assert not {"$ref", "$defs", "anyOf", "allOf", "oneOf", "title", "nullable"} & set(node), (
            path
        )
        if path != ".metadata":
            assert "type" in node, f"{path or 'root'} has no type"
        assert not ("properties" in node and "additionalProperties" in node), path
        if "exclusiveMinimum" in node:
            assert node["exclusiveMinimum"] is True and "minimum" in node, path


def test_monitoring_fields_are_documented_for_kubectl_explain() -> None:
    monitoring = SCHEMA["properties"]["spec"]["properties"]["monitoring"]
    wire = {f.alias for f in api.MonitoringSpec.model_fields.values()}
    assert set(monitoring["properties"]) == wire
    assert monitoring["properties"]["metric"]["enum"] == [m.value for m in api.MonitoringMetric]


def test_cel_rules_are_emitted_where_the_models_declare_them() -> None:
    spec = SCHEMA["properties"]["spec"]
    rules = {r["rule"] for r in spec["x-kubernetes-validations"]}
    assert rules == {r.rule for r in api.MLModelSpec.__cel_rules__}
    monitoring = spec["properties"]["monitoring"]["x-kubernetes-validations"]
    assert {r["fieldPath"] for r in monitoring} == {".threshold", ".prometheus"}
    assert {r["rule"] for r in SCHEMA["x-kubernetes-validations"]} == {
        "size(self.metadata.name) <= 40"
    }


def test_defaults_match_the_models() -> None:
    spec = SCHEMA["properties"]["spec"]["properties"]
    assert spec["serving"]["properties"]["replicas"]["default"] == api.ServingSpec().replicas
    assert spec["monitoring"]["properties"]["threshold"]["default"] == 0.8
    assert spec["training"]["properties"]["estimator"]["default"] == "RandomForestClassifier"
    # Object defaults are complete: the API server checks them against the CEL rules as they are.
    assert spec["serving"]["default"] == api.ServingSpec().to_wire()
    assert spec["monitoring"]["default"]["metric"] == "accuracy"
    assert "default" not in spec["data"]  # required, never defaulted
    status = SCHEMA["properties"]["status"]
    assert all("default" not in n for _, n in _nodes(status)), "status is observed, not defaulted"


def test_optional_fields_are_not_required() -> None:
    data = SCHEMA["properties"]["spec"]["properties"]["data"]
    assert data["required"] == ["source"]
    assert "required" not in data["properties"]["source"]


def test_params_keep_scalar_values_and_resources_are_string_maps() -> None:
    training = SCHEMA["properties"]["spec"]["properties"]["training"]["properties"]
    assert training["params"]["x-kubernetes-preserve-unknown-fields"] is True
    assert training["params"]["maxProperties"] == 64
    requests = training["resources"]["properties"]["requests"]
    assert requests["additionalProperties"]["type"] == "string"


def test_conditions_merge_by_type() -> None:
    conditions = SCHEMA["properties"]["status"]["properties"]["conditions"]
    assert conditions["x-kubernetes-list-type"] == "map"
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]
    assert "type" in conditions["items"]["required"]


def test_names_subresources_and_columns() -> None:
    names = CRD["spec"]["names"]
    assert names["shortNames"] == ["mlm"] and names["categories"] == ["all", "ml"]
    scale = VERSION["subresources"]["scale"]
    assert scale == {
        "specReplicasPath": ".spec.serving.replicas",
        "statusReplicasPath": ".status.replicas",
        "labelSelectorPath": ".status.selector",
    }
    columns = {c["name"]: (c["type"], c["jsonPath"]) for c in VERSION["additionalPrinterColumns"]}
    assert columns["Last-Retrain"] == ("date", ".status.lastRetrainTime")
    assert list(columns) == ["Phase", "Serving", "Metric", "Threshold", "Last-Retrain", "Age"]


def test_unsupported_union_is_refused() -> None:
    from pydantic import BaseModel

    class Bad(BaseModel):
        value: int | str
        """A union that is not Optional."""

    schema = Bad.model_json_schema()
    conv = crd._Converter(defs={}, with_defaults=True)
    with pytest.raises(crd.SchemaError, match="unions"):
        conv.model(schema, "Bad", path="spec")
