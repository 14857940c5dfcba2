"""Tiny real models written in our artifact format into tmp_path, and a test client per app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from mlmodel_operator.api.v1alpha1 import MLModelSpec
from mlmodel_operator.runtimes import artifacts, drift_reference

FEATURES = ["a", "b", "c"]


def spec(**monitoring: Any) -> MLModelSpec:
    return MLModelSpec.model_validate(
        {
            "data": {"source": {"dataset": "iris"}},
            "training": {"estimator": "LogisticRegression"},
            "serving": {"maxRequestRows": 50, "batching": {"maxBatchSize": 64, "maxWaitMs": 2}},
            "monitoring": {"window": 10, **monitoring},
        }
    )


def write_model(root: Path, *, task: str = "classification", version: int = 1) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    if task == "classification":
        y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 1).astype(int)  # classes 0, 1, 2
        est: Any = LogisticRegression()
        classes: list[Any] | None = [0, 1, 2]
    else:
        y = 2.0 * x[:, 0] - x[:, 2] + 1.0
        est, classes = LinearRegression(), None
    model = Pipeline(
        [("prep", ColumnTransformer([("num", StandardScaler(), [0, 1, 2])])), ("est", est)]
    ).fit(x, y)
    kinds = {f: "numeric" for f in FEATURES}
    meta = artifacts.VersionMetadata(
        model_name="demo",
        version=version,
        task=task,
        estimator=type(est).__name__,
        target="y",
        feature_names=FEATURES,
        feature_kinds=kinds,
        categories={},
        classes=classes,
        metrics={},
        score=1.0,
        baseline_score=None,
        data_report={},
        data_fingerprint="0" * 64,
        rows=300,
        artifact_sha256="",
        created_at=artifacts.utc_now(),
        spec=spec().to_wire(),
    )
    ref = drift_reference.build_reference(x, feature_names=FEATURES, feature_kinds=kinds)
    return artifacts.write_version(
        root=root, model_name="demo", version=version, model=model, metadata=meta, reference=ref
    )


@pytest.fixture
def classifier_dir(tmp_path: Path) -> Path:
    return write_model(tmp_path / "models")


@pytest.fixture
def regressor_dir(tmp_path: Path) -> Path:
    return write_model(tmp_path / "reg-models", task="regression")


ModelFactory = Callable[..., Path]
