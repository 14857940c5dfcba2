"""train_version end to end (in-process): the messy fixture, determinism, baseline, feedback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlmodel_operator.api import contract
from mlmodel_operator.runtimes import artifacts
from mlmodel_operator.runtimes.trainer.errors import RefusalReason, TrainingRefused
from mlmodel_operator.runtimes.trainer.run import train_version

from .helpers import FIXTURES, messy_data, spec


def test_messy_fixture_report_counts_exactly_what_was_removed(tmp_path: Path) -> None:
    summary = train_version(
        spec(messy_data()),
        model_name="messy",
        version=1,
        artifact_root=tmp_path,
        data_root=FIXTURES,
    )
    print("\nmessy.csv data report:", summary.data_report.to_wire())
    print("messy.csv held-out metrics:", summary.metrics)
    report = summary.data_report
    assert report.rows_in == 88
    assert report.dropped_columns == ["customer_id"]
    assert report.normalized_booleans == {"has_partner": 88}
    assert report.duplicates_removed == 8  # 6 exact + 2 equal once Y == yes
    assert report.missing_rows_dropped == 5
    assert report.missing_values_imputed == 0
    assert report.outliers_removed == 3
    assert report.rows_out == summary.rows == 72
    assert report.feedback_rows == 0
    assert summary.metrics["accuracy"] > 0.7
    loaded = artifacts.load_version(
        tmp_path / "messy" / "v1", expected_sha256=summary.artifact_sha256
    )
    meta = loaded.metadata
    assert meta.feature_names == ["age", "monthly_spend", "tenure_months", "plan", "has_partner"]
    assert meta.feature_kinds["plan"] == "categorical"
    assert meta.feature_kinds["has_partner"] == "numeric"
    assert meta.categories == {"plan": ["basic", "premium", "standard"]}
    assert meta.classes == ["no", "yes"]
    assert meta.spec["data"]["target"] == "churned"
    assert meta.data_report == report.to_wire()
    row = np.array([[30.0, 50.0, 2.0, "basic", 1.0]], dtype=object)
    assert loaded.model.predict(row).tolist() == ["yes"]  # tenure 2 months: churns
    reference = json.loads((tmp_path / "messy" / "v1" / contract.REFERENCE_FILE).read_text())
    assert [f["name"] for f in reference["features"]] == meta.feature_names
    assert reference["rows"] == 54  # the training split: 72 - 18 held out


def test_messy_fixture_with_imputation_keeps_the_incomplete_rows(tmp_path: Path) -> None:
    data = messy_data(cleaning={"missing": "median"})
    summary = train_version(
        spec(data), model_name="messy", version=1, artifact_root=tmp_path, data_root=FIXTURES
    )
    report = summary.data_report
    assert (report.missing_rows_dropped, report.missing_values_imputed) == (0, 5)
    assert report.outliers_removed == 3
    assert report.rows_out == 80 - 3


def test_same_data_and_seed_give_identical_metrics_and_fingerprint(tmp_path: Path) -> None:
    runs = [
        train_version(
            spec(messy_data()),
            model_name="messy",
            version=v,
            artifact_root=tmp_path,
            data_root=FIXTURES,
        )
        for v in (1, 2)
    ]
    assert runs[0].metrics == runs[1].metrics
    assert runs[0].data_fingerprint == runs[1].data_fingerprint
    other_seed = train_version(
        spec(messy_data(), training={"seed": 7}),
        model_name="messy",
        version=3,
        artifact_root=tmp_path,
        data_root=FIXTURES,
    )
    assert other_seed.data_fingerprint == runs[0].data_fingerprint  # same cleaned data


def test_baseline_is_scored_on_the_candidate_split(tmp_path: Path) -> None:
    weak = spec(training={"estimator": "DecisionTreeClassifier", "params": {"max_depth": 1}})
    train_version(weak, model_name="iris", version=1, artifact_root=tmp_path)
    candidate = train_version(
        spec(), model_name="iris", version=2, artifact_root=tmp_path, baseline_version=1
    )
    assert candidate.baseline_score is not None
    assert candidate.baseline_score < candidate.score
    assert candidate.notes == []
    missing = train_version(
        spec(), model_name="iris", version=3, artifact_root=tmp_path, baseline_version=9
    )
    assert missing.baseline_score is None and missing.notes == ["baseline: v9 does not exist"]


def test_baseline_with_other_features_is_not_compared(tmp_path: Path) -> None:
    fewer = spec({"source": {"dataset": "iris"}, "features": ["petal length (cm)"]})
    train_version(fewer, model_name="iris", version=1, artifact_root=tmp_path)
    summary = train_version(
        spec(), model_name="iris", version=2, artifact_root=tmp_path, baseline_version=1
    )
    assert summary.baseline_score is None
    assert summary.notes == ["baseline: v1 has different features or task; not compared"]


def test_feedback_rows_are_merged_and_counted(tmp_path: Path) -> None:
    first = train_version(
        spec(messy_data()),
        model_name="messy",
        version=1,
        artifact_root=tmp_path,
        data_root=FIXTURES,
    )
    names = artifacts.load_version(tmp_path / "messy" / "v1").metadata.feature_names
    fb = tmp_path / "messy" / contract.FEEDBACK_DIR
    fb.mkdir()
    lines = [
        json.dumps(
            {
                "features": [40.0 + i, 60.0, 30.0, "premium", 1.0],
                "label": "no",
                "predictionId": f"p{i}",
                "time": "2026-01-01T00:00:00Z",
            }
        )
        + "\n"
        for i in range(10)
    ]
    (fb / "server-0.jsonl").write_text("".join(lines) + lines[0] + '{"features": [1')
    data = messy_data(includeFeedback=True)
    summary = train_version(
        spec(data), model_name="messy", version=2, artifact_root=tmp_path, data_root=FIXTURES
    )
    assert names == ["age", "monthly_spend", "tenure_months", "plan", "has_partner"]
    assert summary.data_report.feedback_rows == 10  # p0 twice: deduplicated; torn line ignored
    assert summary.data_report.rows_in == 88 + 10
    assert summary.rows == first.rows + 10
    assert summary.data_report.normalized_booleans == {"has_partner": 98}


def test_refusal_writes_nothing(tmp_path: Path) -> None:
    data = {"source": {"dataset": "iris"}, "validation": {"minRows": 1000}}
    with pytest.raises(TrainingRefused) as info:
        train_version(spec(data), model_name="iris", version=1, artifact_root=tmp_path)
    assert info.value.reason is RefusalReason.VALIDATION_FAILED
    assert info.value.message == "minRows: 149 rows after cleaning, need at least 1000"
    assert not (tmp_path / "iris").exists()


def test_regressor_on_a_text_target_is_refused(tmp_path: Path) -> None:
    data = messy_data()
    with pytest.raises(TrainingRefused, match="targetType: target 'churned' is not numeric"):
        train_version(
            spec(data, training={"estimator": "RandomForestRegressor"}),
            model_name="m",
            version=1,
            artifact_root=tmp_path,
            data_root=FIXTURES,
        )


def test_bad_boolean_value_in_a_csv_is_refused_by_name(tmp_path: Path) -> None:
    frame = pd.read_csv(FIXTURES / "messy.csv")
    frame.loc[[3, 8, 9], "has_partner"] = "maybe"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    data = messy_data()
    data["source"] = {"volume": {"claimName": "d", "path": "bad.csv"}}
    with pytest.raises(TrainingRefused) as info:
        train_version(
            spec(data),
            model_name="m",
            version=1,
            artifact_root=tmp_path / "out",
            data_root=tmp_path,
        )
    assert str(info.value) == (
        "DataInvalid: booleanColumns: column 'has_partner' has value 'maybe' in 3 row(s);"
        " expected yes/y/true/1 or no/n/false/0"
    )
