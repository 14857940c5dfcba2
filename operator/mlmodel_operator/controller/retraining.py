"""PURE: should the monitored metric start a retrain right now? (called by the monitoring pass)

decide(policy, observation, history, now) weighs a metric reading against the threshold, the
sample floor, the cooldown, the daily cap, training in flight and the enabled switch, and says
why in a reason word and a message. The clock is an argument, so every edge is testable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from mlmodel_operator.api import v1alpha1

DAY: Final = timedelta(hours=24)

# Reasons (CamelCase, also used as condition reasons and metric labels).
BREACH: Final = "MetricBreach"
HEALTHY: Final = "MetricHealthy"
NO_READING: Final = "NoReading"
TOO_FEW_SAMPLES: Final = "TooFewSamples"
DISABLED: Final = "RetrainingDisabled"
IN_FLIGHT: Final = "TrainingInFlight"
COOLDOWN: Final = "CoolingDown"
DAILY_CAP: Final = "DailyCapReached"
NOT_SERVING: Final = "NotServing"


@dataclass(frozen=True)
class Observation:
    """One reading of the monitored metric."""

    metric: str
    value: float
    samples: int | None
    """None when not applicable (a Prometheus query)."""


@dataclass(frozen=True)
class RetrainHistory:
    retrain_times: Sequence[datetime]
    """Start times of earlier automatic retrains."""
    training_in_flight: bool
    serving: bool


@dataclass(frozen=True)
class RetrainDecision:
    retrain: bool
    breached: bool
    """The reading counts and is worse than the threshold (drives the Degraded condition)."""
    reason: str
    message: str


def higher_is_better(monitoring: v1alpha1.MonitoringSpec) -> bool:
    if monitoring.metric == v1alpha1.MonitoringMetric.PROMETHEUS:
        return monitoring.prometheus.higher_is_better if monitoring.prometheus else True
    return v1alpha1.HIGHER_IS_BETTER[monitoring.metric]


def describe(monitoring: v1alpha1.MonitoringSpec, obs: Observation) -> str:
    """E.g. 'accuracy 0.42 < threshold 0.8 over 120 samples'."""
    hib = higher_is_better(monitoring)
    worse = obs.value < monitoring.threshold if hib else obs.value > monitoring.threshold
    op = ("<" if hib else ">") if worse else (">=" if hib else "<=")
    text = f"{obs.metric} {obs.value:.4g} {op} threshold {monitoring.threshold:.4g}"
    if obs.samples is not None:
        text += f" over {obs.samples} samples"
    return text


def decide(
    *,
    monitoring: v1alpha1.MonitoringSpec,
    retraining: v1alpha1.RetrainingSpec,
    observation: Observation | None,
    history: RetrainHistory,
    now: datetime,
) -> RetrainDecision:
    """The verdict for one reading; checks run from 'is it even a breach' to 'may we retrain'."""
    if observation is None:
        return RetrainDecision(False, False, NO_READING, "no reading of the metric yet")
    text = describe(monitoring, observation)
    if observation.samples is not None and observation.samples < monitoring.min_samples:
        return RetrainDecision(
            False,
            False,
            TOO_FEW_SAMPLES,
            f"{text}; needs {monitoring.min_samples} samples before it counts",
        )
    hib = higher_is_better(monitoring)
    breached = (
        observation.value < monitoring.threshold
        if hib
        else observation.value > monitoring.threshold
    )
    if not breached:
        return RetrainDecision(False, False, HEALTHY, text)

    def hold(reason: str, why: str) -> RetrainDecision:
        return RetrainDecision(False, True, reason, f"{text}; {why}")

    if not retraining.enabled:
        return hold(DISABLED, "automatic retraining is disabled")
    if not history.serving:
        return hold(NOT_SERVING, "no version is serving")
    if history.training_in_flight:
        return hold(IN_FLIGHT, "a version is already training")
    if history.retrain_times:
        last = max(history.retrain_times)
        next_allowed = last + timedelta(seconds=retraining.cooldown_seconds)
        if now < next_allowed:
            left = int((next_allowed - now).total_seconds())
            return hold(COOLDOWN, f"cooling down for {left}s more")
    recent = [t for t in history.retrain_times if now - t < DAY]
    if len(recent) >= retraining.max_per_day:
        return hold(
            DAILY_CAP,
            f"{len(recent)} retrains in the last 24h (maxPerDay {retraining.max_per_day})",
        )
    return RetrainDecision(True, True, BREACH, text)
