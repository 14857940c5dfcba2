"""reference.json: quantile bins, categories + other, floors, and PSI."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlmodel_operator.runtimes import drift_reference as dr


def test_numeric_feature_bins_at_deciles() -> None:
    X = np.arange(1, 101, dtype=float).reshape(-1, 1)
    ref = dr.build_reference(X, feature_names=["a"], feature_kinds={"a": "numeric"})
    feature = ref["features"][0]
    assert ref["rows"] == 100
    assert feature["kind"] == "numeric"
    assert feature["edges"] == pytest.approx([10.9, 20.8, 30.7, 40.6, 50.5, 60.4, 70.3, 80.2, 90.1])
    assert feature["expected"] == pytest.approx([0.1] * 10)
    assert math.isclose(sum(feature["expected"]), 1.0)


def test_constant_feature_has_one_edge_and_floored_empty_bin() -> None:
    X = np.full((50, 1), 3.0)
    feature = dr.build_reference(X, feature_names=["a"], feature_kinds={})["features"][0]
    assert feature["edges"] == [3.0]
    assert feature["expected"] == [dr.FLOOR, 1.0]  # bisect_right: 3.0 falls in bin 1


def test_categorical_feature_keeps_categories_and_an_other_bin() -> None:
    X = np.array([["red"], ["red"], ["blue"], ["green"]], dtype=object)
    feature = dr.build_reference(X, feature_names=["c"], feature_kinds={"c": "categorical"})[
        "features"
    ][0]
    assert feature["categories"] == ["blue", "green", "red"]
    assert feature["expected"] == [0.25, 0.25, 0.5, dr.FLOOR]


def test_mixed_object_matrix_and_shape_check() -> None:
    X = np.array([[1.0, "x"], [2.0, "y"]], dtype=object)
    ref = dr.build_reference(
        X, feature_names=["n", "c"], feature_kinds={"n": "numeric", "c": "categorical"}
    )
    assert [f["kind"] for f in ref["features"]] == ["numeric", "categorical"]
    with pytest.raises(ValueError, match="expected"):
        dr.build_reference(X, feature_names=["n"], feature_kinds={})


def test_actual_proportions_bin_like_the_reference() -> None:
    feature = {"kind": "numeric", "edges": [1.0, 2.0]}
    assert dr.actual_proportions(feature, [0.5, 1.0, 1.5, 2.0]) == [0.25, 0.5, 0.25]
    categorical = {"kind": "categorical", "categories": ["a", "b"]}
    assert dr.actual_proportions(categorical, ["a", "z", "z", "b"]) == [0.25, 0.25, 0.5]


def test_psi_is_zero_for_identical_and_grows_with_shift() -> None:
    expected = [0.25, 0.25, 0.25, 0.25]
    assert dr.psi(expected, expected) == 0.0
    small = dr.psi(expected, [0.3, 0.2, 0.25, 0.25])
    large = dr.psi(expected, [0.7, 0.1, 0.1, 0.1])
    assert 0 < small < large
    assert dr.psi([0.5, 0.5], [1.0, 0.0]) == pytest.approx(
        (1.0 - 0.5) * math.log(1.0 / 0.5) + (dr.FLOOR - 0.5) * math.log(dr.FLOOR / 0.5)
    )
    with pytest.raises(ValueError, match="bins"):
        dr.psi([0.5, 0.5], [1.0])
