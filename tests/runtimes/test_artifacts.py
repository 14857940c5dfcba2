"""Versions on disk: atomic writes, checksum verification before unpickling, version lookup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sklearn.dummy import DummyClassifier

from mlmodel_operator.api import contract
from mlmodel_operator.runtimes import artifacts


def metadata(version: int = 1) -> artifacts.VersionMetadata:
    return artifacts.VersionMetadata(
        model_name="m",
        version=version,
        task="classification",
        estimator="DummyClassifier",
        target="y",
        feature_names=["a"],
        feature_kinds={"a": "numeric"},
        categories={},
        classes=[0, 1],
        metrics={"accuracy": 0.5},
        score=0.5,
        baseline_score=None,
        data_report={"rowsIn": 4},
        data_fingerprint="f" * 64,
        rows=4,
        created_at=artifacts.utc_now(),
        spec={"data": {"source": {"dataset": "iris"}}},
    )


def fitted() -> DummyClassifier:
    return DummyClassifier(strategy="most_frequent").fit([[0.0], [1.0], [2.0]], [0, 1, 1])


def write(root: Path, version: int = 1, model: Any = None) -> Path:
    return artifacts.write_version(
        root=root,
        model_name="m",
        version=version,
        model=fitted() if model is None else model,
        metadata=metadata(version),
        reference={"rows": 3, "features": []},
    )


def test_round_trip(tmp_path: Path) -> None:
    meta = metadata()
    vdir = artifacts.write_version(
        root=tmp_path,
        model_name="m",
        version=1,
        model=fitted(),
        metadata=meta,
        reference={"rows": 3, "features": []},
    )
    assert vdir == tmp_path / "m" / "v1"
    assert sorted(p.name for p in vdir.iterdir()) == sorted(
        [contract.MODEL_FILE, contract.METADATA_FILE, contract.REFERENCE_FILE]
    )
    assert meta.artifact_sha256 == artifacts.sha256_file(vdir / contract.MODEL_FILE)
    loaded = artifacts.load_version(vdir, expected_sha256=meta.artifact_sha256)
    assert loaded.metadata == meta
    assert loaded.reference == {"rows": 3, "features": []}
    assert loaded.model.predict([[5.0]]).tolist() == [1]


class Unpicklable:
    def __reduce__(self) -> Any:
        raise RuntimeError("disk full (simulated)")


def test_failure_mid_write_leaves_no_version_and_no_temp_dir(tmp_path: Path) -> None:
    with pytest.raises(artifacts.ArtifactError, match="disk full"):
        write(tmp_path, model={"ok": [1, 2, 3], "bad": Unpicklable()})
    assert list((tmp_path / "m").iterdir()) == []
    assert artifacts.latest_version_dir(tmp_path / "m") is None


def test_rewriting_a_version_replaces_it_whole(tmp_path: Path) -> None:
    first = write(tmp_path)
    (first / "stray.txt").write_text("from the earlier attempt")
    second = write(tmp_path)
    assert second == first and not (second / "stray.txt").exists()
    assert [p.name for p in (tmp_path / "m").iterdir()] == ["v1"]


def test_tampered_model_file_is_refused_before_unpickling(tmp_path: Path) -> None:
    vdir = write(tmp_path)
    (vdir / contract.MODEL_FILE).write_bytes(b"not a pickle, and not the recorded bytes")
    with pytest.raises(artifacts.ArtifactError, match="checksum mismatch") as info:
        artifacts.load_version(vdir)
    assert "metadata records" in info.value.message


def test_expected_checksum_must_match_too(tmp_path: Path) -> None:
    vdir = write(tmp_path)
    with pytest.raises(artifacts.ArtifactError, match=f"expected {'0' * 64}"):
        artifacts.load_version(vdir, expected_sha256="0" * 64)


def test_incomplete_or_invalid_versions_are_refused(tmp_path: Path) -> None:
    vdir = write(tmp_path)
    (vdir / contract.REFERENCE_FILE).unlink()
    with pytest.raises(artifacts.ArtifactError, match=r"missing reference\.json"):
        artifacts.load_version(vdir)
    vdir = write(tmp_path, version=2)
    (vdir / contract.METADATA_FILE).write_text(json.dumps({"model_name": "m"}))
    with pytest.raises(artifacts.ArtifactError, match="not valid version metadata"):
        artifacts.load_version(vdir)


def test_latest_version_dir_picks_the_highest_number(tmp_path: Path) -> None:
    root = tmp_path / "m"
    assert artifacts.latest_version_dir(root) is None
    for name in ("v2", "v10", "v9", ".tmp-v11-abcd", "feedback", "v0"):
        (root / name).mkdir(parents=True)
    (root / "v12").write_text("a file, not a version")
    assert artifacts.latest_version_dir(root) == root / "v10"
    assert artifacts.latest_version_dir(root, below=10) == root / "v9"
    assert artifacts.latest_version_dir(root, below=2) is None
