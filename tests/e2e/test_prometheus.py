"""A second model watched through PromQL: a real Prometheus scrapes the serving pods."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import pytest
from sklearn.datasets import load_wine

from tests.e2e.conftest import Prometheus, client_for, status, version, wait_serving
from tests.kube import Kubectl, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.node, pytest.mark.e2e]

NAME = "wine"


def query(prometheus: str, promql: str) -> list[dict[str, Any]]:
    url = f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())["data"]["result"]  # type: ignore[no-any-return]


def test_promql_breach_retrains(model_namespace: Kubectl, prometheus: Prometheus) -> None:
    k = model_namespace
    ns = k.namespace
    selector = f'namespace="{ns}",mlmodel="{NAME}",metric="accuracy"'
    # Live accuracy across the serving pods, only once enough labels have arrived.
    promql = (
        f"avg(mlmodel_live_metric{{{selector}}})"
        f" and on() sum(mlmodel_live_metric_samples{{{selector}}}) >= 30"
    )
    k.apply(
        {
            "apiVersion": "mlops.dev/v1alpha1",
            "kind": "MLModel",
            "metadata": {"name": NAME},
            "spec": {
                "data": {"source": {"dataset": "wine"}, "includeFeedback": True},
                "training": {"estimator": "LogisticRegression", "params": {"max_iter": 500}},
                "monitoring": {
                    "metric": "prometheus",
                    "threshold": 0.7,
                    "intervalSeconds": 5,
                    "prometheus": {"url": prometheus.url, "query": promql, "higherIsBetter": True},
                },
                "retraining": {"cooldownSeconds": 30},
            },
        }
    )
    wait_serving(k, NAME, 1)
    prometheus.scrape(ns, f"{NAME}-server")
    wait_for(
        "Prometheus to scrape the serving pod",
        lambda: query(prometheus.url, f'mlmodel_model_info{{namespace="{ns}"}}'),
        timeout=90,
        interval=2,
    )

    # Every label is wrong: rotate the true class.
    data = load_wine()
    rows = [[float(v) for v in row] for row in data.data[:60]]
    wrong = [(int(t) + 1) % 3 for t in data.target[:60]]
    client_for(k, NAME).feedback_rows(rows, wrong)

    value = wait_for(
        "Prometheus to see the live accuracy fall",
        lambda: query(prometheus.url, promql),
        timeout=90,
        interval=2,
    )
    assert float(value[0]["value"][1]) < 0.7

    def retraining() -> dict[str, Any] | None:
        st = status(k, NAME)
        return st if version(st, 2) else None

    st = wait_for("a retrain triggered by the PromQL query", retraining, timeout=120, interval=2)
    v2 = version(st, 2)
    assert v2["trigger"] == "MetricBreach"
    assert st["lastMetric"]["name"] == "prometheus" and st["lastMetric"]["value"] < 0.7
    assert k.get("job", f"{NAME}-train-v2") is not None
