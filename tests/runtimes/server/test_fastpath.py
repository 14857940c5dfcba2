"""The direct predict path gives exactly model.predict, and is refused for other pipelines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from mlmodel_operator.runtimes.server import fastpath
from mlmodel_operator.runtimes.server.model import LoadedModel


def test_loaded_models_use_a_checked_direct_path(classifier_dir: Path, regressor_dir: Path) -> None:
    for d in (classifier_dir, regressor_dir):
        m = LoadedModel.load(d)
        assert m._fast is not None
        x = np.random.default_rng(5).normal(scale=3, size=(1000, 3))
        assert np.allclose(m.predict(x), m.model.predict(x), rtol=1e-12, atol=1e-12)
        if m.is_classifier:
            assert np.array_equal(m.predict(x), m.model.predict(x))


@pytest.mark.parametrize("prep", ["standard", "passthrough"])
@pytest.mark.parametrize(
    "est",
    [
        RandomForestClassifier(20, max_depth=5, random_state=0),
        RandomForestRegressor(20, max_depth=5, random_state=0),
    ],
)
def test_forests_match_sklearn_exactly(est: object, prep: str) -> None:
    step = StandardScaler() if prep == "standard" else "passthrough"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int) if isinstance(est, RandomForestClassifier) else x[:, 0]
    model = Pipeline([("p", ColumnTransformer([("n", step, [0, 1, 2, 3])])), ("e", est)]).fit(x, y)
    fast = fastpath.compile_predictor(model, n_features=4)
    assert fast is not None
    probe = rng.normal(scale=2, size=(2000, 4))
    assert np.allclose(fast(probe), model.predict(probe), rtol=1e-12, atol=1e-12)
    if isinstance(est, RandomForestClassifier):
        assert np.array_equal(fast(probe), model.predict(probe))


def test_unknown_preprocessing_is_not_compiled() -> None:
    x = np.random.default_rng(0).normal(size=(50, 2))
    model = Pipeline(
        [
            ("p", ColumnTransformer([("n", MinMaxScaler(), [0, 1])])),
            ("e", RandomForestClassifier(5)),
        ]
    ).fit(x, x[:, 0] > 0)
    assert fastpath.compile_predictor(model, n_features=2) is None
