"""Invalid MLModels shared by the offline validator tests and the API server admission tests.

Each case changes the iris sample in one way; both `mlmodel validate` and the API server must
refuse it, naming the field (`path`) and saying `expect` (a substring of both messages).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Manifest = dict[str, Any]


def base_model(name: str = "iris") -> Manifest:
    return {
        "apiVersion": "mlops.dev/v1alpha1",
        "kind": "MLModel",
        "metadata": {"name": name},
        "spec": {
            "data": {"source": {"dataset": "iris"}},
            "training": {"estimator": "RandomForestClassifier"},
            "monitoring": {"metric": "accuracy", "threshold": 0.8},
        },
    }


@dataclass(frozen=True)
class Case:
    id: str
    change: Callable[[Manifest], None]
    path: str
    expect: str

    def manifest(self) -> Manifest:
        doc = copy.deepcopy(base_model())
        self.change(doc)
        return doc


def _set(*keys: str, value: Any) -> Callable[[Manifest], None]:
    def change(doc: Manifest) -> None:
        node = doc
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value

    return change


def _many(*changes: Callable[[Manifest], None]) -> Callable[[Manifest], None]:
    def change(doc: Manifest) -> None:
        for c in changes:
            c(doc)

    return change


CASES = [
    Case(
        "two-data-sources",
        _many(
            _set("spec", "data", "source", "url", value="https://example.com/iris.csv"),
            _set("spec", "data", "target", value="species"),
        ),
        "spec.data.source",
        "set exactly one data source",
    ),
    Case(
        "no-data-source",
        _set("spec", "data", "source", value={}),
        "spec.data.source",
        "set exactly one data source",
    ),
    Case(
        "accuracy-threshold-above-1",
        _set("spec", "monitoring", "threshold", value=1.5),
        "spec.monitoring.threshold",
        "threshold for accuracy and f1 must be within [0, 1]",
    ),
    Case(
        "unknown-estimator",
        _set("spec", "training", "estimator", value="DeepNet"),
        "spec.training.estimator",
        'Unsupported value: "DeepNet"',
    ),
    Case(
        "negative-replicas",
        _set("spec", "serving", "replicas", value=-1),
        "spec.serving.replicas",
        "greater than or equal to 0",
    ),
    Case(
        "prometheus-without-query",
        _set("spec", "monitoring", "metric", value="prometheus"),
        "spec.monitoring.prometheus",
        "prometheus (url and query) is required exactly when metric is prometheus",
    ),
    Case(
        "accuracy-with-regressor",
        _set("spec", "training", "estimator", value="Ridge"),
        "spec.monitoring.metric",
        "accuracy and f1 need a classifier estimator",
    ),
    Case(
        "rmse-with-classifier",
        _set("spec", "monitoring", "metric", value="rmse"),
        "spec.monitoring.metric",
        "rmse and mae need a regressor estimator",
    ),
    Case(
        "csv-url-without-target",
        _set("spec", "data", "source", value={"url": "https://example.com/data.csv"}),
        "spec.data.target",
        "target is required for volume and url sources",
    ),
    Case(
        "volume-claim-and-configmap",
        _many(
            _set(
                "spec",
                "data",
                "source",
                value={"volume": {"claimName": "d", "configMap": "d", "path": "d.csv"}},
            ),
            _set("spec", "data", "target", value="label"),
        ),
        "spec.data.source.volume",
        "set exactly one of claimName or configMap",
    ),
    Case(
        "rollout-cannot-progress",
        _set("spec", "serving", "rollout", value={"maxSurge": 0, "maxUnavailable": 0}),
        "spec.serving.rollout",
        "cannot both be 0",
    ),
    Case(
        "negative-drift-threshold",
        _many(
            _set("spec", "monitoring", "metric", value="drift"),
            _set("spec", "monitoring", "threshold", value=-0.1),
        ),
        "spec.monitoring.threshold",
        "threshold for rmse, mae and drift must be >= 0",
    ),
    Case(
        "unknown-field",
        _set("spec", "training", "epochs", value=10),
        "spec.training.epochs",
        "unknown field",
    ),
    Case(
        "name-too-long",
        _set("metadata", "name", value="a" * 41),
        "metadata.name",
        "at most 40 characters",
    ),
]
