"""`python -m mlmodel_operator.runtimes.trainer` as the training pod runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mlmodel_operator.api import contract
from mlmodel_operator.runtimes import artifacts

from .helpers import FIXTURES, messy_data, spec


def run_trainer(
    tmp_path: Path, wire_spec: dict[str, Any] | str, **extra: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    log = tmp_path / "termination-log"
    env = {
        **os.environ,
        contract.ENV_SPEC: wire_spec if isinstance(wire_spec, str) else json.dumps(wire_spec),
        contract.ENV_MODEL_NAME: "iris",
        contract.ENV_VERSION: "1",
        contract.ENV_ARTIFACT_ROOT: str(tmp_path / "models"),
        contract.ENV_DATA_ROOT: str(FIXTURES),
        contract.ENV_TERMINATION_LOG: str(log),
        **extra,
    }
    process = subprocess.run(
        [sys.executable, "-m", "mlmodel_operator.runtimes.trainer"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return process, log


def test_iris_trains_and_reports(tmp_path: Path) -> None:
    process, log = run_trainer(tmp_path, spec().to_wire())
    assert process.returncode == 0, process.stderr
    summary = json.loads(log.read_text())
    assert json.loads(process.stdout.strip().splitlines()[-1]) == summary
    assert summary["ok"] is True and summary["version"] == 1
    assert set(summary["metrics"]) == {"accuracy", "f1_macro", "roc_auc"}
    assert summary["score"] == summary["metrics"]["accuracy"] > 0.9
    assert summary["rows"] == 149  # iris has one exact duplicate row
    assert summary["dataReport"]["duplicatesRemoved"] == 1
    vdir = tmp_path / "models" / "iris" / "v1"
    assert sorted(p.name for p in vdir.iterdir()) == sorted(
        [contract.MODEL_FILE, contract.METADATA_FILE, contract.REFERENCE_FILE]
    )
    loaded = artifacts.load_version(vdir, expected_sha256=summary["artifactSha256"])
    assert loaded.metadata.data_fingerprint == summary["dataFingerprint"]
    assert loaded.metadata.classes == [0, 1, 2]
    assert len(log.read_bytes()) <= contract.TERMINATION_MESSAGE_LIMIT


def test_validation_failure_exits_1_with_one_line(tmp_path: Path) -> None:
    data = messy_data(validation={"minRows": 500})
    process, log = run_trainer(tmp_path, spec(data).to_wire())
    assert process.returncode == 1
    assert process.stderr == (
        "ValidationFailed: minRows: 72 rows after cleaning, need at least 500\n"
    )
    assert json.loads(log.read_text()) == {
        "ok": False,
        "version": 1,
        "reason": "ValidationFailed",
        "message": "minRows: 72 rows after cleaning, need at least 500",
    }
    assert not (tmp_path / "models" / "iris").exists()


def test_broken_environment_is_a_one_line_failure(tmp_path: Path) -> None:
    process, log = run_trainer(tmp_path, "{not json")
    assert process.returncode == 1
    assert process.stderr.count("\n") == 1
    assert process.stderr.startswith("TrainingFailed: settings: MLMODEL_SPEC is not valid JSON")
    assert json.loads(log.read_text())["ok"] is False
