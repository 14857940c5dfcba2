"""Validation rules (spec.data.validation): refuse to train, naming the rule, column and numbers.

Two passes around cleaning:
  check_raw      before cleaning: target, requiredColumns, features, dropColumns/booleanColumns
                 make sense, maxMissingFraction (per used column, on the raw rows)
  check_cleaned  after cleaning: minRows, minClasses and rows per class (classifiers; a
                 stratified split needs two rows of every class), numeric target (regressors)
"""

from __future__ import annotations

import pandas as pd

from mlmodel_operator.api.v1alpha1 import DataSpec, Task, Validation
from mlmodel_operator.runtimes.trainer.errors import data_invalid, list_preview, validation_failed

MIN_ROWS_PER_CLASS = 2


def _check_columns_present(columns: list[str], *, data: DataSpec, target: str) -> None:
    if target not in columns:
        raise validation_failed(
            "target", f"column {target!r} is not in the data (columns: {list_preview(columns)})"
        )
    absent = [c for c in data.validation.required_columns if c not in columns]
    if absent:
        raise validation_failed(
            "requiredColumns",
            f"column {absent[0]!r} is not in the data ({len(absent)} required column(s) missing;"
            f" columns: {list_preview(columns)})",
        )
    absent = [c for c in data.features if c not in columns]
    if absent:
        raise validation_failed(
            "features",
            f"column {absent[0]!r} is not in the data (columns: {list_preview(columns)})",
        )


def _check_column_roles(*, data: DataSpec, target: str, features: list[str]) -> None:
    dropped = set(data.cleaning.drop_columns)
    if target in dropped:
        raise data_invalid(f"dropColumns: the target column {target!r} cannot be dropped")
    if target in data.features:
        raise data_invalid(f"features: the target column {target!r} cannot also be a feature")
    clash = [c for c in data.features if c in dropped]
    if clash:
        raise data_invalid(f"features: column {clash[0]!r} is also listed in dropColumns")
    if len(set(data.features)) != len(data.features):
        raise data_invalid("features: a column is listed more than once")
    if not features:
        raise data_invalid("features: no feature columns are left besides the target")
    used = {*features, target}
    unused = [c for c in data.cleaning.boolean_columns if c not in used]
    if unused:
        raise data_invalid(f"booleanColumns: column {unused[0]!r} is not a feature or the target")


def _check_missing_fraction(raw: pd.DataFrame, *, columns: list[str], limit: float) -> None:
    if raw.empty:
        return
    fractions = raw[columns].isna().mean()
    worst = str(fractions.idxmax())
    fraction = float(fractions[worst])
    if fraction > limit:
        holes = int(raw[worst].isna().sum())
        raise validation_failed(
            "maxMissingFraction",
            f"column {worst!r} is {fraction:.1%} missing ({holes} of {len(raw)} rows),"
            f" limit {limit:.1%}",
        )


def check_raw(raw: pd.DataFrame, *, data: DataSpec, target: str, features: list[str]) -> None:
    """Rules on the data as loaded (plus merged feedback), before any cleaning."""
    columns = [str(c) for c in raw.columns]
    _check_columns_present(columns, data=data, target=target)
    _check_column_roles(data=data, target=target, features=features)
    _check_missing_fraction(
        raw, columns=[*features, target], limit=data.validation.max_missing_fraction
    )


def _check_classes(target: pd.Series, *, validation: Validation) -> None:
    counts = target.astype(str).value_counts()
    if len(counts) < validation.min_classes:
        raise validation_failed(
            "minClasses",
            f"target {target.name!r} has {len(counts)} class(es) after cleaning,"
            f" need at least {validation.min_classes}",
        )
    rare = counts[counts < MIN_ROWS_PER_CLASS]
    if not rare.empty:
        raise validation_failed(
            "minClassRows",
            f"class {rare.index[0]!r} of target {target.name!r} has {int(rare.iloc[0])} row after"
            f" cleaning, need at least {MIN_ROWS_PER_CLASS} for a stratified split",
        )


def _check_numeric_target(target: pd.Series) -> None:
    numeric = pd.api.types.is_numeric_dtype(target) and not pd.api.types.is_bool_dtype(target)
    if not numeric:
        converted = pd.to_numeric(target, errors="coerce")
        bad = target[converted.isna()]
        example = f" (e.g. {str(bad.iloc[0])!r})" if not bad.empty else ""
        raise validation_failed(
            "targetType",
            f"target {target.name!r} is not numeric{example}; a regressor needs a numeric target",
        )


def check_cleaned(
    cleaned: pd.DataFrame, *, validation: Validation, target: str, task: Task
) -> None:
    """Rules on the cleaned data, just before training."""
    if len(cleaned) < validation.min_rows:
        raise validation_failed(
            "minRows", f"{len(cleaned)} rows after cleaning, need at least {validation.min_rows}"
        )
    if task is Task.CLASSIFICATION:
        _check_classes(cleaned[target], validation=validation)
    else:
        _check_numeric_target(cleaned[target])
