"""Talking to a served model from the host: predictions, feedback, and a steady load generator.

Requests go to the Service's ClusterIP, through kube-proxy's rules on this machine, exactly as
an in-cluster client's would.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any


def post(url: str, body: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


@dataclass
class ModelClient:
    base_url: str

    def predict(self, rows: list[list[float]]) -> dict[str, Any]:
        return post(f"{self.base_url}/predict", {"instances": rows})

    def feedback_rows(self, rows: list[list[float]], labels: list[Any]) -> dict[str, Any]:
        items = [{"features": r, "label": y} for r, y in zip(rows, labels, strict=True)]
        return post(f"{self.base_url}/feedback", {"items": items})

    def feedback_ids(self, ids: list[str], labels: list[Any]) -> dict[str, Any]:
        items = [{"id": i, "label": y} for i, y in zip(ids, labels, strict=True)]
        return post(f"{self.base_url}/feedback", {"items": items})


@dataclass
class LoadGenerator:
    """Sends predictions back to back from a thread; counts every answer that is not a 200."""

    client: ModelClient
    row: list[float]
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    versions: set[int] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> LoadGenerator:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sent += 1
            try:
                answer = self.client.predict([self.row])
                self.versions.add(int(answer["modelVersion"]))
            except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
                self.failed += 1
                if len(self.errors) < 20:
                    self.errors.append(f"{time.strftime('%H:%M:%S')} {exc!r}")
            time.sleep(0.02)
