"""Labelled production feedback -> extra training rows (spec.data.includeFeedback).

Serving pods append JSONL lines
``{"features": [...], "label": ..., "predictionId": ..., "time": ...}`` to
``<root>/<model>/feedback/<pod>.jsonl``, features in the serving version's feature_names order.
Readers ignore a torn last line (a write in progress) and skip malformed lines (counted).
Rows are deduplicated: one row per predictionId (the last label wins, so corrections count),
and exact repeats of (features, label) once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

PREDICTION_ID = "__prediction_id"


@dataclass(frozen=True)
class Feedback:
    frame: pd.DataFrame
    """Columns: the feature names and the target; one row per distinct labelled example."""
    skipped: int
    """Lines that were not valid feedback records (torn last lines are not counted)."""


def complete_lines(path: Path) -> list[str]:
    """The file's lines that end in a newline; a trailing partial line is being written."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    lines = text.split("\n")
    return [line for line in lines[:-1] if line.strip()]


def _record(line: str, *, width: int) -> tuple[list[Any], Any, Any] | None:
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    features, label = data.get("features"), data.get("label")
    if not isinstance(features, list) or len(features) != width or label is None:
        return None
    return features, label, data.get("predictionId")


def read_records(
    feedback_dir: Path, *, feature_names: list[str], target: str
) -> tuple[list[list[Any]], int]:
    """Rows ``[*features, label, predictionId]`` from every *.jsonl file (sorted by name)."""
    rows: list[list[Any]] = []
    skipped = 0
    for path in sorted(feedback_dir.glob("*.jsonl")):
        for line in complete_lines(path):
            record = _record(line, width=len(feature_names))
            if record is None:
                skipped += 1
                continue
            features, label, prediction_id = record
            rows.append([*features, label, prediction_id])
    return rows, skipped


def deduplicate(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per predictionId (last wins), then exact (features, label) repeats once."""
    with_id = frame[frame[PREDICTION_ID].notna()].drop_duplicates(PREDICTION_ID, keep="last")
    without_id = frame[frame[PREDICTION_ID].isna()]
    merged = pd.concat([with_id, without_id]).sort_index()
    values = merged.drop(columns=PREDICTION_ID)
    return values[~values.astype(str).duplicated()].reset_index(drop=True)


def load_feedback(feedback_dir: Path, *, feature_names: list[str], target: str) -> Feedback:
    """Every labelled feedback row under ``feedback_dir`` (empty if there is none)."""
    columns = [*feature_names, target]
    if not feedback_dir.is_dir():
        return Feedback(frame=pd.DataFrame(columns=columns), skipped=0)
    rows, skipped = read_records(feedback_dir, feature_names=feature_names, target=target)
    frame = pd.DataFrame(rows, columns=[*columns, PREDICTION_ID], dtype=object)
    return Feedback(frame=deduplicate(frame), skipped=skipped)


def _like(column: pd.Series, reference: pd.Series) -> pd.Series:
    """Coerce feedback values to the raw column's kind (numbers stay numbers)."""
    if pd.api.types.is_numeric_dtype(reference) and not pd.api.types.is_bool_dtype(reference):
        return pd.to_numeric(column, errors="coerce")
    return column.astype(str).where(column.notna())


def merge(raw: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """Append feedback rows to the raw data, matching columns by name (others left missing)."""
    if feedback.empty:
        return raw
    aligned = pd.DataFrame(
        {c: _like(feedback[c], raw[c]) for c in feedback.columns if c in raw.columns}
    )
    return pd.concat([raw, aligned], ignore_index=True)
