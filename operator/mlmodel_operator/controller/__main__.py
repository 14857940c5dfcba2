"""`python -m mlmodel_operator.controller`: run kopf with our handlers, JSON logs and liveness."""

from __future__ import annotations

import sys

from kopf import cli

from mlmodel_operator.controller.settings import OperatorSettings, SettingsError

HANDLERS_MODULE = "mlmodel_operator.controller.handlers"


def kopf_args(settings: OperatorSettings) -> list[str]:
    """The `kopf run` command line for these settings."""
    args = ["run", "--standalone", "-m", HANDLERS_MODULE, f"--log-format={settings.log_format}"]
    if settings.liveness_port:
        args.append(f"--liveness=http://0.0.0.0:{settings.liveness_port}/healthz")
    if settings.namespaces:
        for ns in settings.namespaces:
            args += ["--namespace", ns]
    else:
        args.append("--all-namespaces")
    return args


def main() -> None:
    try:
        settings = OperatorSettings.from_env()
    except SettingsError as exc:
        sys.exit(f"mlmodel-operator: {exc}")
    cli.main(args=kopf_args(settings), prog_name="mlmodel-operator")


if __name__ == "__main__":
    main()
