"""The served model: one version's artifact, loaded, checked and warmed up.

``LoadedModel.load`` goes through ``runtimes.artifacts.load_version``, which verifies the
sha256 of model.joblib before unpickling; a mismatch is a ``StartupError`` and the server exits.
``predict`` takes the 2-D NumPy array of the model input contract (columns = feature_names;
float64 for numeric-only models, object otherwise) and never builds a DataFrame.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlmodel_operator.runtimes import artifacts
from mlmodel_operator.runtimes.server import fastpath
from mlmodel_operator.runtimes.server.errors import StartupError

log = logging.getLogger(__name__)

ClassLabel = str | int | float


@dataclass(kw_only=True)
class LoadedModel:
    model: Any
    name: str
    version: int
    sha256: str
    feature_names: list[str]
    categorical: list[bool]
    categories: dict[str, list[str]]
    classes: list[ClassLabel] | None
    reference: dict[str, Any]
    spec: dict[str, Any]
    _sorted_classes: np.ndarray | None = field(default=None, repr=False)
    _fast: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, version_dir: Path, *, expected_sha256: str | None = None) -> LoadedModel:
        """Load and warm up one version; StartupError on a missing file or checksum mismatch."""
        try:
            loaded = artifacts.load_version(version_dir, expected_sha256=expected_sha256)
        except artifacts.ArtifactError as exc:
            raise StartupError(f"refusing to serve {version_dir}: {exc}") from exc
        meta = loaded.metadata
        kinds = meta.feature_kinds
        self = cls(
            model=loaded.model,
            name=meta.model_name,
            version=meta.version,
            sha256=meta.artifact_sha256,
            feature_names=list(meta.feature_names),
            categorical=[kinds.get(f) == "categorical" for f in meta.feature_names],
            categories={k: list(v) for k, v in meta.categories.items()},
            classes=list(meta.classes) if meta.task == "classification" and meta.classes else None,
            reference=loaded.reference,
            spec=dict(meta.spec),
        )
        if self.classes is not None:
            model_classes = np.asarray(getattr(loaded.model, "classes_", self.classes))
            self._sorted_classes = model_classes
        self.warm_up()
        self._fast = self._checked_fast_path()
        return self

    def _checked_fast_path(self) -> Callable[[np.ndarray], np.ndarray] | None:
        """fastpath's direct predict, if it reproduces model.predict on sample rows."""
        if not self.numeric_only:
            return None
        try:
            fast = fastpath.compile_predictor(self.model, n_features=self.n_features)
            if fast is None:
                return None
            x = self.check_rows()
            got, want = fast(x), np.asarray(self.model.predict(x))
            # labels must be identical; regression values may differ in the last bits (BLAS)
            same = (
                np.array_equal(got, want)
                if self.is_classifier
                else np.allclose(got, want, rtol=1e-12, atol=1e-12)
            )
            if same:
                log.info("Using the direct predict path for %s", type(self.model).__name__)
                return fast
        except Exception:  # any surprise: keep scikit-learn's own predict
            log.exception("Direct predict path failed its check; using model.predict")
        log.warning("Direct predict path differs from model.predict; using model.predict")
        return None

    def check_rows(self, n: int = 512) -> np.ndarray:
        """Rows spread over the reference bins (and beyond), to compare predict paths."""
        rng = np.random.default_rng(0)
        by_name = {f["name"]: f for f in self.reference.get("features", [])}
        cols = []
        for name in self.feature_names:
            edges = np.asarray(by_name.get(name, {}).get("edges") or [0.0], dtype=np.float64)
            lo, hi = float(edges.min()), float(edges.max())
            pad = max(hi - lo, 1.0)
            cols.append(rng.uniform(lo - pad, hi + pad, size=n))
        return np.column_stack(cols)

    @property
    def is_classifier(self) -> bool:
        return self.classes is not None

    @property
    def numeric_only(self) -> bool:
        return not any(self.categorical)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Labels (classifiers) or values (regressors) for the rows of x."""
        if self._fast is not None:
            return self._fast(x)
        return np.asarray(self.model.predict(x))

    def class_values(self) -> list[Any]:
        """The model's class labels in predict_proba order, as Python values."""
        assert self._sorted_classes is not None
        return list(self._sorted_classes.tolist())

    def class_indices(self, predictions: np.ndarray) -> np.ndarray:
        """Position of each predicted label in ``classes`` (the order of predict_proba)."""
        assert self._sorted_classes is not None
        idx = np.searchsorted(self._sorted_classes, predictions)
        return np.minimum(idx, len(self._sorted_classes) - 1)

    def sample_row(self) -> list[Any]:
        """A plausible input row: the reference's median bin edge or first category."""
        by_name = {f["name"]: f for f in self.reference.get("features", [])}
        row: list[Any] = []
        for name, is_cat in zip(self.feature_names, self.categorical, strict=True):
            ref = by_name.get(name, {})
            if is_cat:
                cats = ref.get("categories") or self.categories.get(name) or [""]
                row.append(str(cats[0]))
            else:
                edges = ref.get("edges") or [0.0]
                row.append(float(edges[len(edges) // 2]))
        return row

    def warm_up(self) -> None:
        """One real prediction, so the first request does not pay for lazy initialisation."""
        x = np.array([self.sample_row()], dtype=np.float64 if self.numeric_only else object)
        try:
            out = self.predict(x)
            if self.is_classifier:
                idx = self.class_indices(out)
                assert self._sorted_classes is not None
                if self._sorted_classes[idx[0]] != out[0]:
                    raise StartupError(f"predicted label {out[0]!r} is not among model classes")
        except StartupError:
            raise
        except Exception as exc:
            raise StartupError(f"warm-up prediction failed: {type(exc).__name__}: {exc}") from exc
        if out.shape != (1,):
            raise StartupError(f"warm-up prediction has shape {out.shape}, expected (1,)")
        log.info("Warmed up model %s v%d: %r", self.name, self.version, out[0])
