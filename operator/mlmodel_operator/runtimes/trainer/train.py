"""Fit and evaluate: cleaned DataFrame in, fitted Pipeline + held-out metrics out (no file I/O).

The Pipeline follows the model input contract: it is fitted on a 2-D NumPy array whose columns
are the feature names in order (float64 if all numeric, dtype=object otherwise); a
ColumnTransformer addresses columns by integer index, scales numeric columns for scale-sensitive
estimators and one-hot encodes categorical ones (unknown categories ignored at prediction time).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlmodel_operator.api.v1alpha1 import Task, TrainingSpec
from mlmodel_operator.runtimes.trainer import estimators
from mlmodel_operator.runtimes.trainer.errors import training_failed

FeatureKind = Literal["numeric", "categorical"]
PREP_STEP = "prep"
MODEL_STEP = "model"


@dataclass(frozen=True)
class TrainingResult:
    pipeline: Pipeline
    metrics: dict[str, float]
    score: float
    classes: list[str | int | float] | None
    feature_kinds: dict[str, FeatureKind]
    categories: dict[str, list[str]]
    X_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def feature_kinds(frame: pd.DataFrame, *, features: list[str]) -> dict[str, FeatureKind]:
    """numeric for numbers and booleans, categorical for everything else (text)."""
    kinds: dict[str, FeatureKind] = {}
    for name in features:
        numeric = pd.api.types.is_numeric_dtype(frame[name])
        kinds[name] = "numeric" if numeric else "categorical"
    return kinds


def to_matrix(
    frame: pd.DataFrame, *, features: list[str], kinds: dict[str, FeatureKind]
) -> np.ndarray:
    """The model's input array: float64 if every feature is numeric, else dtype=object."""
    if all(kinds[f] == "numeric" for f in features):
        return np.asarray(frame[features], dtype="float64")
    columns = [
        frame[f].astype("float64").to_numpy(dtype=object)
        if kinds[f] == "numeric"
        else frame[f].astype(str).to_numpy(dtype=object)
        for f in features
    ]
    return np.column_stack(columns).astype(object)


def to_labels(target: pd.Series, *, task: Task) -> np.ndarray:
    """Regression targets as float64; class labels keep ints/floats, anything else becomes str."""
    if task is Task.REGRESSION:
        return np.asarray(target, dtype="float64")
    if pd.api.types.is_numeric_dtype(target) and not pd.api.types.is_bool_dtype(target):
        return np.asarray(target)
    return np.asarray(target.astype(str), dtype=object)


def build_pipeline(
    training: TrainingSpec, *, features: list[str], kinds: dict[str, FeatureKind]
) -> Pipeline:
    numeric = [i for i, f in enumerate(features) if kinds[f] == "numeric"]
    categorical = [i for i, f in enumerate(features) if kinds[f] == "categorical"]
    scale = training.estimator in estimators.NEEDS_SCALING
    parts: list[tuple[str, Any, list[int]]] = []
    if numeric:
        parts.append(("numeric", StandardScaler() if scale else "passthrough", numeric))
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        parts.append(("categorical", encoder, categorical))
    prep = ColumnTransformer(parts, sparse_threshold=0.0)
    model = estimators.build_estimator(
        training.estimator, params=training.params, seed=training.seed
    )
    return Pipeline([(PREP_STEP, prep), (MODEL_STEP, model)])


def _roc_auc(model: Any, X: np.ndarray, y: np.ndarray) -> float | None:
    """Binary: P(classes_[1]); multiclass: one-vs-rest macro. None where it is undefined."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)  # one class in y: NaN
            proba = model.predict_proba(X)
            classes = list(model.classes_)
            if len(classes) == 2:
                value = roc_auc_score(y == classes[1], proba[:, 1])
            else:
                value = roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
    except (AttributeError, ValueError, IndexError):
        return None
    return None if math.isnan(value) else float(value)


def evaluate(model: Any, X: np.ndarray, y: np.ndarray, *, task: Task) -> dict[str, float]:
    """Held-out metrics: accuracy, f1_macro, roc_auc (when defined) / r2, rmse, mae."""
    predicted = model.predict(X)
    if task is Task.REGRESSION:
        return {
            "r2": float(r2_score(y, predicted)),
            "rmse": float(root_mean_squared_error(y, predicted)),
            "mae": float(mean_absolute_error(y, predicted)),
        }
    metrics = {
        "accuracy": float(accuracy_score(y, predicted)),
        "f1_macro": float(f1_score(y, predicted, average="macro")),
    }
    auc = _roc_auc(model, X, y)
    if auc is not None:
        metrics["roc_auc"] = auc
    return metrics


def score_of(metrics: dict[str, float], *, task: Task) -> float:
    """The gate's score: accuracy for classifiers, r2 for regressors."""
    return metrics["r2" if task is Task.REGRESSION else "accuracy"]


def _json_label(value: Any) -> str | int | float:
    plain = value.item() if isinstance(value, np.generic) else value
    return plain if isinstance(plain, str | int | float) else str(plain)


def _categories(
    pipeline: Pipeline, *, features: list[str], kinds: dict[str, FeatureKind]
) -> dict[str, list[str]]:
    names = [f for f in features if kinds[f] == "categorical"]
    if not names:
        return {}
    encoder = pipeline.named_steps[PREP_STEP].named_transformers_["categorical"]
    return {
        name: [str(v) for v in cats] for name, cats in zip(names, encoder.categories_, strict=True)
    }


def _fit(pipeline: Pipeline, X: np.ndarray, y: np.ndarray) -> None:
    """Fit, silencing scikit-learn 1.9's deprecation of SVC(probability=True), which the model
    contract relies on (every classifier has predict_proba)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="The `probability` parameter", category=FutureWarning
        )
        pipeline.fit(X, y)


def train(
    frame: pd.DataFrame, *, target: str, features: list[str], training: TrainingSpec
) -> TrainingResult:
    """Split (stratified for classifiers), fit the Pipeline, evaluate it on the held-out rows."""
    task = training.estimator.task
    kinds = feature_kinds(frame, features=features)
    X = to_matrix(frame, features=features, kinds=kinds)
    y = to_labels(frame[target], task=task)
    pipeline = build_pipeline(training, features=features, kinds=kinds)
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            X,
            y,
            test_size=training.test_fraction,
            random_state=training.seed,
            stratify=y if task is Task.CLASSIFICATION else None,
        )
    except ValueError as exc:
        raise training_failed(
            f"split: cannot hold out {training.test_fraction:.0%}: {exc}"
        ) from None
    try:
        _fit(pipeline, X_train, y_train)
    except Exception as exc:
        raise training_failed(f"{training.estimator.value}: {type(exc).__name__}: {exc}") from None
    metrics = evaluate(pipeline, X_test, y_test, task=task)
    classes = [_json_label(c) for c in pipeline.classes_] if task is Task.CLASSIFICATION else None
    return TrainingResult(
        pipeline=pipeline,
        metrics=metrics,
        score=score_of(metrics, task=task),
        classes=classes,
        feature_kinds=kinds,
        categories=_categories(pipeline, features=features, kinds=kinds),
        X_train=X_train,
        X_test=X_test,
        y_test=y_test,
    )
