"""Every validation rule refuses with its rule name, the column and the numbers."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from mlmodel_operator.api.v1alpha1 import DataSpec, Task, Validation
from mlmodel_operator.runtimes.trainer import validation
from mlmodel_operator.runtimes.trainer.errors import RefusalReason, TrainingRefused


def _data(**fields: Any) -> DataSpec:
    return DataSpec.model_validate({"source": {"url": "http://example.invalid/x.csv"}, **fields})


def _raw_refusal(raw: pd.DataFrame, data: DataSpec, features: list[str]) -> TrainingRefused:
    with pytest.raises(TrainingRefused) as info:
        validation.check_raw(raw, data=data, target="y", features=features)
    return info.value


RAW = pd.DataFrame({"a": [1.0, 2.0, None, 4.0, 5.0], "b": ["x"] * 5, "y": [0, 1, 0, 1, 0]})


def test_raw_data_that_satisfies_every_rule_passes() -> None:
    validation.check_raw(RAW, data=_data(target="y"), target="y", features=["a", "b"])


def test_target_must_be_present() -> None:
    refusal = validation.check_raw
    with pytest.raises(TrainingRefused) as info:
        refusal(RAW, data=_data(target="label"), target="label", features=["a"])
    assert str(info.value) == (
        "ValidationFailed: target: column 'label' is not in the data (columns: a, b, y)"
    )


def test_required_columns_must_be_present() -> None:
    data = _data(target="y", validation={"requiredColumns": ["a", "c", "d"]})
    refusal = _raw_refusal(RAW, data, ["a", "b"])
    assert refusal.reason is RefusalReason.VALIDATION_FAILED
    assert refusal.message == (
        "requiredColumns: column 'c' is not in the data (2 required column(s) missing;"
        " columns: a, b, y)"
    )


def test_listed_features_must_be_present() -> None:
    refusal = _raw_refusal(RAW, _data(target="y", features=["a", "zz"]), ["a", "zz"])
    assert refusal.message.startswith("features: column 'zz' is not in the data")


def test_missing_fraction_is_measured_per_column_on_raw_data() -> None:
    data = _data(target="y", validation={"maxMissingFraction": 0.1})
    refusal = _raw_refusal(RAW, data, ["a", "b"])
    assert refusal.message == (
        "maxMissingFraction: column 'a' is 20.0% missing (1 of 5 rows), limit 10.0%"
    )


def test_missing_fraction_ignores_dropped_columns() -> None:
    raw = RAW.assign(id=[None] * 5)
    data = _data(target="y", cleaning={"dropColumns": ["id"]})
    validation.check_raw(raw, data=data, target="y", features=["a", "b"])


def test_roles_cannot_clash() -> None:
    refusal = _raw_refusal(RAW, _data(target="y", cleaning={"dropColumns": ["y"]}), ["a"])
    assert refusal.reason is RefusalReason.DATA_INVALID
    assert "the target column 'y' cannot be dropped" in refusal.message
    refusal = _raw_refusal(RAW, _data(target="y", cleaning={"booleanColumns": ["q"]}), ["a"])
    assert refusal.message == "booleanColumns: column 'q' is not a feature or the target"
    refusal = _raw_refusal(RAW[["y"]], _data(target="y"), [])
    assert refusal.message == "features: no feature columns are left besides the target"


def _cleaned_refusal(frame: pd.DataFrame, task: Task, **rules: Any) -> TrainingRefused:
    with pytest.raises(TrainingRefused) as info:
        validation.check_cleaned(
            frame, validation=Validation.model_validate(rules), target="y", task=task
        )
    assert info.value.reason is RefusalReason.VALIDATION_FAILED
    return info.value


def test_min_rows_after_cleaning() -> None:
    frame = pd.DataFrame({"a": range(12), "y": [0, 1] * 6})
    refusal = _cleaned_refusal(frame, Task.CLASSIFICATION, minRows=20)
    assert str(refusal) == "ValidationFailed: minRows: 12 rows after cleaning, need at least 20"


def test_min_classes_for_classifiers() -> None:
    frame = pd.DataFrame({"a": range(30), "y": ["p", "q"] * 15})
    refusal = _cleaned_refusal(frame, Task.CLASSIFICATION, minClasses=3)
    assert (
        refusal.message == "minClasses: target 'y' has 2 class(es) after cleaning, need at least 3"
    )


def test_every_class_needs_two_rows_for_a_stratified_split() -> None:
    frame = pd.DataFrame({"a": range(30), "y": ["p", "q"] * 14 + ["p", "r"]})
    refusal = _cleaned_refusal(frame, Task.CLASSIFICATION)
    assert refusal.message == (
        "minClassRows: class 'r' of target 'y' has 1 row after cleaning,"
        " need at least 2 for a stratified split"
    )


def test_regressors_need_a_numeric_target() -> None:
    frame = pd.DataFrame({"a": range(30), "y": ["1.5"] * 29 + ["lots"]})
    refusal = _cleaned_refusal(frame, Task.REGRESSION)
    assert refusal.message == (
        "targetType: target 'y' is not numeric (e.g. 'lots'); a regressor needs a numeric target"
    )


def test_regressor_with_numeric_target_passes() -> None:
    frame = pd.DataFrame({"a": range(30), "y": [float(v) for v in range(30)]})
    validation.check_cleaned(frame, validation=Validation(), target="y", task=Task.REGRESSION)
