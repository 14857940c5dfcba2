"""retraining.decide on every edge: threshold, samples, cooldown, cap, in-flight, disabled."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mlmodel_operator.api import v1alpha1
from mlmodel_operator.controller import retraining as r
from tests.controller.conftest import NOW


def _decide(
    value: float | None,
    *,
    samples: int | None = 100,
    metric: str = "accuracy",
    threshold: float = 0.8,
    min_samples: int = 50,
    times: list[datetime] | None = None,
    in_flight: bool = False,
    serving: bool = True,
    prometheus: dict[str, Any] | None = None,
    **retrain: Any,
) -> r.RetrainDecision:
    mon: dict[str, Any] = {"metric": metric, "threshold": threshold, "minSamples": min_samples}
    if prometheus is not None:
        mon["prometheus"] = prometheus
    obs = None if value is None else r.Observation(metric=metric, value=value, samples=samples)
    return r.decide(
        monitoring=v1alpha1.MonitoringSpec.model_validate(mon),
        retraining=v1alpha1.RetrainingSpec.model_validate(
            {"cooldownSeconds": 600, "maxPerDay": 3, **retrain}
        ),
        observation=obs,
        history=r.RetrainHistory(
            retrain_times=times or [], training_in_flight=in_flight, serving=serving
        ),
        now=NOW,
    )


def test_breach_retrains_with_message() -> None:
    d = _decide(0.42, samples=120)
    assert (d.retrain, d.breached, d.reason) == (True, True, r.BREACH)
    assert d.message == "accuracy 0.42 < threshold 0.8 over 120 samples"


def test_exactly_at_threshold_is_not_a_breach() -> None:
    d = _decide(0.8)
    assert (d.retrain, d.breached, d.reason) == (False, False, r.HEALTHY)


def test_samples_one_short_does_not_count() -> None:
    d = _decide(0.1, samples=49)
    assert (d.retrain, d.breached, d.reason) == (False, False, r.TOO_FEW_SAMPLES)
    assert _decide(0.1, samples=50).retrain


def test_no_reading() -> None:
    assert _decide(None).reason == r.NO_READING


def test_lower_is_better_metrics() -> None:
    assert _decide(0.31, metric="drift", threshold=0.3).retrain
    assert _decide(0.3, metric="drift", threshold=0.3).reason == r.HEALTHY
    d = _decide(5.0, metric="rmse", threshold=4.0)
    assert d.retrain and "rmse 5 > threshold 4" in d.message


def test_prometheus_direction_and_no_samples() -> None:
    lower = {"url": "http://p:9090", "query": "q", "higherIsBetter": False}
    higher = {"url": "http://p:9090", "query": "q"}
    assert _decide(2.0, samples=None, metric="prometheus", threshold=1.0, prometheus=lower).retrain
    assert not _decide(
        2.0, samples=None, metric="prometheus", threshold=1.0, prometheus=higher
    ).breached
    d = _decide(0.5, samples=None, metric="prometheus", threshold=1.0, prometheus=higher)
    assert d.retrain and "samples" not in d.message


def test_cooldown_boundary() -> None:
    just_inside = _decide(0.1, times=[NOW - timedelta(seconds=599)])
    assert (just_inside.retrain, just_inside.breached, just_inside.reason) == (
        False,
        True,
        r.COOLDOWN,
    )
    assert "1s more" in just_inside.message
    assert _decide(0.1, times=[NOW - timedelta(seconds=600)]).retrain


def test_daily_cap_boundary() -> None:
    hour = timedelta(hours=1)
    three = [NOW - 3 * hour, NOW - 2 * hour, NOW - hour]
    assert _decide(0.1, times=three).reason == r.DAILY_CAP
    two = [NOW - 3 * hour, NOW - hour]
    assert _decide(0.1, times=two).retrain
    # the oldest one exactly 24h ago has left the window
    aged = [NOW - timedelta(hours=24), NOW - 2 * hour, NOW - hour]
    assert _decide(0.1, times=aged).retrain
    almost = [NOW - timedelta(hours=24) + timedelta(seconds=1), NOW - 2 * hour, NOW - hour]
    assert _decide(0.1, times=almost).reason == r.DAILY_CAP


def test_zero_daily_cap_never_retrains() -> None:
    assert _decide(0.1, maxPerDay=0).reason == r.DAILY_CAP


def test_in_flight_disabled_not_serving() -> None:
    assert _decide(0.1, in_flight=True).reason == r.IN_FLIGHT
    d = _decide(0.1, enabled=False)
    assert (d.retrain, d.breached, d.reason) == (False, True, r.DISABLED)
    assert _decide(0.1, serving=False).reason == r.NOT_SERVING
