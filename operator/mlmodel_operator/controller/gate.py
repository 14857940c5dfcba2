"""PURE: the promotion gate between a trained candidate and serving it.

Runs after a training Job succeeded and before any rollout; its verdict is recorded on the
version (Promoted / Rejected with a reason) and announced in an Event and a condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mlmodel_operator.api import v1alpha1

PASSED: Final = "GatePassed"
BELOW_MINIMUM: Final = "BelowMinimumScore"
WORSE_THAN_SERVING: Final = "WorseThanServing"
NO_SCORE: Final = "NoScore"


@dataclass(frozen=True)
class GateVerdict:
    promote: bool
    reason: str
    message: str


def evaluate(
    *,
    policy: v1alpha1.GatePolicy,
    candidate_version: int,
    candidate_score: float | None,
    baseline_score: float | None,
    serving_version: int | None,
    serving_score: float | None,
) -> GateVerdict:
    """Promote only if the score reaches minScore and (if asked) is no worse than serving.

    The comparison uses the serving version's score on the candidate's held-out data
    (`baseline_score`) when the trainer measured it, else the score recorded for the serving
    version. Without a serving version only minScore applies.
    """
    if candidate_score is None:
        return GateVerdict(False, NO_SCORE, f"v{candidate_version} reported no score")
    if candidate_score < policy.min_score:
        return GateVerdict(
            False,
            BELOW_MINIMUM,
            f"v{candidate_version} scored {candidate_score:.4g} < minScore {policy.min_score:.4g}",
        )
    if serving_version is not None and policy.must_beat_serving:
        reference = baseline_score if baseline_score is not None else serving_score
        if reference is not None and reference > candidate_score:
            return GateVerdict(
                False,
                WORSE_THAN_SERVING,
                f"v{candidate_version} scored {candidate_score:.4g} < serving"
                f" v{serving_version} {reference:.4g}",
            )
    return GateVerdict(True, PASSED, f"v{candidate_version} scored {candidate_score:.4g}; promoted")
