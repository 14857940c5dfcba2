"""Shared builders for the controller's unit tests (pure data, no cluster)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mlmodel_operator.api import v1alpha1
from mlmodel_operator.controller.desired import names

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


def make_spec(**overrides: Any) -> v1alpha1.MLModelSpec:
    wire: dict[str, Any] = {"data": {"source": {"dataset": "iris"}}}
    wire.update(overrides)
    return v1alpha1.MLModelSpec.model_validate(wire)


@pytest.fixture
def owner() -> names.Owner:
    return names.Owner(name="iris", namespace="ml", uid="uid-123")


@pytest.fixture
def spec() -> v1alpha1.MLModelSpec:
    return make_spec()
