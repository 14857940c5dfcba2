"""The estimator allow-list: spec name -> scikit-learn class, and how each one is built.

No dynamic imports: only the classes below can ever be constructed. Estimators that are
sensitive to feature scale get a StandardScaler in front (see train.py).
"""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlmodel_operator.api.v1alpha1 import Estimator, ParamValue
from mlmodel_operator.runtimes.trainer.errors import list_preview, training_failed

CLASSES: dict[Estimator, type[BaseEstimator]] = {
    Estimator.LOGISTIC_REGRESSION: LogisticRegression,
    Estimator.RANDOM_FOREST_CLASSIFIER: RandomForestClassifier,
    Estimator.GRADIENT_BOOSTING_CLASSIFIER: GradientBoostingClassifier,
    Estimator.DECISION_TREE_CLASSIFIER: DecisionTreeClassifier,
    Estimator.K_NEIGHBORS_CLASSIFIER: KNeighborsClassifier,
    Estimator.SVC: SVC,
    Estimator.GAUSSIAN_NB: GaussianNB,
    Estimator.LINEAR_REGRESSION: LinearRegression,
    Estimator.RIDGE: Ridge,
    Estimator.RANDOM_FOREST_REGRESSOR: RandomForestRegressor,
    Estimator.GRADIENT_BOOSTING_REGRESSOR: GradientBoostingRegressor,
    Estimator.DECISION_TREE_REGRESSOR: DecisionTreeRegressor,
    Estimator.K_NEIGHBORS_REGRESSOR: KNeighborsRegressor,
}

NEEDS_SCALING: frozenset[Estimator] = frozenset(
    {
        Estimator.LOGISTIC_REGRESSION,
        Estimator.SVC,
        Estimator.K_NEIGHBORS_CLASSIFIER,
        Estimator.K_NEIGHBORS_REGRESSOR,
        Estimator.RIDGE,
        Estimator.LINEAR_REGRESSION,
    }
)

DEFAULTS: dict[Estimator, dict[str, ParamValue]] = {
    Estimator.SVC: {"probability": True},
    Estimator.LOGISTIC_REGRESSION: {"max_iter": 1000},
}
"""Defaults that differ from scikit-learn's; the spec's params override them."""


def build_estimator(
    estimator: Estimator, *, params: dict[str, ParamValue], seed: int
) -> BaseEstimator:
    """A fresh, unfitted estimator; unknown parameter names are refused by name."""
    cls = CLASSES[estimator]
    accepted = sorted(cls().get_params())
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise training_failed(
            f"params: {estimator.value} has no parameter {', '.join(map(repr, unknown))}"
            f" (accepted: {list_preview(accepted, limit=30)})"
        )
    kwargs: dict[str, Any] = {**DEFAULTS.get(estimator, {}), **params}
    if "random_state" in accepted:
        kwargs.setdefault("random_state", seed)
    return cls(**kwargs)
