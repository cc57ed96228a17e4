"""The engine's errors: one class per canonical status code the engine can report.

They mirror MLMD's status codes but are the engine's own: the public API (`ml_metadata`) turns each into
the `ml_metadata.errors` class with the same code at its boundary, keeping this one as `__cause__`. The
engine never imports the public package.
"""
from __future__ import annotations

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class StatusError(Exception):
    """A failed engine call: `message` says what went wrong, `error_code` is its canonical status code."""

    code = UNKNOWN

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = self.code


class InvalidArgumentError(StatusError):
    code = INVALID_ARGUMENT


class NotFoundError(StatusError):
    code = NOT_FOUND


class AlreadyExistsError(StatusError):
    code = ALREADY_EXISTS


class FailedPreconditionError(StatusError):
    code = FAILED_PRECONDITION


class AbortedError(StatusError):
    """The call lost to a concurrent one (another writer held the store); running it again may succeed."""

    code = ABORTED


class DeadlineExceededError(StatusError):
    code = DEADLINE_EXCEEDED


class OutOfRangeError(StatusError):
    code = OUT_OF_RANGE


class ResourceExhaustedError(StatusError):
    code = RESOURCE_EXHAUSTED


class UnimplementedError(StatusError):
    code = UNIMPLEMENTED


class InternalError(StatusError):
    code = INTERNAL


class UnavailableError(StatusError):
    code = UNAVAILABLE


class DataLossError(StatusError):
    """The database file is corrupt, or not a store at all any more (tables dropped or altered)."""

    code = DATA_LOSS
