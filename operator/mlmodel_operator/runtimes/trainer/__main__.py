"""``python -m mlmodel_operator.runtimes.trainer``: env in, version + termination message out.

Exit 0 with the summary JSON on stdout and in the termination log; on failure exit 1 with the
failure summary there and one line ``<Reason>: <message>`` on stderr. An unexpected exception's
traceback goes to stdout (the pod log), so stderr stays one line.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from pathlib import Path

from mlmodel_operator.runtimes.trainer.errors import RefusalReason, TrainingRefused, one_line
from mlmodel_operator.runtimes.trainer.run import train_version
from mlmodel_operator.runtimes.trainer.settings import (
    SettingsError,
    load_settings,
    termination_log_hint,
    version_hint,
)
from mlmodel_operator.runtimes.trainer.summary import FailureSummary, TrainingSummary, to_message


def _publish(summary: TrainingSummary | FailureSummary, *, termination_log: Path) -> None:
    message = to_message(summary)
    print(message, flush=True)
    # Outside Kubernetes there may be no termination log; stdout has the summary anyway.
    with contextlib.suppress(OSError):
        termination_log.write_text(message)


def _fail(reason: str, message: str, *, version: int, termination_log: Path) -> int:
    summary = FailureSummary(version=version, reason=reason, message=one_line(message))
    _publish(summary, termination_log=termination_log)
    print(f"{reason}: {summary.message}", file=sys.stderr, flush=True)
    return 1


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(
            RefusalReason.TRAINING_FAILED.value,
            f"settings: {exc}",
            version=version_hint(),
            termination_log=termination_log_hint(),
        )
    log = settings.termination_log
    try:
        summary = train_version(
            settings.spec,
            model_name=settings.model_name,
            version=settings.version,
            artifact_root=settings.artifact_root,
            data_root=settings.data_root,
            baseline_version=settings.baseline_version,
        )
    except TrainingRefused as exc:
        return _fail(exc.reason.value, exc.message, version=settings.version, termination_log=log)
    except Exception as exc:
        traceback.print_exc(file=sys.stdout)
        message = f"unexpected {type(exc).__name__}: {exc}"
        return _fail(
            RefusalReason.TRAINING_FAILED.value,
            message,
            version=settings.version,
            termination_log=log,
        )
    _publish(summary, termination_log=log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
