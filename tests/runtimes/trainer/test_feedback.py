"""Feedback JSONL: torn last lines, malformed lines, deduplication, merging into raw data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from mlmodel_operator.runtimes.trainer import feedback

NAMES = ["a", "colour"]


def line(features: list[Any], label: Any, pid: str | None) -> str:
    record = {
        "features": features,
        "label": label,
        "predictionId": pid,
        "time": "2026-01-01T00:00:00Z",
    }
    return json.dumps(record) + "\n"


def test_torn_last_line_is_ignored_and_malformed_lines_are_counted(tmp_path: Path) -> None:
    (tmp_path / "pod-a.jsonl").write_text(
        line([1.0, "red"], "yes", "p1")
        + "not json\n"
        + json.dumps({"features": [1.0], "label": "no"})
        + "\n"  # wrong width
        + line([2.0, "blue"], "no", "p2")
        + '{"features": [3.0, "gre'  # a write in progress
    )
    found = feedback.load_feedback(tmp_path, feature_names=NAMES, target="y")
    assert found.frame.to_dict("list") == {
        "a": [1.0, 2.0],
        "colour": ["red", "blue"],
        "y": ["yes", "no"],
    }
    assert found.skipped == 2


def test_rows_are_deduplicated_across_files(tmp_path: Path) -> None:
    (tmp_path / "pod-a.jsonl").write_text(
        line([1.0, "red"], "yes", "p1") + line([5.0, "red"], "no", None)
    )
    (tmp_path / "pod-b.jsonl").write_text(
        line([1.0, "red"], "no", "p1")  # a corrected label for p1: the last one wins
        + line([5.0, "red"], "no", None)  # the same example again
        + line([5.0, "red"], "no", "p9")  # and once more, under an id
    )
    found = feedback.load_feedback(tmp_path, feature_names=NAMES, target="y")
    assert found.frame.to_dict("records") == [
        {"a": 5.0, "colour": "red", "y": "no"},
        {"a": 1.0, "colour": "red", "y": "no"},
    ]


def test_no_feedback_directory_means_no_rows(tmp_path: Path) -> None:
    found = feedback.load_feedback(tmp_path / "absent", feature_names=NAMES, target="y")
    assert found.frame.empty and list(found.frame.columns) == ["a", "colour", "y"]


def test_merge_maps_columns_by_name_and_keeps_numbers_numeric() -> None:
    raw = pd.DataFrame({"id": [7], "colour": ["red"], "a": [1.5], "y": [1]})
    rows = pd.DataFrame({"a": ["2.5"], "colour": ["blue"], "y": ["0"]}, dtype=object)
    merged = feedback.merge(raw, rows)
    assert list(merged.columns) == ["id", "colour", "a", "y"]
    assert merged["a"].tolist() == [1.5, 2.5]
    assert merged["y"].tolist() == [1, 0]
    assert pd.isna(merged.loc[1, "id"])
