"""Typed server errors: each carries its HTTP status, and one handler turns them into JSON.

    ServerError(status_code, message)
     ├── BadRequest          400  malformed JSON, wrong shape, non-numeric value, unknown column
     ├── NotFound            404  unknown model name, unknown prediction id
     ├── PayloadTooLarge     413  more rows than spec.serving.maxRequestRows, or too many bytes
     └── NotReady            503  the model is still loading or warming up

Handlers raise these; ``app.error_middleware`` renders ``{"error": message}`` with the status,
so a bad request never crashes a worker and never reaches the live metrics.
"""

from __future__ import annotations


class ServerError(Exception):
    """Base of every error the server reports to a client."""

    status_code: int = 500

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class BadRequest(ServerError):
    status_code = 400


class NotFound(ServerError):
    status_code = 404


class PayloadTooLarge(ServerError):
    status_code = 413


class NotReady(ServerError):
    status_code = 503


class StartupError(Exception):
    """The server cannot start (bad settings, checksum mismatch); the process exits non-zero."""
