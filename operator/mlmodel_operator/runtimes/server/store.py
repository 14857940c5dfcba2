"""Labelled production rows for retraining: an append-only JSONL file on the model volume.

Each line is written with one ``os.write`` on an O_APPEND descriptor, so worker processes of a
pod can share the file and a crash can at worst leave one partial last line, which readers skip.
On open, a file that does not end in a newline gets one first, so the next record never fuses
with a partial line. The file stops growing at ``max_bytes`` (the volume is shared and finite);
rows past the cap are counted, not written.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 256 * 1024 * 1024


class FeedbackStore:
    def __init__(self, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.dropped = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        size = os.fstat(self._fd).st_size
        if size:
            with path.open("rb") as f:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    os.write(self._fd, b"\n")

    def append(self, rows: list[dict[str, Any]]) -> int:
        """Append records ({features, label, predictionId}); returns how many were written."""
        written = 0
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for row in rows:
            line = orjson.dumps({**row, "time": now}, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
            if os.fstat(self._fd).st_size + len(line) > self.max_bytes:
                if not self.dropped:
                    log.warning(
                        "Feedback file %s reached %d bytes; not storing more rows",
                        self.path,
                        self.max_bytes,
                    )
                self.dropped += 1
                continue
            os.write(self._fd, line)
            written += 1
        return written

    def close(self) -> None:
        os.close(self._fd)
