"""Exception types for MLMD errors: the classes callers catch, with MLMD's names, codes and helpers.

These are the only error classes that leave the public API (besides TypeError / ValueError for bad Python
arguments, and RuntimeError from the constructor, as in MLMD). The engine raises its own twins
(`fastmlmd.engine.errors`); the API turns them into these at its boundary, keeping the engine's error as
`__cause__`. Every class pickles: a `StatusError` travels to another process (multiprocessing, a task
queue) and comes back with the same class, message and code.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Tuple, Type

# The canonical status codes are the engine's (one table for both layers); re-exported under MLMD's names.
from fastmlmd.engine.errors import (  # noqa: F401  (the public names of the codes)
    ABORTED,
    ALREADY_EXISTS,
    CANCELLED,
    DATA_LOSS,
    DEADLINE_EXCEEDED,
    FAILED_PRECONDITION,
    INTERNAL,
    INVALID_ARGUMENT,
    NOT_FOUND,
    OK,
    OUT_OF_RANGE,
    PERMISSION_DENIED,
    RESOURCE_EXHAUSTED,
    UNAUTHENTICATED,
    UNAVAILABLE,
    UNIMPLEMENTED,
    UNKNOWN,
)


def _rebuild(cls: Type[StatusError], message: str, error_code: int, state: Dict[str, Any]) -> StatusError:
    """Unpickles a StatusError whatever its subclass's constructor takes."""
    exc = cls.__new__(cls)
    StatusError.__init__(exc, message, error_code)
    exc.__dict__.update(state)
    return exc


class StatusError(Exception):
    """A failed call: `message` says what went wrong, `error_code` is its canonical status code."""

    def __init__(self, message: str, error_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code

    def __reduce__(self) -> Tuple[Callable[..., StatusError], tuple]:
        # Exception pickles as cls(*args), and args holds only the message: StatusError(message) and
        # UnknownError(message) would come back without their code (or not at all).
        state = {k: v for k, v in self.__dict__.items() if k not in ("message", "error_code")}
        return _rebuild, (type(self), self.message, self.error_code, state)


class CancelledError(StatusError):
    """The operation was cancelled."""

    def __init__(self, message: str) -> None:
        super().__init__(message, CANCELLED)


class UnknownError(StatusError):
    """The operation failed for an unknown reason (or with a status code this module does not know)."""

    def __init__(self, message: str, error_code: int = UNKNOWN) -> None:
        super().__init__(message, error_code)


class InvalidArgumentError(StatusError):
    """The call's arguments are invalid, whatever the store holds."""

    def __init__(self, message: str) -> None:
        super().__init__(message, INVALID_ARGUMENT)


class DeadlineExceededError(StatusError):
    """A deadline passed before the operation could complete."""

    def __init__(self, message: str) -> None:
        super().__init__(message, DEADLINE_EXCEEDED)


class NotFoundError(StatusError):
    """A requested entity does not exist."""

    def __init__(self, message: str) -> None:
        super().__init__(message, NOT_FOUND)


class AlreadyExistsError(StatusError):
    """An entity the call tried to create already exists."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ALREADY_EXISTS)


class PermissionDeniedError(StatusError):
    """The caller may not run this operation."""

    def __init__(self, message: str) -> None:
        super().__init__(message, PERMISSION_DENIED)


class UnauthenticatedError(StatusError):
    """The request has no valid credentials."""

    def __init__(self, message: str) -> None:
        super().__init__(message, UNAUTHENTICATED)


class ResourceExhaustedError(StatusError):
    """A resource (a quota, the disk) is exhausted."""

    def __init__(self, message: str) -> None:
        super().__init__(message, RESOURCE_EXHAUSTED)


class FailedPreconditionError(StatusError):
    """The store is not in a state in which the operation can run."""

    def __init__(self, message: str) -> None:
        super().__init__(message, FAILED_PRECONDITION)


class AbortedError(StatusError):
    """The operation was aborted, typically by a concurrent one (another writer holding the store)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ABORTED)


class OutOfRangeError(StatusError):
    """The operation went past the valid range of its input."""

    def __init__(self, message: str) -> None:
        super().__init__(message, OUT_OF_RANGE)


class UnimplementedError(StatusError):
    """The operation is not implemented."""

    def __init__(self, message: str) -> None:
        super().__init__(message, UNIMPLEMENTED)


class InternalError(StatusError):
    """The store failed in a way the caller cannot fix (a database error, a broken invariant)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, INTERNAL)


class UnavailableError(StatusError):
    """The store is unavailable for now."""

    def __init__(self, message: str) -> None:
        super().__init__(message, UNAVAILABLE)


class DataLossError(StatusError):
    """Stored data is lost or corrupt."""

    def __init__(self, message: str) -> None:
        super().__init__(message, DATA_LOSS)


_CLASS_OF_CODE: Dict[int, Type[StatusError]] = {
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


def exception_type_from_error_code(error_code: int) -> Type[StatusError]:
    """The exception class for a status code; KeyError for OK or an unknown code."""
    return _CLASS_OF_CODE[error_code]


def make_exception(message: str, error_code: int) -> StatusError:
    """Builds (does not raise) the exception for a status code: UnknownError for an unknown code.

    As in MLMD, INTERNAL errors are also logged as a warning.
    """
    exc_type = _CLASS_OF_CODE.get(error_code)
    if exc_type is None:
        return UnknownError(message)
    if error_code == INTERNAL:
        logging.warning("mlmd client %s: %s", exc_type.__name__, message)
    return exc_type(message)  # type: ignore[call-arg]  # every subclass takes the message alone
