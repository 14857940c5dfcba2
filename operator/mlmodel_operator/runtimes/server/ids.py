"""Self-contained prediction ids, so feedback works on any replica or worker.

A Service spreads requests over pods and SO_REUSEPORT spreads them over worker processes, so
the process that receives feedback is usually not the one that served the prediction. The id
therefore carries everything the live metric needs, and no state is shared:

    v<version>.<prediction>.<nonce>.<row>.<check>      e.g.  v3.1.5f0a2c1b.0.8e41d2

- prediction: the predicted class's index in the model's classes (classifiers) or the predicted
  value as the shortest exact repr with "." spelled "_" (regressors);
- nonce: a per-process random prefix plus a per-request counter (hex); with row it keys this
  process's small LRU of request features, so rows can be stored for retraining when the id was
  served here;
- check: 24 bits of a CRC keyed by the artifact's sha256, so typos and ids of another model are
  told apart (404) from real ones. It detects mistakes; it is not a signature.
"""

from __future__ import annotations

import math
import secrets
import zlib
from dataclasses import dataclass
from itertools import count

import numpy as np

from mlmodel_operator.runtimes.server.errors import BadRequest, NotFound


@dataclass(frozen=True, slots=True)
class PredictionId:
    version: int
    class_index: int | None
    value: float | None
    nonce: str
    row: int


class IdCodec:
    """Mints and reads prediction ids for one served version."""

    def __init__(self, *, version: int, sha256: str, n_classes: int | None) -> None:
        self.version = version
        self.n_classes = n_classes
        self._prefix = f"v{version}."
        self._seed = int(sha256[:8] or "0", 16)
        self._process = secrets.token_hex(3)
        self._counter = count()

    def new_nonce(self) -> str:
        return f"{self._process}{next(self._counter):x}"

    def _check(self, body: str) -> str:
        return f"{zlib.crc32(body.encode(), self._seed) & 0xFFFFFF:06x}"

    def encode(self, predictions: np.ndarray, *, nonce: str) -> list[str]:
        """One id per row; predictions are class indices (classifiers) or values (regressors)."""
        if self.n_classes is not None:
            payloads = [str(p) for p in predictions.tolist()]
        else:
            payloads = [repr(float(v)).replace(".", "_") for v in predictions.tolist()]
        head = f"{self._prefix}"
        tail = f".{nonce}."
        seed = self._seed
        out = []
        for row, payload in enumerate(payloads):
            body = f"{head}{payload}{tail}{row}"
            out.append(f"{body}.{zlib.crc32(body.encode(), seed) & 0xFFFFFF:06x}")
        return out

    def decode(self, raw: object) -> PredictionId:
        """Parse and check an id; BadRequest if malformed, NotFound if not minted by this model."""
        if not isinstance(raw, str) or len(raw) > 128:
            raise BadRequest(f"prediction id must be a string, got {_short(raw)}")
        parts = raw.split(".")
        if len(parts) != 5 or not parts[0].startswith("v"):
            raise BadRequest(
                f"malformed prediction id {raw!r}: expected v<version>.<p>.<n>.<r>.<c>"
            )
        if parts[0][1:].isdigit() and int(parts[0][1:]) != self.version:
            raise NotFound(
                f"prediction id {raw!r} is from version {parts[0][1:]}; this server"
                f" serves version {self.version}"
            )
        body, check = raw.rsplit(".", 1)
        if self._check(body) != check:
            raise NotFound(f"unknown prediction id {raw!r}: not issued by this model")
        ver, payload, nonce, row = parts[:4]
        try:
            version, row_no = int(ver[1:]), int(row)
            if self.n_classes is not None:
                idx = int(payload)
                if not 0 <= idx < self.n_classes:
                    raise ValueError
                return PredictionId(version, idx, None, nonce, row_no)
            value = float(payload.replace("_", "."))
            if not math.isfinite(value):
                raise ValueError
            return PredictionId(version, None, value, nonce, row_no)
        except ValueError:
            raise BadRequest(f"malformed prediction id {raw!r}") from None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
