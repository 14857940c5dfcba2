"""One training run, start to finish: load -> feedback -> validate -> clean -> validate -> train
-> baseline -> write. Each step lives in its own module; this one only sequences them.

A bad input at any step raises TrainingRefused(reason, message); nothing is written then.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from mlmodel_operator.api import contract
from mlmodel_operator.api.v1alpha1 import DataReport, MLModelSpec, Task
from mlmodel_operator.runtimes import artifacts, drift_reference
from mlmodel_operator.runtimes.trainer import cleaning, data, feedback, train, validation
from mlmodel_operator.runtimes.trainer.errors import (
    RefusalReason,
    TrainingRefused,
    data_invalid,
)
from mlmodel_operator.runtimes.trainer.summary import TrainingSummary


def resolve_target(spec: MLModelSpec) -> str:
    target = spec.data.target or data.default_target(spec.data.source)
    if target is None:
        raise data_invalid("target: spec.data.target is required for volume and url sources")
    return target


def fingerprint(frame: pd.DataFrame) -> str:
    """sha256 of the cleaned data in a canonical form: CSV with a header, \\n line ends, in row
    order (order matters: it decides the split, so reordered data is different training data)."""
    text = frame.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()


def _with_feedback(
    raw: pd.DataFrame, *, spec: MLModelSpec, model_root: Path, version: int, target: str
) -> tuple[pd.DataFrame, int, list[str]]:
    """Raw data plus production feedback rows (when spec.data.includeFeedback)."""
    if not spec.data.include_feedback:
        return raw, 0, []
    previous = artifacts.latest_version_dir(model_root, below=version)
    if previous is None:
        return raw, 0, ["includeFeedback: no earlier version, so no feedback to merge"]
    try:
        names = artifacts.load_version(previous).metadata.feature_names
    except artifacts.ArtifactError as exc:
        return raw, 0, [f"includeFeedback: cannot read {previous.name}: {exc.message}"]
    found = feedback.load_feedback(
        model_root / contract.FEEDBACK_DIR, feature_names=names, target=target
    )
    notes = [f"includeFeedback: skipped {found.skipped} malformed line(s)"] if found.skipped else []
    return feedback.merge(raw, found.frame), len(found.frame), notes


def baseline_score(
    *,
    model_root: Path,
    baseline_version: int | None,
    result: train.TrainingResult,
    features: list[str],
    task: Task,
) -> tuple[float | None, list[str]]:
    """The baseline version's score on the candidate's held-out split (None with a note if n/a)."""
    if baseline_version is None:
        return None, []
    vdir = model_root / contract.version_dir_name(baseline_version)
    if not vdir.is_dir():
        return None, [f"baseline: v{baseline_version} does not exist"]
    try:
        loaded = artifacts.load_version(vdir)
    except artifacts.ArtifactError as exc:
        return None, [f"baseline: v{baseline_version} cannot be loaded: {exc.message}"]
    if loaded.metadata.feature_names != features or loaded.metadata.task != task.value:
        return None, [f"baseline: v{baseline_version} has different features or task; not compared"]
    try:
        metrics = train.evaluate(loaded.model, result.X_test, result.y_test, task=task)
    except Exception as exc:
        return None, [
            f"baseline: v{baseline_version} failed to predict: {type(exc).__name__}: {exc}"
        ]
    return train.score_of(metrics, task=task), []


def _metadata(
    spec: MLModelSpec,
    *,
    model_name: str,
    version: int,
    target: str,
    features: list[str],
    result: train.TrainingResult,
    base: float | None,
    report: DataReport,
    digest: str,
    notes: list[str],
) -> artifacts.VersionMetadata:
    return artifacts.VersionMetadata(
        model_name=model_name,
        version=version,
        task=spec.task.value,
        estimator=spec.training.estimator.value,
        target=target,
        feature_names=features,
        feature_kinds=dict(result.feature_kinds),
        categories=result.categories,
        classes=result.classes,
        metrics=result.metrics,
        score=result.score,
        baseline_score=base,
        data_report=report.to_wire(),
        data_fingerprint=digest,
        rows=report.rows_out,
        created_at=artifacts.utc_now(),
        spec=spec.to_wire(),
        notes=notes,
    )


def train_version(
    spec: MLModelSpec,
    *,
    model_name: str,
    version: int,
    artifact_root: Path,
    data_root: Path | None = None,
    baseline_version: int | None = None,
) -> TrainingSummary:
    """Train, evaluate and write v<version>; raise TrainingRefused on bad data or failures."""
    model_root = Path(contract.model_dir(str(artifact_root), model_name))
    target = resolve_target(spec)
    raw = data.load_raw(spec.data.source, data_root=data_root or Path(contract.DATA_ROOT))
    raw, feedback_rows, notes = _with_feedback(
        raw, spec=spec, model_root=model_root, version=version, target=target
    )
    features = cleaning.select_features(
        [str(c) for c in raw.columns],
        features=spec.data.features,
        drop=spec.data.cleaning.drop_columns,
        target=target,
    )
    validation.check_raw(raw, data=spec.data, target=target, features=features)
    cleaned, report = cleaning.clean(
        raw,
        cleaning=spec.data.cleaning,
        target=target,
        features=features,
        feedback_rows=feedback_rows,
    )
    validation.check_cleaned(
        cleaned, validation=spec.data.validation, target=target, task=spec.task
    )
    result = train.train(cleaned, target=target, features=features, training=spec.training)
    base, base_notes = baseline_score(
        model_root=model_root,
        baseline_version=baseline_version,
        result=result,
        features=features,
        task=spec.task,
    )
    digest = fingerprint(cleaned)
    metadata = _metadata(
        spec,
        model_name=model_name,
        version=version,
        target=target,
        features=features,
        result=result,
        base=base,
        report=report,
        digest=digest,
        notes=[*notes, *base_notes],
    )
    reference = drift_reference.build_reference(
        np.asarray(result.X_train), feature_names=features, feature_kinds=dict(result.feature_kinds)
    )
    try:
        artifacts.write_version(
            root=artifact_root,
            model_name=model_name,
            version=version,
            model=result.pipeline,
            metadata=metadata,
            reference=reference,
        )
    except artifacts.ArtifactError as exc:
        raise TrainingRefused(RefusalReason.ARTIFACT_WRITE_FAILED, exc.message) from exc
    return TrainingSummary(
        version=version,
        metrics=result.metrics,
        score=result.score,
        baseline_score=base,
        artifact_sha256=metadata.artifact_sha256,
        data_fingerprint=digest,
        rows=report.rows_out,
        data_report=report,
        notes=metadata.notes,
    )
