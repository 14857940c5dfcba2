"""Clean raw data in a fixed order, counting what each step did (the version's DataReport).

Order (documented in the API as spec.data.cleaning):
  1. drop columns      cleaning.dropColumns, then keep only the features and the target
  2. booleans          cleaning.booleanColumns: yes/y/true/1 -> 1.0, no/n/false/0 -> 0.0
  3. duplicates        exact duplicate rows (after 1-2, so 'Y' and 'yes' rows are duplicates)
  4. missing values    rows without a target are always dropped; features per cleaning.missing
  5. outliers          numeric, non-boolean features, by IQR or z-score; a row goes if any is out
The output frame has the feature columns (in order) followed by the target column.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mlmodel_operator.api.v1alpha1 import (
    Cleaning,
    DataReport,
    MissingPolicy,
    OutlierMethod,
    OutlierPolicy,
)
from mlmodel_operator.runtimes.trainer.errors import data_invalid

TRUE_TOKENS = frozenset({"yes", "y", "true", "1", "1.0"})
FALSE_TOKENS = frozenset({"no", "n", "false", "0", "0.0"})


def select_features(
    columns: list[str], *, features: list[str], drop: list[str], target: str
) -> list[str]:
    """The feature columns: spec.data.features, or every column but the target and dropped ones."""
    if features:
        return list(features)
    return [c for c in columns if c != target and c not in set(drop)]


def drop_columns(frame: pd.DataFrame, *, drop: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Step 1: remove the named columns (every one must exist: a typo must not leak an id)."""
    absent = [c for c in drop if c not in frame.columns]
    if absent:
        raise data_invalid(f"dropColumns: column {absent[0]!r} is not in the data")
    return frame.drop(columns=drop), list(drop)


def _boolean_value(value: Any) -> float | None:
    """1.0 / 0.0 for a boolean-like value, None for anything else (NaN is handled by caller)."""
    if isinstance(value, bool):
        return float(value)
    token = str(value).strip().lower()
    if token in TRUE_TOKENS:
        return 1.0
    if token in FALSE_TOKENS:
        return 0.0
    return None


def normalize_boolean(column: pd.Series) -> tuple[pd.Series, int]:
    """Step 2 for one column: map boolean-like values to 1.0/0.0; refuse anything else."""
    present = column.dropna()
    mapped = present.map(_boolean_value)
    bad = present[mapped.isna()]
    if not bad.empty:
        counts = bad.astype(str).value_counts()
        value, rows = str(counts.index[0]), int(counts.iloc[0])
        raise data_invalid(
            f"booleanColumns: column {column.name!r} has value {value!r} in {rows} row(s);"
            " expected yes/y/true/1 or no/n/false/0"
        )
    out = pd.Series(float("nan"), index=column.index, dtype="float64", name=column.name)
    out.loc[present.index] = mapped.astype("float64")
    return out, int(present.size)


def normalize_booleans(
    frame: pd.DataFrame, *, columns: list[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    frame = frame.copy()
    counts: dict[str, int] = {}
    for name in columns:
        if name not in frame.columns:
            raise data_invalid(f"booleanColumns: column {name!r} is not a feature or the target")
        frame[name], counts[name] = normalize_boolean(frame[name])
    return frame, counts


def drop_duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Step 3: exact duplicate rows (first occurrence kept)."""
    kept = frame.drop_duplicates(ignore_index=True)
    return kept, len(frame) - len(kept)


def _is_numeric(column: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column)) and not pd.api.types.is_bool_dtype(column)


def _fill_value(column: pd.Series, *, policy: MissingPolicy, categorical: bool) -> Any:
    present = column.dropna()
    if present.empty:
        raise data_invalid(f"missing: column {column.name!r} has no values to impute from")
    if policy is MissingPolicy.MEDIAN and not categorical and _is_numeric(column):
        return present.median()
    return present.mode().iloc[0]


def handle_missing(
    frame: pd.DataFrame, *, policy: MissingPolicy, target: str, booleans: list[str]
) -> tuple[pd.DataFrame, int, int]:
    """Step 4: returns (frame, rows dropped, cells imputed).

    Median applies to numeric features; categorical and boolean ones get their most frequent
    value (a median of 0/1 flags could be 0.5, which is no flag at all).
    """
    dropped = int(frame[target].isna().sum())
    frame = frame[frame[target].notna()]
    if policy is MissingPolicy.DROP:
        kept = frame.dropna()
        return kept.reset_index(drop=True), dropped + len(frame) - len(kept), 0
    frame = frame.copy()
    imputed = 0
    for name in [c for c in frame.columns if c != target]:
        holes = int(frame[name].isna().sum())
        if holes:
            value = _fill_value(frame[name], policy=policy, categorical=name in booleans)
            frame[name] = frame[name].fillna(value)
            imputed += holes
    return frame.reset_index(drop=True), dropped, imputed


def _outlier_mask(column: pd.Series, *, policy: OutlierPolicy) -> pd.Series:
    """True where the value is an outlier; columns with no spread flag nothing."""
    values = column.astype("float64")
    if policy.method is OutlierMethod.IQR:
        q1, q3 = values.quantile(0.25), values.quantile(0.75)
        spread = q3 - q1
        if spread == 0:
            return values != values  # all False, same index
        k = policy.threshold
        return (values < q1 - k * spread) | (values > q3 + k * spread)
    std = values.std(ddof=0)
    if std == 0 or pd.isna(std):
        return values != values
    return ((values - values.mean()) / std).abs() > policy.threshold


def remove_outliers(
    frame: pd.DataFrame, *, policy: OutlierPolicy, columns: list[str]
) -> tuple[pd.DataFrame, int]:
    """Step 5: drop rows with an outlier in any of ``columns`` (numeric, non-boolean features)."""
    if policy.method is OutlierMethod.NONE or frame.empty:
        return frame, 0
    mask = pd.Series(False, index=frame.index)
    for name in columns:
        mask |= _outlier_mask(frame[name], policy=policy)
    kept = frame[~mask].reset_index(drop=True)
    return kept, int(mask.sum())


def clean(
    raw: pd.DataFrame,
    *,
    cleaning: Cleaning,
    target: str,
    features: list[str],
    feedback_rows: int = 0,
) -> tuple[pd.DataFrame, DataReport]:
    """Run steps 1-5 on ``raw`` and report what each removed or changed."""
    frame, dropped_columns = drop_columns(raw, drop=cleaning.drop_columns)
    frame = frame[[*features, target]]
    frame, booleans = normalize_booleans(frame, columns=cleaning.boolean_columns)
    duplicates = 0
    if cleaning.drop_duplicates:
        frame, duplicates = drop_duplicates(frame)
    frame, missing_rows, imputed = handle_missing(
        frame, policy=cleaning.missing, target=target, booleans=cleaning.boolean_columns
    )
    numeric = [c for c in features if c not in cleaning.boolean_columns and _is_numeric(frame[c])]
    frame, outliers = remove_outliers(frame, policy=cleaning.outliers, columns=numeric)
    report = DataReport(
        rows_in=len(raw),
        rows_out=len(frame),
        feedback_rows=feedback_rows,
        dropped_columns=dropped_columns,
        normalized_booleans=booleans,
        duplicates_removed=duplicates,
        missing_rows_dropped=missing_rows,
        missing_values_imputed=imputed,
        outliers_removed=outliers,
    )
    return frame, report
