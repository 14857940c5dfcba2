"""Pure parts of the metric sources: aggregation across pods/pids, Prometheus answers."""

from __future__ import annotations

import json

import pytest

from mlmodel_operator.api import contract, v1alpha1
from mlmodel_operator.controller import metrics_source
from mlmodel_operator.controller.errors import MetricUnavailable
from mlmodel_operator.controller.observed import PodState

V, S = contract.METRIC_LIVE_VALUE, contract.METRIC_LIVE_SAMPLES


def _text(value: float, samples: int, metric: str = "accuracy", pid: str | None = None) -> str:
    extra = f',pid="{pid}"' if pid else ""
    return (
        f'{V}{{metric="{metric}"{extra}}} {value}\n{S}{{metric="{metric}"{extra}}} {samples}\n'
        f'{V}{{metric="other"}} 0.0\n'
    )


def test_weighted_across_pods_and_pids() -> None:
    pod_a = (
        _text(0.9, 100, pid="1")
        + _text(0.5, 100, pid="2").split("\n", 2)[0]
        + "\n"
        + _text(0.5, 100, pid="2").split("\n")[1]
        + "\n"
    )
    pod_b = _text(0.6, 200)
    value, samples = metrics_source.aggregate([pod_a, pod_b], metric="accuracy")
    assert samples == 400
    assert value == pytest.approx((0.9 * 100 + 0.5 * 100 + 0.6 * 200) / 400)


def test_no_samples_yet_is_unavailable_not_zero() -> None:
    with pytest.raises(MetricUnavailable, match="no accuracy samples yet"):
        metrics_source.aggregate([_text(0.0, 0)], metric="accuracy")


def test_missing_metric_is_unavailable() -> None:
    with pytest.raises(MetricUnavailable, match="no serving pod exposes"):
        metrics_source.aggregate(["# nothing\n"], metric="accuracy")


def test_read_pods_skips_unready_and_reports_errors() -> None:
    pods = [PodState("a", "10.0.0.1", 1, True), PodState("b", "10.0.0.2", 1, False)]
    seen: list[str] = []

    def fetch(url: str, timeout: float) -> bytes:
        seen.append(url)
        return _text(0.7, 60).encode()

    obs = metrics_source.read_pods(pods=pods, metric="accuracy", timeout=1, fetch=fetch)
    assert seen == ["http://10.0.0.1:8080/metrics"]
    assert (obs.value, obs.samples) == (pytest.approx(0.7), 60)

    def broken(url: str, timeout: float) -> bytes:
        raise MetricUnavailable("refused")

    with pytest.raises(MetricUnavailable, match="a: refused"):
        metrics_source.read_pods(pods=pods, metric="accuracy", timeout=1, fetch=broken)


def test_prometheus_answers() -> None:
    ok = {
        "status": "success",
        "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.25"]}]},
    }
    assert metrics_source.parse_query_response(ok) == 0.25
    scalar = {"status": "success", "data": {"resultType": "scalar", "result": [1, "2"]}}
    assert metrics_source.parse_query_response(scalar) == 2.0
    with pytest.raises(MetricUnavailable, match="no samples"):
        metrics_source.parse_query_response(
            {"status": "success", "data": {"resultType": "vector", "result": []}}
        )
    two = {
        "status": "success",
        "data": {"resultType": "vector", "result": [ok["data"]["result"][0]] * 2},
    }  # type: ignore[index]
    with pytest.raises(MetricUnavailable, match="2 series"):
        metrics_source.parse_query_response(two)
    with pytest.raises(MetricUnavailable, match="bad_data"):
        metrics_source.parse_query_response({"status": "error", "error": "bad_data"})


def test_read_prometheus_builds_query_url() -> None:
    urls: list[str] = []

    def fetch(url: str, timeout: float) -> bytes:
        urls.append(url)
        return json.dumps(
            {"status": "success", "data": {"resultType": "scalar", "result": [0, "0.5"]}}
        ).encode()

    q = v1alpha1.PrometheusQuery(url="http://prom:9090/", query='avg(x{a="b"})')
    obs = metrics_source.read_prometheus(query=q, timeout=1, fetch=fetch)
    assert urls == ["http://prom:9090/api/v1/query?query=avg%28x%7Ba%3D%22b%22%7D%29"]
    assert (obs.value, obs.samples) == (0.5, None)
