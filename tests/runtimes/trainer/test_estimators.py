"""Every allow-listed estimator trains inside the contract Pipeline; bad params are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from mlmodel_operator.api.v1alpha1 import Estimator, Task, TrainingSpec
from mlmodel_operator.runtimes.trainer import estimators, train
from mlmodel_operator.runtimes.trainer.errors import RefusalReason, TrainingRefused


def small_frame(task: Task) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 10, 80)
    b = rng.uniform(0, 100, 80)
    colour = np.array(["red", "green", "blue", "red"] * 20)
    if task is Task.CLASSIFICATION:
        y: object = np.where(a + (colour == "red") * 3 > 6, "high", "low")
    else:
        y = 2.0 * a + 0.05 * b + (colour == "red") * 4.0 + rng.normal(0, 0.5, 80)
    return pd.DataFrame({"a": a, "b": b, "colour": colour, "y": y})


@pytest.mark.parametrize("estimator", list(Estimator), ids=lambda e: e.value)
def test_every_estimator_trains_and_predicts(estimator: Estimator) -> None:
    frame = small_frame(estimator.task)
    spec = TrainingSpec(estimator=estimator)
    result = train.train(frame, target="y", features=["a", "b", "colour"], training=spec)
    assert result.X_train.dtype == object  # a categorical feature -> object array
    row = np.array([[5.0, 50.0, "purple"]], dtype=object)  # unknown category is ignored
    prediction = result.pipeline.predict(row)
    assert prediction.shape == (1,)
    if estimator.task is Task.CLASSIFICATION:
        assert set(result.metrics) >= {"accuracy", "f1_macro"}
        assert result.classes == ["high", "low"]
        assert result.pipeline.predict_proba(row).shape == (1, 2)
        assert result.score == result.metrics["accuracy"]
    else:
        assert set(result.metrics) == {"r2", "rmse", "mae"}
        assert result.score == result.metrics["r2"]
    assert result.categories == {"colour": ["blue", "green", "red"]}


@pytest.mark.parametrize("estimator", list(Estimator), ids=lambda e: e.value)
def test_scaling_only_where_the_estimator_needs_it(estimator: Estimator) -> None:
    pipeline = train.build_pipeline(
        TrainingSpec(estimator=estimator), features=["a"], kinds={"a": "numeric"}
    )
    numeric = pipeline.named_steps[train.PREP_STEP].transformers[0][1]
    assert isinstance(numeric, StandardScaler) == (estimator in estimators.NEEDS_SCALING)


def test_params_reach_the_constructor_and_seed_fills_random_state() -> None:
    model = estimators.build_estimator(
        Estimator.RANDOM_FOREST_CLASSIFIER, params={"n_estimators": 7, "max_depth": 3}, seed=11
    )
    assert model.get_params()["n_estimators"] == 7
    assert model.get_params()["random_state"] == 11
    svc = estimators.build_estimator(Estimator.SVC, params={}, seed=0)
    assert svc.get_params()["probability"] is True


def test_unknown_parameter_is_refused_by_name() -> None:
    with pytest.raises(TrainingRefused) as info:
        estimators.build_estimator(Estimator.RIDGE, params={"n_estimators": 5}, seed=0)
    assert info.value.reason is RefusalReason.TRAINING_FAILED
    assert info.value.message.startswith("params: Ridge has no parameter 'n_estimators' (accepted:")


def test_invalid_parameter_value_is_a_one_line_training_failure() -> None:
    frame = small_frame(Task.CLASSIFICATION)
    spec = TrainingSpec(estimator=Estimator.RANDOM_FOREST_CLASSIFIER, params={"max_depth": "deep"})
    with pytest.raises(TrainingRefused) as info:
        train.train(frame, target="y", features=["a", "b", "colour"], training=spec)
    assert info.value.reason is RefusalReason.TRAINING_FAILED
    assert "max_depth" in info.value.message
    assert "\n" not in str(info.value)
