"""Load the raw training data named by spec.data.source into a DataFrame (the pipeline's step 1).

Sources: a dataset bundled with scikit-learn (no download; its label column is 'target'), a CSV
file on the mounted data volume, or a CSV file over http(s). Any failure is a DataLoadFailed
with the source named; nothing here cleans or validates.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
from sklearn import datasets

from mlmodel_operator.api.v1alpha1 import BundledDataset, DataSource, VolumeSource
from mlmodel_operator.runtimes.trainer.errors import load_failed

BUNDLED_TARGET = "target"
"""The label column of the bundled datasets (as_frame=True)."""
URL_TIMEOUT_SECONDS = 60.0
MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024

_LOADERS: dict[BundledDataset, Callable[..., Any]] = {
    BundledDataset.IRIS: datasets.load_iris,
    BundledDataset.WINE: datasets.load_wine,
    BundledDataset.BREAST_CANCER: datasets.load_breast_cancer,
    BundledDataset.DIGITS: datasets.load_digits,
    BundledDataset.DIABETES: datasets.load_diabetes,
}


def default_target(source: DataSource) -> str | None:
    """The label column when spec.data.target is unset: 'target' for bundled datasets."""
    return BUNDLED_TARGET if source.dataset is not None else None


def load_bundled(dataset: BundledDataset) -> pd.DataFrame:
    frame: pd.DataFrame = _LOADERS[dataset](as_frame=True).frame
    return frame.reset_index(drop=True)


def _read_csv(handle: str | Path | BinaryIO, *, what: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(handle)
    except pd.errors.EmptyDataError:
        raise load_failed(f"{what} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise load_failed(f"{what} is not a readable CSV file: {exc}") from None
    if frame.empty:
        raise load_failed(f"{what} has a header but no rows")
    return frame


def resolve_volume_path(volume: VolumeSource, *, data_root: Path) -> Path:
    """The CSV file under data_root; a path that escapes the mounted volume is refused."""
    root = data_root.resolve()
    path = (root / volume.path).resolve()
    if not path.is_relative_to(root):
        raise load_failed(f"volume path {volume.path!r} points outside the data volume")
    return path


def load_volume_csv(volume: VolumeSource, *, data_root: Path) -> pd.DataFrame:
    path = resolve_volume_path(volume, data_root=data_root)
    what = f"CSV file {volume.path!r} on the data volume"
    if not path.is_file():
        raise load_failed(f"{what} does not exist (looked at {path})")
    return _read_csv(path, what=what)


def load_url_csv(url: str, *, timeout: float = URL_TIMEOUT_SECONDS) -> pd.DataFrame:
    """Fetch a CSV over http(s) with a timeout (pandas' own URL reading has none)."""
    what = f"CSV at {url}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read(MAX_DOWNLOAD_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise load_failed(f"{what} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise load_failed(f"{what} could not be fetched: {reason}") from None
    if len(body) > MAX_DOWNLOAD_BYTES:
        raise load_failed(f"{what} is larger than {MAX_DOWNLOAD_BYTES // (1024 * 1024)} MiB")
    return _read_csv(io.BytesIO(body), what=what)


def load_raw(source: DataSource, *, data_root: Path) -> pd.DataFrame:
    """The raw data of one source, as loaded (no cleaning)."""
    if source.dataset is not None:
        return load_bundled(source.dataset)
    if source.volume is not None:
        return load_volume_csv(source.volume, data_root=data_root)
    if source.url is not None:
        return load_url_csv(source.url)
    raise load_failed("spec.data.source names no dataset, volume or url")
