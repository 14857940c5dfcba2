"""The termination message always fits in Kubernetes' 4 KiB, even for very wide data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from mlmodel_operator.api import contract
from mlmodel_operator.api.v1alpha1 import DataReport
from mlmodel_operator.runtimes.trainer.run import train_version
from mlmodel_operator.runtimes.trainer.summary import FailureSummary, TrainingSummary, to_message

from .helpers import spec


def wide_csv(path: Path, *, columns: int, rows: int = 40) -> list[str]:
    rng = np.random.default_rng(1)
    names = [f"column_{i:03d}_" + "x" * 190 for i in range(columns)]
    frame = pd.DataFrame({n: rng.choice(["yes", "no"], rows) for n in names})
    frame["y"] = ["a", "b"] * (rows // 2)
    frame.to_csv(path, index=False)
    return names


def test_wide_dataset_summary_fits_in_the_termination_message(tmp_path: Path) -> None:
    names = wide_csv(tmp_path / "wide.csv", columns=512)
    data = {
        "source": {"volume": {"claimName": "d", "path": "wide.csv"}},
        "target": "y",
        "cleaning": {"dropColumns": names[:256], "booleanColumns": names[256:]},
    }
    summary = train_version(
        spec(data), model_name="wide", version=1, artifact_root=tmp_path / "out", data_root=tmp_path
    )
    assert len(summary.model_dump_json(by_alias=True)) > 2 * contract.TERMINATION_MESSAGE_LIMIT
    message = to_message(summary)
    assert len(message.encode()) <= contract.TERMINATION_MESSAGE_LIMIT
    wire = json.loads(message)
    assert wire["ok"] is True and wire["version"] == 1
    assert wire["artifactSha256"] == summary.artifact_sha256
    assert wire["dataReport"]["rowsIn"] == 40
    assert "baselineScore" in wire and wire["baselineScore"] is None
    metadata = json.loads((tmp_path / "out" / "wide" / "v1" / "metadata.json").read_text())
    assert len(metadata["data_report"]["droppedColumns"]) == 256  # the full report stays on disk


def test_small_summary_is_complete_and_camel_case() -> None:
    report = DataReport(rows_in=10, rows_out=9, dropped_columns=["id"], duplicates_removed=1)
    summary = TrainingSummary(
        version=3,
        metrics={"accuracy": 0.9},
        score=0.9,
        baseline_score=0.8,
        artifact_sha256="a" * 64,
        data_fingerprint="b" * 64,
        rows=9,
        data_report=report,
    )
    wire = json.loads(to_message(summary))
    assert wire == {
        "ok": True,
        "version": 3,
        "metrics": {"accuracy": 0.9},
        "score": 0.9,
        "baselineScore": 0.8,
        "artifactSha256": "a" * 64,
        "dataFingerprint": "b" * 64,
        "rows": 9,
        "dataReport": report.to_wire() | {"normalizedBooleans": {}},
    }


def test_failure_summary_is_one_line_and_bounded() -> None:
    failure = FailureSummary(version=2, reason="DataLoadFailed", message="x\n" * 5000)
    message = to_message(failure)
    assert len(message.encode()) <= contract.TERMINATION_MESSAGE_LIMIT
    wire = json.loads(message)
    assert set(wire) == {"ok", "version", "reason", "message"}
    assert wire["ok"] is False and "\n" not in wire["message"]
