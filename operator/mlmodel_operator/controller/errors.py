"""Typed errors of the controller; handlers map them to kopf's retry semantics.

ControllerError
├── InvalidSpec        the MLModel's spec does not parse     -> kopf.PermanentError
├── TransientApiError  API server busy/unreachable/conflict  -> kopf.TemporaryError (short)
└── ApiRefused         the API server refused a request      -> kopf.TemporaryError (long)
"""

from __future__ import annotations


class ControllerError(Exception):
    """Base of the controller's own errors; the message is fit for a user."""


class InvalidSpec(ControllerError):
    pass


class TransientApiError(ControllerError):
    pass


class ApiRefused(ControllerError):
    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class MetricUnavailable(ControllerError):
    """The metric could not be read now; the message says where and why."""
