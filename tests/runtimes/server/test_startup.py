"""Refusing a tampered model, the feedback file's crash safety, and several workers."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mlmodel_operator.api import contract
from mlmodel_operator.runtimes.server.errors import StartupError
from mlmodel_operator.runtimes.server.model import LoadedModel
from mlmodel_operator.runtimes.server.store import FeedbackStore


def _env(version_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        contract.ENV_ARTIFACT_ROOT: str(version_dir.parent.parent),
        contract.ENV_MODEL_NAME: "demo",
        contract.ENV_VERSION: "1",
        contract.ENV_POD_NAME: "pod-x",
        **extra,
    }


def test_checksum_mismatch_is_refused(classifier_dir: Path) -> None:
    with pytest.raises(StartupError, match="expected"):
        LoadedModel.load(classifier_dir, expected_sha256="0" * 64)
    with (classifier_dir / "model.joblib").open("ab") as f:
        f.write(b"tampered")
    with pytest.raises(StartupError, match="checksum mismatch"):
        LoadedModel.load(classifier_dir)
    port = _free_port()
    proc = subprocess.run(
        [sys.executable, "-m", "mlmodel_operator.runtimes.server"],
        env=_env(classifier_dir, **{contract.ENV_PORT: str(port)}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "checksum mismatch" in proc.stderr


def test_feedback_file_repairs_a_partial_last_line(tmp_path: Path) -> None:
    path = tmp_path / "fb" / "p.jsonl"
    path.parent.mkdir()
    path.write_bytes(b'{"features": [1], "label": 1}\n{"features": [2], "la')
    store = FeedbackStore(path)
    store.append([{"features": [3.0], "label": 0, "predictionId": None}])
    store.close()
    lines = path.read_bytes().split(b"\n")
    assert lines[1] == b'{"features": [2], "la'
    assert json.loads(lines[2])["features"] == [3.0]
    capped = FeedbackStore(path, max_bytes=path.stat().st_size + 10)
    assert capped.append([{"features": [4.0], "label": 0, "predictionId": None}]) == 0
    assert capped.dropped == 1
    capped.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_two_workers_share_the_port_and_metrics(classifier_dir: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlmodel_operator.runtimes.server"],
        env=_env(classifier_dir, **{contract.ENV_PORT: str(port), contract.ENV_WORKERS: "2"}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        ready = 0
        while time.monotonic() < deadline and ready < 10:
            with contextlib.suppress(OSError):
                ready = ready + 1 if _get(base + "/v2/health/ready")[0] == 200 else 0
            time.sleep(0.1)
        assert ready >= 10, "workers never became ready"
        for _ in range(20):
            req = urllib.request.Request(
                base + "/predict",
                method="POST",
                data=b'{"instances": [[1, 2, 3], [0, 0, 0]]}',
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=5) as r:
                assert r.status == 200
        text = _get(base + "/metrics")[1].decode()
        assert "mlmodel_rows_predicted_total 40.0" in text
        assert text.count('mlmodel_live_metric_samples{metric="accuracy",pid=') == 2
    finally:
        os.killpg(proc.pid, 15)
        assert proc.wait(timeout=20) == 0, proc.stderr.read() if proc.stderr else ""
