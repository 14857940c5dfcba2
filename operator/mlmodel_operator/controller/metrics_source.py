"""I/O: read the monitored metric, either from the serving pods or from Prometheus.

Pods: GET http://<podIP>:8080/metrics on every serving pod and combine contract.METRIC_LIVE_VALUE
{metric=<m>} across pods (and worker pids), weighted by contract.METRIC_LIVE_SAMPLES.
Prometheus: GET <url>/api/v1/query?query=<PromQL>, which must yield exactly one sample.
The parsing and aggregation are pure functions; only `_http_get` touches the network.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from mlmodel_operator.api import contract, v1alpha1
from mlmodel_operator.controller.errors import MetricUnavailable
from mlmodel_operator.controller.observed import PodState
from mlmodel_operator.controller.retraining import Observation

Fetch = Callable[[str, float], bytes]


def _http_get(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            data: bytes = resp.read(8 * 1024 * 1024)
            return data
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise MetricUnavailable(f"GET {url} failed: {exc}") from exc


def aggregate(texts: Sequence[str], *, metric: str) -> tuple[float, int]:
    """Samples-weighted mean of the live metric across exposition texts (pods) and pids."""
    weighted = 0.0
    total = 0
    found = False
    for text in texts:
        live: dict[frozenset[tuple[str, str]], float] = {}
        counts: dict[frozenset[tuple[str, str]], float] = {}
        try:
            families = list(text_string_to_metric_families(text))
        except ValueError as exc:
            raise MetricUnavailable(f"unparseable /metrics output: {exc}") from exc
        for family in families:
            for sample in family.samples:
                if sample.labels.get("metric") != metric:
                    continue
                key = frozenset(sample.labels.items())
                if sample.name == contract.METRIC_LIVE_VALUE:
                    live[key] = float(sample.value)
                elif sample.name == contract.METRIC_LIVE_SAMPLES:
                    counts[key] = float(sample.value)
        for key, value in live.items():
            if math.isnan(value):
                continue
            found = True
            n = int(counts.get(key, 0))
            weighted += value * n
            total += n
    if not found:
        raise MetricUnavailable(
            f"no serving pod exposes {contract.METRIC_LIVE_VALUE}{{metric={metric!r}}} yet"
        )
    if total == 0:
        # A value over no samples (new pods after a rollout) says nothing; do not record it.
        raise MetricUnavailable(f"no {metric} samples yet on the serving pods")
    return weighted / total, total


def read_pods(
    *, pods: Sequence[PodState], metric: str, timeout: float, fetch: Fetch = _http_get
) -> Observation:
    texts: list[str] = []
    errors: list[str] = []
    for pod in pods:
        if not pod.ip or not pod.ready:
            continue
        url = f"http://{pod.ip}:{contract.HTTP_PORT}{contract.METRICS_PATH}"
        try:
            texts.append(fetch(url, timeout).decode("utf-8", "replace"))
        except MetricUnavailable as exc:
            errors.append(f"{pod.name}: {exc}")
    if not texts:
        why = "; ".join(errors) if errors else "no ready serving pod"
        raise MetricUnavailable(why)
    value, samples = aggregate(texts, metric=metric)
    return Observation(metric=metric, value=value, samples=samples)


def parse_query_response(body: Any) -> float:
    """The single value of a Prometheus /api/v1/query answer (scalar or one-sample vector)."""
    if not isinstance(body, dict) or body.get("status") != "success":
        error = body.get("error") if isinstance(body, dict) else None
        raise MetricUnavailable(f"Prometheus query failed: {error or 'unexpected answer'}")
    data: dict[str, Any] = body.get("data") or {}
    kind = data.get("resultType")
    result: Any = data.get("result")
    try:
        if kind == "scalar":
            return float(result[1])
        if kind == "vector":
            if not result:
                raise MetricUnavailable("Prometheus query returned no samples")
            if len(result) > 1:
                raise MetricUnavailable(
                    f"Prometheus query returned {len(result)} series; it must return one"
                )
            return float(result[0]["value"][1])
    except (TypeError, KeyError, IndexError, ValueError) as exc:
        raise MetricUnavailable(f"malformed Prometheus answer: {exc}") from exc
    raise MetricUnavailable(f"Prometheus query returned a {kind!r}; need a scalar or vector")


def read_prometheus(
    *, query: v1alpha1.PrometheusQuery, timeout: float, fetch: Fetch = _http_get
) -> Observation:
    url = query.url.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": query.query})
    raw = fetch(url, timeout)
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise MetricUnavailable(f"Prometheus answered with non-JSON: {exc}") from exc
    value = parse_query_response(body)
    if math.isnan(value):
        raise MetricUnavailable("Prometheus query returned NaN")
    return Observation(metric=v1alpha1.MonitoringMetric.PROMETHEUS.value, value=value, samples=None)


def read(
    *, monitoring: v1alpha1.MonitoringSpec, pods: Sequence[PodState], timeout: float
) -> Observation:
    """The metric the spec asks for, from wherever the spec says it lives."""
    if monitoring.metric == v1alpha1.MonitoringMetric.PROMETHEUS:
        if monitoring.prometheus is None:
            raise MetricUnavailable("monitoring.prometheus is not set")
        return read_prometheus(query=monitoring.prometheus, timeout=timeout)
    return read_pods(pods=pods, metric=monitoring.metric.value, timeout=timeout)
