"""The status codes and exception classes of `ml_metadata.errors`.

They live in the engine so that the engine raises exactly the classes MLMD callers already catch;
`ml_metadata.errors` re-exports this module unchanged.
"""
from __future__ import annotations

import logging

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
    """A failed call: `message` says what went wrong, `error_code` is its canonical status code."""

    def __init__(self, message: str, error_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


class CancelledError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, CANCELLED)


class UnknownError(StatusError):
    def __init__(self, message: str, error_code: int = UNKNOWN) -> None:
        super().__init__(message, error_code)


class InvalidArgumentError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, INVALID_ARGUMENT)


class DeadlineExceededError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, DEADLINE_EXCEEDED)


class NotFoundError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, NOT_FOUND)


class AlreadyExistsError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, ALREADY_EXISTS)


class PermissionDeniedError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, PERMISSION_DENIED)


class UnauthenticatedError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, UNAUTHENTICATED)


class ResourceExhaustedError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, RESOURCE_EXHAUSTED)


class FailedPreconditionError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, FAILED_PRECONDITION)


class AbortedError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, ABORTED)


class OutOfRangeError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, OUT_OF_RANGE)


class UnimplementedError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, UNIMPLEMENTED)


class InternalError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, INTERNAL)


class UnavailableError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, UNAVAILABLE)


class DataLossError(StatusError):
    def __init__(self, message: str) -> None:
        super().__init__(message, DATA_LOSS)


_ERROR_CLASSES = {
    CANCELLED: CancelledError,
    UNKNOWN: UnknownError,
    INVALID_ARGUMENT: InvalidArgumentError,
    DEADLINE_EXCEEDED: DeadlineExceededError,
    NOT_FOUND: NotFoundError,
    ALREADY_EXISTS: AlreadyExistsError,
    PERMISSION_DENIED: PermissionDeniedError,
    UNAUTHENTICATED: UnauthenticatedError,
    RESOURCE_EXHAUSTED: ResourceExhaustedError,
    FAILED_PRECONDITION: FailedPreconditionError,
    ABORTED: AbortedError,
    OUT_OF_RANGE: OutOfRangeError,
    UNIMPLEMENTED: UnimplementedError,
    INTERNAL: InternalError,
    UNAVAILABLE: UnavailableError,
    DATA_LOSS: DataLossError,
}


def exception_type_from_error_code(error_code: int) -> type:
    """Returns the exception class for a status code; raises KeyError for an unmapped code."""
    return _ERROR_CLASSES[error_code]


def make_exception(message: str, error_code: int) -> StatusError:
    """Returns (does not raise) the exception for a status code, UnknownError for an unknown code."""
    try:
        exc_type = exception_type_from_error_code(error_code)
    except KeyError:
        return UnknownError(message)
    if error_code == INTERNAL:  # log internal backend errors only, as MLMD does
        logging.warning("mlmd client %s: %s", exc_type.__name__, message)
    return exc_type(message)
