"""TrainerSettings from the environment: defaults, parsing, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlmodel_operator.api import contract
from mlmodel_operator.runtimes.trainer.settings import SettingsError, load_settings, version_hint

SPEC = json.dumps({"data": {"source": {"dataset": "iris"}}})


def test_defaults_come_from_the_contract() -> None:
    settings = load_settings(
        {contract.ENV_SPEC: SPEC, contract.ENV_MODEL_NAME: "m", contract.ENV_VERSION: "3"}
    )
    assert settings.version == 3 and settings.baseline_version is None
    assert settings.artifact_root == Path(contract.ARTIFACT_ROOT)
    assert settings.data_root == Path(contract.DATA_ROOT)
    assert settings.termination_log == Path(contract.TERMINATION_LOG)


def test_optional_values_are_read() -> None:
    settings = load_settings(
        {
            contract.ENV_SPEC: SPEC,
            contract.ENV_MODEL_NAME: "m",
            contract.ENV_VERSION: "3",
            contract.ENV_BASELINE_VERSION: "2",
            contract.ENV_ARTIFACT_ROOT: "/x",
        }
    )
    assert settings.baseline_version == 2 and settings.artifact_root == Path("/x")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({contract.ENV_MODEL_NAME: "m", contract.ENV_VERSION: "1"}, "MLMODEL_SPEC is not set"),
        ({contract.ENV_SPEC: SPEC, contract.ENV_MODEL_NAME: "m"}, "MLMODEL_VERSION is not set"),
        (
            {contract.ENV_SPEC: SPEC, contract.ENV_MODEL_NAME: "m", contract.ENV_VERSION: "one"},
            "MLMODEL_VERSION='one' is not an integer",
        ),
        (
            {contract.ENV_SPEC: SPEC, contract.ENV_MODEL_NAME: "m", contract.ENV_VERSION: "0"},
            "version: Input should be greater than or equal to 1",
        ),
        (
            {
                contract.ENV_SPEC: '{"data": {}}',
                contract.ENV_MODEL_NAME: "m",
                contract.ENV_VERSION: "1",
            },
            "MLMODEL_SPEC is not a valid spec: data.source: Field required",
        ),
    ],
)
def test_bad_environment_is_refused_with_the_variable_named(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert str(info.value) == message


def test_version_hint_never_raises() -> None:
    assert version_hint({contract.ENV_VERSION: "4"}) == 4
    assert version_hint({contract.ENV_VERSION: "x"}) == 0
