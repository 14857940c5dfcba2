"""Loading: bundled datasets, CSV on the data volume, CSV over http (a real local server)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlmodel_operator.api.v1alpha1 import BundledDataset, DataSource, VolumeSource
from mlmodel_operator.runtimes.trainer import data
from mlmodel_operator.runtimes.trainer.errors import RefusalReason, TrainingRefused

from .helpers import FIXTURES

SHAPES = {
    "iris": (150, 5),
    "wine": (178, 14),
    "breast_cancer": (569, 31),
    "digits": (1797, 65),
    "diabetes": (442, 11),
}


@pytest.mark.parametrize("dataset", list(BundledDataset), ids=lambda d: d.value)
def test_bundled_datasets_have_a_target_column(dataset: BundledDataset) -> None:
    frame = data.load_raw(DataSource(dataset=dataset), data_root=Path("/nonexistent"))
    assert frame.shape == SHAPES[dataset.value]
    assert data.BUNDLED_TARGET in frame.columns


def test_volume_csv_is_read_from_the_data_root() -> None:
    source = DataSource(volume=VolumeSource(claim_name="d", path="messy.csv"))
    frame = data.load_raw(source, data_root=FIXTURES)
    assert frame.shape == (88, 7)


def _refusal(source: DataSource, root: Path) -> TrainingRefused:
    with pytest.raises(TrainingRefused) as info:
        data.load_raw(source, data_root=root)
    assert info.value.reason is RefusalReason.DATA_LOAD_FAILED
    return info.value


def test_volume_path_cannot_escape_the_volume(tmp_path: Path) -> None:
    source = DataSource(volume=VolumeSource(claim_name="d", path="../etc/x.csv"))
    assert "points outside the data volume" in _refusal(source, tmp_path).message


def test_missing_and_empty_csv_files_are_refused(tmp_path: Path) -> None:
    source = DataSource(volume=VolumeSource(claim_name="d", path="data.csv"))
    assert "does not exist" in _refusal(source, tmp_path).message
    (tmp_path / "data.csv").write_text("")
    assert _refusal(source, tmp_path).message == "CSV file 'data.csv' on the data volume is empty"
    (tmp_path / "data.csv").write_text("a,b\n")
    assert "has a header but no rows" in _refusal(source, tmp_path).message


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()


def test_url_csv_is_fetched(http_root: tuple[str, Path]) -> None:
    base, root = http_root
    (root / "d.csv").write_text("a,y\n1,0\n2,1\n")
    frame = data.load_raw(DataSource(url=f"{base}/d.csv"), data_root=root)
    assert frame.to_dict("list") == {"a": [1, 2], "y": [0, 1]}


def test_url_errors_name_the_url_and_status(http_root: tuple[str, Path]) -> None:
    base, root = http_root
    refusal = _refusal(DataSource(url=f"{base}/nope.csv"), root)
    assert refusal.message == f"CSV at {base}/nope.csv answered HTTP 404 File not found"
    refusal = _refusal(DataSource(url="http://127.0.0.1:1/x.csv"), root)
    assert refusal.message.startswith("CSV at http://127.0.0.1:1/x.csv could not be fetched:")
