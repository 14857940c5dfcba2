"""The server over a real local socket: protocols, feedback, errors, readiness, ids."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest

from mlmodel_operator.runtimes.server.app import AppState
from tests.runtimes.server.conftest import spec
from tests.runtimes.server.helpers import make_state, run

ROWS = [[0.1, 0.2, 0.3], [2.0, 0.0, 0.0], [0.5, 1.5, -1.0], [-1.0, -2.0, 0.0]]


def expected(version_dir: Path, rows: list[list[float]]) -> list[Any]:
    model = joblib.load(version_dir / "model.joblib")
    return model.predict(np.array(rows)).tolist()  # type: ignore[no-any-return]


def test_v2_round_trip_single_tensor_and_per_feature(classifier_dir: Path) -> None:
    want = expected(classifier_dir, ROWS)

    async def body(client: Any) -> None:
        flat = [v for row in ROWS for v in row]
        r = await client.post(
            "/v2/models/demo/infer",
            json={
                "id": "req-1",
                "inputs": [{"name": "x", "shape": [4, 3], "datatype": "FP64", "data": flat}],
            },
        )
        out = await r.json()
        assert r.status == 200, out
        assert out["id"] == "req-1" and out["model_version"] == "1"
        assert out["outputs"][0] == {
            "name": "predict",
            "shape": [4],
            "datatype": "INT64",
            "data": want,
        }
        assert len(set(out["outputs"][1]["data"])) == 4
        per_feature = [
            {"name": f, "shape": [4, 1], "datatype": "FP64", "data": [[row[i]] for row in ROWS]}
            for i, f in enumerate("abc")
        ]
        r = await client.post("/v2/models/demo/infer", json={"inputs": per_feature[::-1]})
        assert (await r.json())["outputs"][0]["data"] == want
        meta = await (await client.get("/v2/models/demo")).json()
        assert [i["name"] for i in meta["inputs"]] == ["a", "b", "c"]
        assert meta["outputs"][0]["name"] == "predict"

    run(body, make_state(classifier_dir))


def test_plain_rows_as_lists_and_objects(classifier_dir: Path) -> None:
    want = expected(classifier_dir, ROWS)
    objects = [dict(zip("abc", row, strict=True)) for row in ROWS]

    async def body(client: Any) -> None:
        for path, rows in [("/predict", ROWS), ("/v1/models/demo:predict", objects)]:
            r = await client.post(path, json={"instances": rows})
            out = await r.json()
            assert r.status == 200, out
            assert out["predictions"] == want and out["modelVersion"] == 1
            assert len(out["ids"]) == 4 and all(i.startswith("v1.") for i in out["ids"])

    run(body, make_state(classifier_dir))


def test_feedback_by_id_and_features_gives_exact_live_metrics(
    classifier_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "fb" / "pod-a.jsonl"
    rows = [[3.0, 0.0, 0.0], [-3.0, 0.0, 0.0], [-3.0, 0.0, 0.0], [3.0, 3.0, 0.0]]

    async def body(client: Any) -> None:
        out = await (await client.post("/predict", json={"instances": rows})).json()
        preds, ids = out["predictions"], out["ids"]
        assert preds == [1, 0, 0, 2]
        # labels: right, right, wrong (true 2), and the 4th by features: predicted 2, true 1
        items = [
            {"id": ids[0], "label": 1},
            {"id": ids[1], "label": "0"},
            {"id": ids[2], "label": 2},
            {"features": rows[3], "label": 1},
        ]
        r = await client.post("/feedback", json={"items": items})
        res = await r.json()
        assert r.status == 200, res
        assert res["accepted"] == 4 and res["stored"] == 4 and res["samples"] == 4
        # pairs (pred, true): (1,1) (0,0) (0,2) (2,1)
        # class 0: tp1 fp1 fn0 -> 2/3; class 1: tp1 fp0 fn1 -> 2/3; class 2: tp0 fp1 fn1 -> 0
        assert res["metrics"]["accuracy"] == pytest.approx(0.5)
        assert res["metrics"]["f1"] == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)
        again = await (await client.post("/feedback", json={"items": items[:1]})).json()
        assert again["duplicates"] == 1 and again["samples"] == 4
        text = await (await client.get("/metrics")).text()
        assert 'mlmodel_live_metric{metric="accuracy"} 0.5' in text
        assert 'mlmodel_live_metric_samples{metric="accuracy"} 4.0' in text

    run(body, make_state(classifier_dir, spec=spec(), feedback_file=store))
    lines = [json.loads(line) for line in store.read_text().splitlines()]
    assert [line["label"] for line in lines] == [1, 0, 2, 1]
    assert lines[0]["features"] == rows[0] and lines[3]["predictionId"] is None


def test_regressor_feedback_rmse_mae_and_window(regressor_dir: Path) -> None:
    async def body(client: Any) -> None:
        rows = [[float(i), 0.0, 0.0] for i in range(12)]
        out = await (await client.post("/predict", json={"instances": rows})).json()
        errors = [1.0 if i % 2 else -2.0 for i in range(12)]
        items = [
            {"id": pid, "label": p + e}
            for pid, p, e in zip(out["ids"], out["predictions"], errors, strict=True)
        ]
        res = await (await client.post("/feedback", json={"items": items})).json()
        window = errors[-10:]  # spec window = 10
        assert res["samples"] == 10
        assert res["metrics"]["mae"] == pytest.approx(sum(map(abs, window)) / 10)
        assert res["metrics"]["rmse"] == pytest.approx((sum(e * e for e in window) / 10) ** 0.5)

    run(body, make_state(regressor_dir, spec=spec(metric="rmse")))


def test_ids_work_across_two_server_instances(classifier_dir: Path) -> None:
    async def body(a: Any, b: Any) -> None:
        out = await (await a.post("/predict", json={"instances": [[3.0, 0.0, 0.0]]})).json()
        res = await (
            await b.post("/feedback", json={"items": [{"id": out["ids"][0], "label": 0}]})
        ).json()
        assert res["accepted"] == 1 and res["metrics"]["accuracy"] == 0.0  # predicted 1
        assert res["stored"] == 0  # B never saw the features
        text = await (await b.get("/metrics")).text()
        assert 'mlmodel_live_metric_samples{metric="accuracy"} 1.0' in text

    run(body, make_state(classifier_dir), make_state(classifier_dir))


BAD = [
    ("/predict", b"{nope", 400, "malformed JSON"),
    ("/predict", b"[1, 2]", 400, "must be a JSON object"),
    ("/predict", {"rows": []}, 400, "'instances'"),
    ("/predict", {"instances": [[1.0, 2.0]]}, 400, "row 0 has 2 values; the model expects 3"),
    ("/predict", {"instances": [[1.0, "x", 2.0]]}, 400, "row 0, feature 'b': expected a finite"),
    ("/predict", {"instances": [[1.0, None, 2.0]]}, 400, "null (missing value)"),
    ("/predict", {"instances": [{"a": 1, "b": 2, "zz": 3}]}, 400, "unknown column(s) 'zz'"),
    ("/predict", {"instances": [[1.0, 2.0, 3.0]] * 51}, 413, "51 rows; the limit is 50"),
    (
        "/v2/models/demo/infer",
        {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [1, 2]}]},
        400,
        "2 features per row",
    ),
    (
        "/v2/models/demo/infer",
        {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP64", "data": [1, 2]}]},
        400,
        "needs 3 values",
    ),
    (
        "/v2/models/demo/infer",
        {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "STR", "data": [1, 2, 3]}]},
        400,
        "unsupported datatype",
    ),
    ("/v2/models/other/infer", {"inputs": []}, 404, "model 'other' not found"),
    ("/feedback", {"items": [{"id": "nope", "label": 1}]}, 400, "malformed prediction id"),
    (
        "/feedback",
        {"items": [{"id": "v1.1.abc.0.000000", "label": 1}]},
        404,
        "unknown prediction id",
    ),
    (
        "/feedback",
        {"items": [{"id": "v2.1.abc.0.000000", "label": 1}]},
        404,
        "is from version 2; this server serves version 1",
    ),
    (
        "/feedback",
        {"items": [{"features": [1, 2, 3], "label": 7}]},
        400,
        "label 7 is not one of the model's classes",
    ),
    ("/feedback", {"items": [{"features": [1, 2], "label": 1}]}, 400, "row 0 has 2 values"),
    ("/feedback", {"items": []}, 400, "'items' must be a non-empty list"),
]


@pytest.mark.parametrize(("path", "payload", "status", "message"), BAD)
def test_bad_input_gets_a_specific_4xx_and_leaves_metrics_alone(
    classifier_dir: Path, path: str, payload: Any, status: int, message: str
) -> None:
    state = make_state(classifier_dir, spec=spec())

    async def body(client: Any) -> None:
        kwargs = {"data": payload} if isinstance(payload, bytes) else {"json": payload}
        r = await client.post(path, **kwargs)
        assert r.status == status
        assert message in (await r.json())["error"]
        text = await (await client.get("/metrics")).text()
        assert "mlmodel_rows_predicted_total 0.0" in text
        assert 'mlmodel_live_metric_samples{metric="accuracy"} 0.0' in text
        assert 'mlmodel_live_metric_samples{metric="drift"} 0.0' in text

    run(body, state)


def test_body_over_the_byte_cap_is_413(classifier_dir: Path) -> None:
    state = make_state(classifier_dir, spec=spec())
    assert state.service is not None
    state.service.max_body_bytes = 100

    async def body(client: Any) -> None:
        r = await client.post("/predict", json={"instances": [[1.0, 2.0, 3.0]] * 20})
        assert r.status == 413 and "limit is 100" in (await r.json())["error"]

    run(body, state)


def test_not_ready_before_load() -> None:
    async def body(client: Any) -> None:
        assert (await client.get("/v2/health/live")).status == 200
        assert (await client.get("/v2/health/ready")).status == 503
        r = await client.post("/predict", json={"instances": [[1, 2, 3]]})
        assert r.status == 503 and "loading" in (await r.json())["error"]

    run(body, AppState())


@pytest.mark.parametrize("threaded", [False, True])
def test_concurrent_requests_are_batched_and_answered_in_order(
    classifier_dir: Path, threaded: bool
) -> None:
    rng = np.random.default_rng(1)
    requests = [rng.normal(size=(int(rng.integers(1, 5)), 3)).round(3).tolist() for _ in range(40)]
    state = make_state(classifier_dir, threaded=threaded)

    async def body(client: Any) -> None:
        async def one(rows: list[list[float]]) -> list[Any]:
            r = await client.post("/predict", json={"instances": rows})
            return (await r.json())["predictions"]  # type: ignore[no-any-return]

        got = await asyncio.gather(*(one(rows) for rows in requests))
        assert got == [expected(classifier_dir, rows) for rows in requests]

    run(body, state)
    assert state.service is not None
    assert state.service.batcher.batches < len(requests)
