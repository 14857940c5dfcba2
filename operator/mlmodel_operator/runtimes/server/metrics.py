"""Prometheus metrics of the server: the contract the operator (and dashboards) read.

Served on GET /metrics of the one HTTP port. Names come from ``api.contract``:

- mlmodel_requests_total (counter; endpoint, code): HTTP requests by route and status.
- mlmodel_request_duration_seconds (histogram; endpoint): latency from handler start to response.
- mlmodel_rows_predicted_total (counter): rows predicted (warm-up excluded).
- mlmodel_predictions_total (counter; class): classifiers only, predictions per class.
- mlmodel_live_metric (gauge; metric [, pid]): the live metric over the sliding feedback window:
  accuracy and f1 (classifiers) or rmse and mae (regressors); drift = the drift score.
- mlmodel_live_metric_samples (gauge; metric [, pid]): labelled samples behind it (for drift:
  inputs in the drift window).
- mlmodel_feature_drift (gauge; feature [, pid]): PSI of the feature's recent inputs.
- mlmodel_drift_score (gauge; [pid]): max PSI over features.
- mlmodel_model_info (gauge; model, version, sha256): 1 for the served version.

endpoint is one of infer (V2), predict (/predict and V1), feedback, metadata. The live gauges are
per process: with several worker processes (prometheus_client multiprocess mode, enabled by
PROMETHEUS_MULTIPROC_DIR) they carry a ``pid`` label, one series per live worker, and a reader
combines them weighted by samples: sum(metric * samples) / sum(samples). Counters and histograms
are summed over workers by prometheus_client. Every classifier exports accuracy and f1, every
regressor rmse and mae, and every model drift, whatever spec.monitoring.metric is.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from mlmodel_operator.api import contract

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST
ENDPOINTS = ("infer", "predict", "feedback", "metadata")


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class ServerMetrics:
    def __init__(
        self,
        *,
        model: str,
        version: int,
        sha256: str,
        classes: list[str] | None,
        features: list[str],
    ) -> None:
        self._mp_dir = multiprocess_dir()
        reg = None if self._mp_dir else CollectorRegistry()
        self.registry = reg
        self.requests = Counter(
            contract.METRIC_REQUESTS,
            "HTTP requests by endpoint and status code.",
            ["endpoint", "code"],
            registry=reg,
        )
        self.duration = Histogram(
            contract.METRIC_REQUEST_SECONDS,
            "Request latency in seconds.",
            ["endpoint"],
            buckets=BUCKETS,
            registry=reg,
        )
        self.rows = Counter(contract.METRIC_ROWS, "Rows predicted.", registry=reg)
        self.predictions = Counter(
            contract.METRIC_PREDICTIONS, "Predictions per class.", ["class"], registry=reg
        )
        self.live = Gauge(
            contract.METRIC_LIVE_VALUE,
            "Live metric over the sliding window.",
            ["metric"],
            registry=reg,
            multiprocess_mode="liveall",
        )
        self.live_samples = Gauge(
            contract.METRIC_LIVE_SAMPLES,
            "Samples behind the live metric.",
            ["metric"],
            registry=reg,
            multiprocess_mode="liveall",
        )
        self.feature_drift = Gauge(
            contract.METRIC_FEATURE_DRIFT,
            "PSI of recent inputs per feature.",
            ["feature"],
            registry=reg,
            multiprocess_mode="liveall",
        )
        self.drift_score = Gauge(
            contract.METRIC_DRIFT_SCORE,
            "Max PSI over features.",
            registry=reg,
            multiprocess_mode="liveall",
        )
        info = Gauge(
            contract.METRIC_MODEL_INFO,
            "The served model version.",
            ["model", "version", "sha256"],
            registry=reg,
            multiprocess_mode="max",
        )
        info.labels(model, str(version), sha256).set(1)
        self._class_children = [self.predictions.labels(str(c)) for c in classes or []]
        self._features = {f: self.feature_drift.labels(f) for f in features}
        self._req: dict[tuple[str, int], Counter] = {}
        self._dur = {e: self.duration.labels(e) for e in ENDPOINTS}

    def observe_request(self, endpoint: str, code: int, seconds: float) -> None:
        child = self._req.get((endpoint, code))
        if child is None:
            child = self._req[(endpoint, code)] = self.requests.labels(endpoint, str(code))
        child.inc()
        dur = self._dur.get(endpoint)
        if dur is not None:
            dur.observe(seconds)

    def observe_rows(self, rows: int, class_counts: list[int] | None) -> None:
        self.rows.inc(rows)
        if class_counts is not None:
            for child, n in zip(self._class_children, class_counts, strict=False):
                if n:
                    child.inc(n)

    def set_live(self, values: dict[str, float], samples: int) -> None:
        for name, value in values.items():
            self.live.labels(name).set(value)
            self.live_samples.labels(name).set(samples)

    def set_drift(self, psi: dict[str, float], score: float, samples: int) -> None:
        for name, value in psi.items():
            self._features[name].set(value)
        self.drift_score.set(score)
        self.live.labels("drift").set(score)
        self.live_samples.labels("drift").set(samples)

    def render(self) -> bytes:
        if self._mp_dir:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self._mp_dir)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        assert self.registry is not None
        return generate_latest(self.registry)
