"""train.py: the input contract (arrays, dtypes), metrics, and determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris

from mlmodel_operator.api.v1alpha1 import Estimator, Task, TrainingSpec
from mlmodel_operator.runtimes.trainer import train


def iris() -> pd.DataFrame:
    frame: pd.DataFrame = load_iris(as_frame=True).frame
    return frame


FEATURES = list(iris().columns[:4])


def test_numeric_features_give_a_float64_array_and_a_stratified_split() -> None:
    result = train.train(iris(), target="target", features=FEATURES, training=TrainingSpec())
    assert result.X_train.dtype == np.float64
    assert len(result.X_test) == 38  # 25% of 150, rounded up
    assert sorted(np.bincount(result.y_test.astype(int)).tolist()) == [12, 13, 13]
    assert result.classes == [0, 1, 2]
    assert set(result.metrics) == {"accuracy", "f1_macro", "roc_auc"}
    assert result.feature_kinds == dict.fromkeys(FEATURES, "numeric")


def test_binary_roc_auc_uses_the_positive_class_probability() -> None:
    frame = iris()
    frame = frame[frame["target"] != 0].assign(target=lambda f: f["target"].map({1: "v", 2: "w"}))
    spec = TrainingSpec(estimator=Estimator.LOGISTIC_REGRESSION)
    result = train.train(frame, target="target", features=FEATURES, training=spec)
    assert result.classes == ["v", "w"]
    assert 0.5 < result.metrics["roc_auc"] <= 1.0


def test_regression_metrics() -> None:
    frame = iris()
    spec = TrainingSpec(estimator=Estimator.LINEAR_REGRESSION)
    result = train.train(frame, target="petal width (cm)", features=FEATURES[:3], training=spec)
    assert set(result.metrics) == {"r2", "rmse", "mae"}
    assert result.metrics["r2"] > 0.8
    assert result.classes is None


def test_same_data_and_seed_give_identical_metrics() -> None:
    spec = TrainingSpec(estimator=Estimator.GRADIENT_BOOSTING_CLASSIFIER, seed=5)
    first = train.train(iris(), target="target", features=FEATURES, training=spec)
    second = train.train(iris(), target="target", features=FEATURES, training=spec)
    assert first.metrics == second.metrics
    np.testing.assert_array_equal(
        first.pipeline.predict_proba(first.X_test), second.pipeline.predict_proba(first.X_test)
    )


def test_evaluate_skips_roc_auc_when_undefined() -> None:
    result = train.train(iris(), target="target", features=FEATURES, training=TrainingSpec())
    only_setosa = result.X_test[result.y_test == 0]
    metrics = train.evaluate(
        result.pipeline,
        only_setosa,
        np.zeros(len(only_setosa), dtype=int),
        task=Task.CLASSIFICATION,
    )
    assert "roc_auc" not in metrics
    assert metrics["accuracy"] == 1.0
