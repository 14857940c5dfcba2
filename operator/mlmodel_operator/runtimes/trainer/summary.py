"""The trainer's result as the operator reads it: JSON in the pod's termination message.

Kubernetes keeps only 4 KiB of a termination message, so ``to_message`` shrinks the data
report's lists (the full report is in metadata.json) until the JSON fits.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from mlmodel_operator.api import contract
from mlmodel_operator.api.v1alpha1 import DataReport
from mlmodel_operator.runtimes.trainer.errors import one_line

_WIRE = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class TrainingSummary(BaseModel):
    """A version was written: its held-out numbers and provenance."""

    model_config = _WIRE

    ok: Literal[True] = True
    version: int
    metrics: dict[str, float]
    score: float
    baseline_score: float | None
    artifact_sha256: str
    data_fingerprint: str
    rows: int
    data_report: DataReport
    notes: list[str] = []
    """Remarks that are not failures (e.g. why there is no baseline score); omitted when empty."""


class FailureSummary(BaseModel):
    """No version was written: why, in one line."""

    model_config = _WIRE

    ok: Literal[False] = False
    version: int
    reason: str
    message: str


def _report_wire(report: DataReport, *, keep: int | None) -> dict[str, Any]:
    wire = report.model_dump(by_alias=True, mode="json")
    if keep is not None:
        dropped = wire["droppedColumns"]
        if len(dropped) > keep:
            wire["droppedColumns"] = [*dropped[:keep], f"... (+{len(dropped) - keep} more)"]
        booleans = wire["normalizedBooleans"]
        wire["normalizedBooleans"] = dict(list(booleans.items())[:keep])
    return wire


def _success_wire(summary: TrainingSummary, *, keep: int | None) -> dict[str, Any]:
    wire = summary.model_dump(by_alias=True, mode="json", exclude={"data_report", "notes"})
    wire["dataReport"] = _report_wire(summary.data_report, keep=keep)
    if summary.notes:
        wire["notes"] = [one_line(n, limit=300) for n in summary.notes[:3]]
    return wire


def _dumps(wire: dict[str, Any]) -> str:
    return json.dumps(wire, separators=(",", ":"))


def to_message(
    summary: TrainingSummary | FailureSummary, *, limit: int = contract.TERMINATION_MESSAGE_LIMIT
) -> str:
    """Compact JSON of the summary, at most ``limit`` bytes."""
    if isinstance(summary, FailureSummary):
        wire = summary.model_dump(by_alias=True, mode="json")
        wire["message"] = one_line(summary.message, limit=limit // 2)
        return _dumps(wire)
    for keep in (None, 20, 5, 0):
        text = _dumps(_success_wire(summary, keep=keep))
        if len(text.encode()) <= limit:
            return text
    wire = _success_wire(summary, keep=0)
    wire.pop("notes", None)
    wire["dataReport"]["droppedColumns"] = []
    return _dumps(wire)
