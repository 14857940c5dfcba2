"""The live metric: a bounded sliding window of (prediction, true label) pairs.

Feedback items enter one by one; each update is O(1) (running sums for regressors, a running
confusion tally for classifiers), and the value is read in O(classes). The window holds the
last spec.monitoring.window labelled predictions of this process; with several processes the
operator weights each process's value by its samples.

Classifiers report accuracy and macro F1 (sklearn's definition: classes that appear in neither
the labels nor the predictions of the window are left out); regressors report RMSE and MAE.
"""

from __future__ import annotations

import math
from collections import deque


class ClassifierWindow:
    def __init__(self, *, size: int, n_classes: int) -> None:
        self.size = size
        self._pairs: deque[tuple[int, int]] = deque()
        self._correct = 0
        self._tp = [0] * n_classes
        self._fp = [0] * n_classes
        self._fn = [0] * n_classes

    def __len__(self) -> int:
        return len(self._pairs)

    def _apply(self, predicted: int, actual: int, sign: int) -> None:
        if predicted == actual:
            self._correct += sign
            self._tp[actual] += sign
        else:
            self._fp[predicted] += sign
            self._fn[actual] += sign

    def add(self, *, predicted: int, actual: int) -> None:
        if len(self._pairs) == self.size:
            old_p, old_a = self._pairs.popleft()
            self._apply(old_p, old_a, -1)
        self._pairs.append((predicted, actual))
        self._apply(predicted, actual, 1)

    def metrics(self) -> dict[str, float]:
        n = len(self._pairs)
        if n == 0:
            return {"accuracy": 0.0, "f1": 0.0}
        f1s = [
            2 * tp / (2 * tp + fp + fn)
            for tp, fp, fn in zip(self._tp, self._fp, self._fn, strict=True)
            if tp + fp + fn > 0
        ]
        return {"accuracy": self._correct / n, "f1": sum(f1s) / len(f1s)}


class RegressorWindow:
    def __init__(self, *, size: int) -> None:
        self.size = size
        self._pairs: deque[tuple[float, float]] = deque()
        self._sq = 0.0
        self._abs = 0.0
        self._updates = 0

    def __len__(self) -> int:
        return len(self._pairs)

    def add(self, *, predicted: float, actual: float) -> None:
        if len(self._pairs) == self.size:
            old_p, old_a = self._pairs.popleft()
            self._sq -= (old_p - old_a) ** 2
            self._abs -= abs(old_p - old_a)
        self._pairs.append((predicted, actual))
        self._sq += (predicted - actual) ** 2
        self._abs += abs(predicted - actual)
        self._updates += 1
        if self._updates % self.size == 0:  # running sums drift; re-add exactly once per window
            self._sq = math.fsum((p - a) ** 2 for p, a in self._pairs)
            self._abs = math.fsum(abs(p - a) for p, a in self._pairs)

    def metrics(self) -> dict[str, float]:
        n = len(self._pairs)
        if n == 0:
            return {"rmse": 0.0, "mae": 0.0}
        return {"rmse": math.sqrt(max(self._sq, 0.0) / n), "mae": max(self._abs, 0.0) / n}
