"""Each cleaning step on small frames: what it removes, what it counts, how it refuses."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mlmodel_operator.api.v1alpha1 import Cleaning, MissingPolicy, OutlierPolicy
from mlmodel_operator.runtimes.trainer import cleaning
from mlmodel_operator.runtimes.trainer.errors import RefusalReason, TrainingRefused


def test_select_features_defaults_to_every_other_column() -> None:
    columns = ["id", "a", "b", "y"]
    assert cleaning.select_features(columns, features=[], drop=["id"], target="y") == ["a", "b"]
    assert cleaning.select_features(columns, features=["b"], drop=[], target="y") == ["b"]


def test_drop_columns_removes_and_reports() -> None:
    frame = pd.DataFrame({"id": [1, 2], "a": [3, 4]})
    out, dropped = cleaning.drop_columns(frame, drop=["id"])
    assert list(out.columns) == ["a"]
    assert dropped == ["id"]


def test_drop_columns_refuses_an_absent_column() -> None:
    with pytest.raises(TrainingRefused) as info:
        cleaning.drop_columns(pd.DataFrame({"a": [1]}), drop=["idd"])
    assert info.value.reason is RefusalReason.DATA_INVALID
    assert str(info.value) == "DataInvalid: dropColumns: column 'idd' is not in the data"


def test_booleans_accept_every_spelling() -> None:
    raw = ["yes", "Y", "true", "True", "1", "no", "N", "false", "False", "0", "No", None]
    out, count = cleaning.normalize_boolean(pd.Series(raw, name="flag"))
    assert out.iloc[:11].tolist() == [1.0] * 5 + [0.0] * 6
    assert math.isnan(out.iloc[11])
    assert count == 11


def test_booleans_accept_numeric_and_bool_columns() -> None:
    out, count = cleaning.normalize_boolean(pd.Series([1, 0, 1], name="f"))
    assert out.tolist() == [1.0, 0.0, 1.0] and count == 3
    out, _ = cleaning.normalize_boolean(pd.Series([True, False], name="g"))
    assert out.tolist() == [1.0, 0.0]


def test_booleans_refuse_other_values_naming_column_value_and_rows() -> None:
    column = pd.Series(["yes", "maybe", "no", "maybe", "perhaps"], name="subscribed")
    with pytest.raises(TrainingRefused) as info:
        cleaning.normalize_boolean(column)
    assert info.value.reason is RefusalReason.DATA_INVALID
    assert info.value.message == (
        "booleanColumns: column 'subscribed' has value 'maybe' in 2 row(s);"
        " expected yes/y/true/1 or no/n/false/0"
    )


def test_duplicates_are_counted_after_boolean_normalisation() -> None:
    frame = pd.DataFrame({"a": [1, 1, 1, 2], "flag": ["yes", "Y", "yes", "no"], "y": [0, 0, 0, 1]})
    normalised, _ = cleaning.normalize_booleans(frame, columns=["flag"])
    out, removed = cleaning.drop_duplicates(normalised)
    assert removed == 2
    assert out["a"].tolist() == [1, 2]


def test_missing_drop_removes_rows_with_any_hole_and_rows_without_target() -> None:
    frame = pd.DataFrame(
        {"a": [1.0, None, 3.0, 4.0], "b": ["x", "y", None, "z"], "y": [0, 1, 0, None]}
    )
    out, dropped, imputed = cleaning.handle_missing(
        frame, policy=MissingPolicy.DROP, target="y", booleans=[]
    )
    assert (dropped, imputed, len(out)) == (3, 0, 1)


def test_missing_median_imputes_numeric_median_and_categorical_mode() -> None:
    frame = pd.DataFrame(
        {
            "a": [1.0, 2.0, 10.0, None],
            "b": ["x", "x", "z", None],
            "flag": [1.0, 1.0, 0.0, None],
            "y": [0, 1, 0, 1],
        }
    )
    out, dropped, imputed = cleaning.handle_missing(
        frame, policy=MissingPolicy.MEDIAN, target="y", booleans=["flag"]
    )
    assert (dropped, imputed) == (0, 3)
    assert out.loc[3, "a"] == 2.0
    assert out.loc[3, "b"] == "x"
    assert out.loc[3, "flag"] == 1.0  # the most frequent flag, never a 0.5 median


def test_missing_most_frequent_imputes_mode_of_numbers_too() -> None:
    frame = pd.DataFrame({"a": [5.0, 5.0, 1.0, None], "y": [0, 1, 0, 1]})
    out, _, imputed = cleaning.handle_missing(
        frame, policy=MissingPolicy.MOST_FREQUENT, target="y", booleans=[]
    )
    assert imputed == 1 and out.loc[3, "a"] == 5.0


def test_missing_imputation_refuses_an_empty_column() -> None:
    frame = pd.DataFrame({"a": [None, None], "y": [0, 1]}, dtype="float64")
    with pytest.raises(TrainingRefused, match="missing: column 'a' has no values to impute"):
        cleaning.handle_missing(frame, policy=MissingPolicy.MEDIAN, target="y", booleans=[])


def _uniform_with(value: float) -> pd.DataFrame:
    return pd.DataFrame({"a": [float(v) for v in range(1, 21)] + [value], "y": [0] * 21})


def test_outliers_iqr_removes_only_far_values() -> None:
    policy = OutlierPolicy(method="iqr", threshold=1.5)
    out, removed = cleaning.remove_outliers(_uniform_with(500.0), policy=policy, columns=["a"])
    assert removed == 1 and out["a"].max() == 20.0
    _, removed = cleaning.remove_outliers(_uniform_with(21.0), policy=policy, columns=["a"])
    assert removed == 0


def test_outliers_zscore_uses_the_threshold() -> None:
    frame = _uniform_with(500.0)
    _, removed = cleaning.remove_outliers(
        frame, policy=OutlierPolicy(method="zscore", threshold=3.0), columns=["a"]
    )
    assert removed == 1
    _, removed = cleaning.remove_outliers(
        frame, policy=OutlierPolicy(method="zscore", threshold=100.0), columns=["a"]
    )
    assert removed == 0


def test_outliers_ignore_columns_without_spread_and_method_none() -> None:
    frame = pd.DataFrame({"a": [1.0] * 19 + [0.0], "y": [0] * 20})
    _, removed = cleaning.remove_outliers(frame, policy=OutlierPolicy(method="iqr"), columns=["a"])
    assert removed == 0
    _, removed = cleaning.remove_outliers(
        _uniform_with(500.0), policy=OutlierPolicy(), columns=["a"]
    )
    assert removed == 0


def test_clean_runs_steps_in_order_and_reports_each() -> None:
    raw = pd.DataFrame(
        {
            "id": range(8),
            "a": [1.0, 2.0, 2.0, 3.0, None, 4.0, 5.0, 6.0],
            "flag": ["yes", "no", "N", "Y", "yes", "no", "1", "0"],
            "y": ["p", "q", "q", "p", "p", "q", "p", "q"],
        }
    )
    policy = Cleaning(drop_columns=["id"], boolean_columns=["flag"], missing="drop")
    out, report = cleaning.clean(raw, cleaning=policy, target="y", features=["a", "flag"])
    assert list(out.columns) == ["a", "flag", "y"]
    assert report.rows_in == 8
    assert report.dropped_columns == ["id"]
    assert report.normalized_booleans == {"flag": 8}
    assert report.duplicates_removed == 1  # rows 1 and 2 once 'no' and 'N' agree
    assert report.missing_rows_dropped == 1
    assert report.outliers_removed == 0
    assert report.rows_out == len(out) == 6
