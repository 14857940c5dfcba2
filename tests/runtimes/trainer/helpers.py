"""Small builders shared by the trainer tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlmodel_operator.api.v1alpha1 import MLModelSpec

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def spec(data: dict[str, Any] | None = None, training: dict[str, Any] | None = None) -> MLModelSpec:
    """An MLModelSpec from wire-form parts (iris + defaults unless given)."""
    wire: dict[str, Any] = {"data": data or {"source": {"dataset": "iris"}}}
    if training:
        wire["training"] = training
        if training.get("estimator", "").endswith("Regressor") or training.get("estimator") in {
            "LinearRegression",
            "Ridge",
        }:
            wire["monitoring"] = {"metric": "rmse", "threshold": 100}
    return MLModelSpec.model_validate(wire)


def messy_data(**overrides: Any) -> dict[str, Any]:
    """spec.data for tests/fixtures/messy.csv (mounted at FIXTURES)."""
    cleaning: dict[str, Any] = {
        "dropColumns": ["customer_id"],
        "booleanColumns": ["has_partner"],
        "outliers": {"method": "iqr", "threshold": 1.5},
    }
    cleaning.update(overrides.pop("cleaning", {}))
    return {
        "source": {"volume": {"claimName": "data", "path": "messy.csv"}},
        "target": "churned",
        "cleaning": cleaning,
        **overrides,
    }
