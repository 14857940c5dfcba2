"""Operator settings from the environment and the kopf command line built from them."""

from __future__ import annotations

import pytest

from mlmodel_operator.api import contract
from mlmodel_operator.controller.__main__ import kopf_args
from mlmodel_operator.controller.settings import DEFAULT_IMAGE, OperatorSettings, SettingsError


def test_defaults_and_overrides() -> None:
    s = OperatorSettings.from_env({})
    assert (s.runtime_image, s.namespaces, s.metrics_port) == (DEFAULT_IMAGE, (), 8000)
    s = OperatorSettings.from_env(
        {
            contract.ENV_OPERATOR_IMAGE: "img:2",
            "MLMODEL_OPERATOR_NAMESPACE": "a, b",
            "MLMODEL_OPERATOR_METRICS_PORT": "0",
        }
    )
    assert (s.runtime_image, s.namespaces, s.metrics_port) == ("img:2", ("a", "b"), 0)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("MLMODEL_OPERATOR_METRICS_PORT", "eighty", "is not a number"),
        ("MLMODEL_OPERATOR_LIVENESS_PORT", "-1", "must be >= 0"),
        ("MLMODEL_OPERATOR_LOG_FORMAT", "xml", "use json, full or plain"),
    ],
)
def test_bad_values_are_named(key: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as info:
        OperatorSettings.from_env({key: value})
    assert key in str(info.value)


def test_kopf_args() -> None:
    args = kopf_args(OperatorSettings(namespaces=("ns1",), liveness_port=8081))
    assert args[:4] == ["run", "--standalone", "-m", "mlmodel_operator.controller.handlers"]
    assert "--liveness=http://0.0.0.0:8081/healthz" in args
    assert args[-2:] == ["--namespace", "ns1"] and "--all-namespaces" not in args
    assert "--all-namespaces" in kopf_args(OperatorSettings(liveness_port=0))
