"""Versions on the model volume: written atomically by the trainer, loaded (verified) by the server.

Layout (names from api/contract.py): ``<root>/<model>/v<N>/{model.joblib, metadata.json,
reference.json}``. A version is assembled in ``<root>/<model>/.tmp-v<N>-<random>/`` and renamed
into place, so readers see either no v<N> or a complete one. The model file's sha256 is checked
*before* unpickling: joblib files execute code on load, so a file that differs from what the
trainer recorded is never opened.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import joblib
from pydantic import BaseModel, ValidationError

from mlmodel_operator.api import contract

_VERSION_DIR = re.compile(r"^v([1-9][0-9]*)$")
_CHUNK = 1 << 20


class ArtifactError(Exception):
    """A version cannot be written or loaded (missing file, bad metadata, checksum mismatch)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class VersionMetadata(BaseModel):
    """metadata.json: everything the server and the operator need to know about a version."""

    model_name: str
    version: int
    task: Literal["classification", "regression"]
    estimator: str
    target: str
    feature_names: list[str]
    feature_kinds: dict[str, Literal["numeric", "categorical"]]
    categories: dict[str, list[str]]
    """Categorical features' known values (what the one-hot encoder was fitted on)."""
    classes: list[str | int | float] | None
    """Classifiers: labels in the order of predict_proba's columns."""
    metrics: dict[str, float]
    score: float
    """accuracy (classifiers) or r2 (regressors) on the held-out split."""
    baseline_score: float | None
    data_report: dict[str, Any]
    data_fingerprint: str
    rows: int
    artifact_sha256: str = ""
    """Filled in by write_version from the bytes of model.joblib."""
    created_at: str
    spec: dict[str, Any]
    """The resolved MLModel spec (camelCase wire form) this version was trained from."""
    notes: list[str] = []
    """Remarks that are not failures (e.g. why baseline_score is missing)."""


@dataclass(frozen=True)
class LoadedVersion:
    model: Any
    metadata: VersionMetadata
    reference: dict[str, Any]


def utc_now() -> str:
    """RFC 3339 UTC timestamp, second precision (as Kubernetes writes them)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fill_dir(
    tmp: Path, *, model: object, metadata: VersionMetadata, reference: dict[str, Any]
) -> None:
    model_path = tmp / contract.MODEL_FILE
    joblib.dump(model, model_path)
    metadata.artifact_sha256 = sha256_file(model_path)
    _write_synced(tmp / contract.METADATA_FILE, metadata.model_dump_json(indent=2).encode())
    _write_synced(tmp / contract.REFERENCE_FILE, json.dumps(reference).encode())


def _move_into_place(tmp: Path, final: Path) -> None:
    """Rename tmp to final; an existing final (an earlier attempt) is moved aside first."""
    if final.exists():
        aside = final.with_name(f".old-{final.name}-{secrets.token_hex(4)}")
        os.rename(final, aside)
        os.rename(tmp, final)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.rename(tmp, final)


def write_version(
    *,
    root: Path,
    model_name: str,
    version: int,
    model: object,
    metadata: VersionMetadata,
    reference: dict[str, Any],
) -> Path:
    """Write v<version> atomically and return its directory.

    Sets ``metadata.artifact_sha256`` (in place) to the sha256 of the written model.joblib.
    """
    model_root = Path(contract.model_dir(str(root), model_name))
    final = model_root / contract.version_dir_name(version)
    tmp = model_root / f".tmp-{final.name}-{secrets.token_hex(4)}"
    try:
        tmp.mkdir(parents=True)
        _fill_dir(tmp, model=model, metadata=metadata, reference=reference)
        _move_into_place(tmp, final)
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ArtifactError(f"cannot write {final}: {type(exc).__name__}: {exc}") from exc
    return final


def _read_metadata(path: Path) -> VersionMetadata:
    try:
        return VersionMetadata.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise ArtifactError(f"{path} is not valid version metadata: {exc.errors()[0]}") from exc


def _verify_checksum(path: Path, *, recorded: str, expected: str | None) -> None:
    actual = sha256_file(path)
    if actual != recorded:
        raise ArtifactError(
            f"checksum mismatch for {path}: file has sha256 {actual}, metadata records {recorded}"
        )
    if expected is not None and actual != expected:
        raise ArtifactError(
            f"checksum mismatch for {path}: file has sha256 {actual}, expected {expected}"
        )


def load_version(version_dir: Path, *, expected_sha256: str | None = None) -> LoadedVersion:
    """Load a version, refusing a model file whose sha256 differs from the recorded one(s)."""
    files = [contract.MODEL_FILE, contract.METADATA_FILE, contract.REFERENCE_FILE]
    missing = [name for name in files if not (version_dir / name).is_file()]
    if missing:
        raise ArtifactError(f"{version_dir} is incomplete: missing {', '.join(missing)}")
    metadata = _read_metadata(version_dir / contract.METADATA_FILE)
    model_path = version_dir / contract.MODEL_FILE
    _verify_checksum(model_path, recorded=metadata.artifact_sha256, expected=expected_sha256)
    try:
        model = joblib.load(model_path)
        reference = json.loads((version_dir / contract.REFERENCE_FILE).read_bytes())
    except Exception as exc:
        raise ArtifactError(f"cannot load {version_dir}: {type(exc).__name__}: {exc}") from exc
    return LoadedVersion(model=model, metadata=metadata, reference=reference)


def version_dirs(model_root: Path) -> dict[int, Path]:
    """Every complete-looking v<N> directory under a model's directory, by version number."""
    found: dict[int, Path] = {}
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in model_root.iterdir():
            match = _VERSION_DIR.match(entry.name)
            if match and entry.is_dir():
                found[int(match.group(1))] = entry
    return found


def latest_version_dir(model_root: Path, *, below: int | None = None) -> Path | None:
    """The highest v<N> under <root>/<model-name> (only N < below, when given), or None."""
    dirs = version_dirs(model_root)
    numbers = [n for n in dirs if below is None or n < below]
    return dirs[max(numbers)] if numbers else None
