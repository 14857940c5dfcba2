"""Typed refusals of the trainer: every way a training run can end without a version.

    TrainingRefused(reason, message)
      reason: DataLoadFailed | DataInvalid | ValidationFailed | TrainingFailed | ArtifactWriteFailed

The reason is a stable CamelCase word the operator copies into status conditions; the message is
one line, fit for users, naming the rule, the column and the numbers.
"""

from __future__ import annotations

from enum import StrEnum

MAX_MESSAGE_CHARS = 1000
"""Messages end up in a 4 KiB termination message and in status; keep them short."""


class RefusalReason(StrEnum):
    DATA_LOAD_FAILED = "DataLoadFailed"
    DATA_INVALID = "DataInvalid"
    VALIDATION_FAILED = "ValidationFailed"
    TRAINING_FAILED = "TrainingFailed"
    ARTIFACT_WRITE_FAILED = "ArtifactWriteFailed"


def one_line(text: str, *, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Collapse whitespace (tracebacks, multi-line library errors) and cap the length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class TrainingRefused(Exception):
    """The trainer will not produce this version; ``str()`` is ``"<reason>: <message>"``."""

    def __init__(self, reason: RefusalReason | str, message: str) -> None:
        self.reason = RefusalReason(reason)
        self.message = one_line(message)
        super().__init__(f"{self.reason}: {self.message}")


def load_failed(message: str) -> TrainingRefused:
    return TrainingRefused(RefusalReason.DATA_LOAD_FAILED, message)


def data_invalid(message: str) -> TrainingRefused:
    return TrainingRefused(RefusalReason.DATA_INVALID, message)


def validation_failed(rule: str, message: str) -> TrainingRefused:
    """A failed validation rule: the message starts with the rule's spec name (e.g. minRows)."""
    return TrainingRefused(RefusalReason.VALIDATION_FAILED, f"{rule}: {message}")


def training_failed(message: str) -> TrainingRefused:
    return TrainingRefused(RefusalReason.TRAINING_FAILED, message)


def list_preview(items: list[str], *, limit: int = 10) -> str:
    """``a, b, c`` or ``a, b, ... (+12 more)``: names in messages without flooding them."""
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    return f"{shown}, ... (+{rest} more)" if rest > 0 else shown
