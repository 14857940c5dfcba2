"""The data plane: predict and feedback on NumPy arrays, independent of HTTP.

``app.py`` parses nothing but bytes and routes; everything else happens here: the micro-batched
predict, prediction ids, the drift window, the live-metric window, the feedback file and the
Prometheus gauges. Per request the work outside predict is O(rows) with small constants, and
the drift gauges are refreshed at most once a second (and on every scrape).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pydantic

from mlmodel_operator.api.v1alpha1 import MLModelSpec, MonitoringSpec, ServingSpec
from mlmodel_operator.runtimes.server.batching import MicroBatcher, Outputs
from mlmodel_operator.runtimes.server.codec import Schema, rows_to_array
from mlmodel_operator.runtimes.server.drift import DriftMonitor
from mlmodel_operator.runtimes.server.errors import BadRequest, NotFound, PayloadTooLarge
from mlmodel_operator.runtimes.server.feedback import ClassifierWindow, RegressorWindow
from mlmodel_operator.runtimes.server.ids import IdCodec
from mlmodel_operator.runtimes.server.metrics import ServerMetrics
from mlmodel_operator.runtimes.server.model import LoadedModel
from mlmodel_operator.runtimes.server.store import FeedbackStore

LRU_ROWS = 50_000
"""Rows of recent requests kept per process, so feedback by id can store the features."""
SEEN_IDS = 100_000
"""Ids already counted by this process; repeated feedback for them is ignored."""
DRIFT_REFRESH_SECONDS = 1.0


def resolve_spec(
    spec: MLModelSpec | None, model: LoadedModel
) -> tuple[ServingSpec, MonitoringSpec]:
    if spec is None:
        try:
            spec = MLModelSpec.model_validate(model.spec)
        except pydantic.ValidationError:
            return ServingSpec(), MonitoringSpec()
    return spec.serving, spec.monitoring


class InferenceService:
    def __init__(
        self,
        *,
        model: LoadedModel,
        spec: MLModelSpec | None,
        feedback_file: Path | None,
        threaded: bool = False,
    ) -> None:
        self.model = model
        serving, monitoring = resolve_spec(spec, model)
        self.serving, self.monitoring = serving, monitoring
        self.schema = Schema(
            feature_names=model.feature_names,
            categorical=model.categorical,
            max_rows=serving.max_request_rows,
        )
        self.max_body_bytes = min(max(serving.max_request_rows * 4096, 1 << 20), 1 << 30)
        classes = [str(c) for c in model.classes] if model.classes is not None else None
        self.metrics = ServerMetrics(
            model=model.name,
            version=model.version,
            sha256=model.sha256,
            classes=classes,
            features=model.feature_names,
        )
        self.ids = IdCodec(
            version=model.version,
            sha256=model.sha256,
            n_classes=len(model.classes) if model.classes is not None else None,
        )
        self.drift = DriftMonitor(
            reference=model.reference, feature_names=model.feature_names, window=monitoring.window
        )
        self.window: ClassifierWindow | RegressorWindow
        if model.classes is not None:
            self.window = ClassifierWindow(size=monitoring.window, n_classes=len(model.classes))
            labels = [c.item() if isinstance(c, np.generic) else c for c in model.class_values()]
            self._labels = labels
            self._label_index: dict[object, int] = {}
            for i, c in enumerate(labels):
                self._label_index.setdefault(c, i)
                self._label_index.setdefault(str(c), i)
        else:
            self.window = RegressorWindow(size=monitoring.window)
        self.batcher = MicroBatcher(
            predict=self._predict_batch,
            max_rows=serving.batching.max_batch_size,
            max_wait=serving.batching.max_wait_ms / 1000,
            enabled=serving.batching.enabled,
            threaded=threaded,
        )
        self.store = FeedbackStore(feedback_file) if feedback_file is not None else None
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._recent_rows = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._drift_at = 0.0
        self.metrics.set_live(self.window.metrics(), 0)
        self.refresh_drift()

    # ---- predict ---------------------------------------------------------------------------
    def _predict_batch(self, x: np.ndarray) -> Outputs:
        """Runs once per micro-batch: predict, class indices, row counters and drift window."""
        predictions = self.model.predict(x)
        if self.model.is_classifier:
            idx = self.model.class_indices(predictions)
            counts = np.bincount(idx, minlength=len(self._labels)).tolist()
            self.metrics.observe_rows(x.shape[0], counts)
        else:
            idx = predictions.astype(np.float64)
            self.metrics.observe_rows(x.shape[0], None)
        self.drift.observe(x)
        return predictions, idx

    async def predict(self, x: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Predictions and their ids for the rows of x (already validated by the codec)."""
        predictions, payload = await self.batcher.submit(x)
        nonce = self.ids.new_nonce()
        ids = self.ids.encode(payload, nonce=nonce)
        self._remember(nonce, x)
        now = time.monotonic()
        if now - self._drift_at >= DRIFT_REFRESH_SECONDS:
            self.refresh_drift(now=now)
        return predictions, ids

    def _remember(self, nonce: str, x: np.ndarray) -> None:
        self._recent[nonce] = x
        self._recent_rows += x.shape[0]
        while self._recent_rows > LRU_ROWS and len(self._recent) > 1:
            _, old = self._recent.popitem(last=False)
            self._recent_rows -= old.shape[0]

    def refresh_drift(self, *, now: float | None = None) -> None:
        self._drift_at = time.monotonic() if now is None else now
        psi = self.drift.psi()
        self.metrics.set_drift(psi, self.drift.score(psi), self.drift.samples)

    # ---- feedback --------------------------------------------------------------------------
    def _label(self, raw: object, where: str) -> tuple[int | float, object]:
        """(class index or value, label as stored) for a feedback label."""
        if self.model.is_classifier:
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                raise BadRequest(f"{where}: label must be one of the classes {self._labels}")
            idx = self._label_index.get(raw)
            if idx is None:
                idx = self._label_index.get(str(raw))
            if idx is None:
                raise BadRequest(
                    f"{where}: label {raw!r} is not one of the model's classes {self._labels}"
                )
            return idx, self._labels[idx]
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise BadRequest(f"{where}: label must be a finite number, got {raw!r}")
        return float(raw), float(raw)

    async def feedback(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Validate every item first (all or nothing), then update the window and the file."""
        items = payload.get("items")
        if not isinstance(items, list) or not items:
            raise BadRequest(
                "'items' must be a non-empty list of {id, label} or {features, label} objects"
            )
        if len(items) > self.schema.max_rows:
            raise PayloadTooLarge(
                f"feedback has {len(items)} items; the limit is"
                f" {self.schema.max_rows} (spec.serving.maxRequestRows)"
            )
        by_id: list[tuple[str, int | float, int | float, object, np.ndarray | None]] = []
        by_row: list[tuple[int | float, object, list[Any]]] = []
        feature_rows: list[Any] = []
        seen_here: set[str] = set()
        duplicates = 0
        for i, item in enumerate(items):
            where = f"item {i}"
            if not isinstance(item, dict) or "label" not in item:
                raise BadRequest(f"{where}: must be an object with 'label' and 'id' or 'features'")
            if ("id" in item) == ("features" in item):
                raise BadRequest(f"{where}: give exactly one of 'id' or 'features'")
            actual, stored_label = self._label(item["label"], where)
            if "id" in item:
                pid = self.ids.decode(item["id"])
                if pid.version != self.model.version:
                    raise NotFound(
                        f"{where}: prediction id {item['id']!r} is from version"
                        f" {pid.version}; this server serves version"
                        f" {self.model.version}"
                    )
                if item["id"] in self._seen or item["id"] in seen_here:
                    duplicates += 1
                    continue
                seen_here.add(item["id"])
                predicted = pid.class_index if pid.class_index is not None else pid.value
                assert predicted is not None
                x = self._recent.get(pid.nonce)
                row = x[pid.row] if x is not None and pid.row < x.shape[0] else None
                by_id.append((item["id"], predicted, actual, stored_label, row))
            else:
                feature_rows.append(item["features"])
                by_row.append((actual, stored_label, item["features"]))
        predicted_rows: list[int | float] = []
        x_rows: np.ndarray | None = None
        if feature_rows:
            try:
                x_rows = rows_to_array(feature_rows, self.schema)
            except BadRequest as exc:
                raise BadRequest(f"feedback features: {exc.message}") from None
            _, idx = await self.batcher.submit(x_rows)
            predicted_rows = idx.tolist()
        records: list[dict[str, Any]] = []
        for pid_str, predicted, actual, label, row in by_id:
            self._add(predicted, actual)
            self._seen[pid_str] = None
            if row is not None:
                records.append({"features": row.tolist(), "label": label, "predictionId": pid_str})
        for k, (actual, label, _) in enumerate(by_row):
            self._add(predicted_rows[k], actual)
            assert x_rows is not None
            records.append({"features": x_rows[k].tolist(), "label": label, "predictionId": None})
        while len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
        stored = self.store.append(records) if self.store is not None and records else 0
        values = self.window.metrics()
        self.metrics.set_live(values, len(self.window))
        return {
            "accepted": len(by_id) + len(by_row),
            "duplicates": duplicates,
            "stored": stored,
            "metrics": values,
            "samples": len(self.window),
        }

    def _add(self, predicted: int | float, actual: int | float) -> None:
        if isinstance(self.window, ClassifierWindow):
            self.window.add(predicted=int(predicted), actual=int(actual))
        else:
            self.window.add(predicted=float(predicted), actual=float(actual))

    def close(self) -> None:
        self.batcher.close()
        if self.store is not None:
            self.store.close()
