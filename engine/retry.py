"""One retry policy for every call: a deadline, lock waits inside it, and jittered retries of aborted attempts.

A call (one engine method run for one API call) gets a deadline, `FASTMLMD_CALL_DEADLINE_SECONDS` from
its start (default 60). Inside it:

* an attempt that finds another connection holding the store's write lock waits for it, with short
  randomised sleeps (Database.run), for at most the deadline (counted from when the first attempt begins
  to wait: the few microseconds of work before it are not worth a clock read and a context variable on
  every call; from the first retry on, the call's own end applies);
* an attempt that ends in AbortedError is run again after a jittered, growing pause, at most
  `max_num_retries` times (retries, not attempts: 0 means a single attempt), while time remains.

When the deadline passes, or the retries run out, the call raises AbortedError saying how long it waited
and which setting raises the limit. The deadline bounds waiting, not work: a statement that is running is
never interrupted by it (user-written filters have their own limit, FASTMLMD_QUERY_TIME_LIMIT_SECONDS).

A caller may bring a deadline of its own (`caller_deadline`: the gRPC server passes on its client's). That
one bounds work too: lock waits and retries end at it, every statement the call runs is stopped when it
passes (Database.run), a transaction is not committed after it, and the call raises DeadlineExceededError.
The client has given up by then, so whatever the call would still do is wasted or, for a write, a surprise.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
import random
import time
from typing import Callable, Iterator, Optional, TypeVar

from . import errors

T = TypeVar("T")

DEADLINE_SETTING = "FASTMLMD_CALL_DEADLINE_SECONDS"
# The lock wait of earlier versions; still read when the deadline setting is absent.
LEGACY_DEADLINE_SETTING = "FASTMLMD_LOCK_WAIT_SECONDS"
DEFAULT_DEADLINE_SECONDS = 60.0
DEFAULT_MAX_NUM_RETRIES = 5  # MLMD's client default
# Pauses between attempts: uniform in [0, min(cap, first * 2**retry)] ("full jitter"), so aborted callers
# spread out instead of colliding again.
FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 2.0

# Every pause goes through here; tests replace it to count waits (and act between them) without waiting.
sleep: Callable[[float], None] = time.sleep

_call_end: contextvars.ContextVar[Optional[float]] = contextvars.ContextVar("fastmlmd_call_end", default=None)
# The monotonic time by which the caller wants the answer, while a call runs for one that said (caller_deadline).
_caller_end: contextvars.ContextVar[Optional[float]] = contextvars.ContextVar("fastmlmd_caller_end", default=None)


def deadline_seconds() -> float:
    """The per-call deadline from the environment; ValueError names the setting when it is not a positive number."""
    name = DEADLINE_SETTING if DEADLINE_SETTING in os.environ else LEGACY_DEADLINE_SETTING
    raw = os.environ.get(name)
    if raw is None:
        return DEFAULT_DEADLINE_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name}={raw!r}: the per-call deadline must be a positive number of seconds")
    return value


def call_end() -> float:
    """The monotonic time by which the running call must end; outside a call, the setting from now (or the
    caller's deadline, when that is sooner)."""
    end = _call_end.get()
    if end is None:
        end = time.monotonic() + deadline_seconds()
    caller = _caller_end.get()
    return end if caller is None or end < caller else caller


@contextlib.contextmanager
def caller_deadline(seconds: Optional[float]) -> Iterator[None]:
    """Runs the calls made inside under a caller's deadline, `seconds` from now (None: under none, even
    inside another caller's)."""
    token = _caller_end.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _caller_end.reset(token)


# The caller's deadline (monotonic time) while a call runs under one, else None. The context variable's own
# `get`: every call looks it up (Database.run), and a Python function around it was a frame more on each.
caller_end: Callable[[], Optional[float]] = _caller_end.get


def past_caller_deadline(what: str) -> errors.DeadlineExceededError:
    """The error of a call stopped at its caller's deadline; `what` says where it stopped."""
    return errors.DeadlineExceededError(
        f"Deadline exceeded: the caller's deadline passed {what}; the call was stopped and rolled back")


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How long one call may wait in all, and how many times an aborted attempt is run again."""

    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    max_num_retries: int = DEFAULT_MAX_NUM_RETRIES

    @classmethod
    def from_settings(cls, max_num_retries: Optional[int] = None) -> RetryPolicy:
        """The deadline from the environment; `max_num_retries` from the caller (negative counts as 0)."""
        retries = DEFAULT_MAX_NUM_RETRIES if max_num_retries is None else max(0, int(max_num_retries))
        return cls(deadline_seconds=deadline_seconds(), max_num_retries=retries)

    def run(self, attempt: Callable[[], T]) -> T:
        """Runs `attempt()` until it returns, raises something other than AbortedError, or the policy gives up.

        A call made inside another (a nested run) keeps the outer call's deadline when that is sooner.
        """
        start = time.monotonic()
        try:
            return attempt()  # the common case: no wait, so no deadline to publish (see the module's docstring)
        except errors.AbortedError as exc:
            aborted = exc
        end = start + self.deadline_seconds
        outer = _call_end.get()
        if outer is not None and outer < end:
            end = outer
        caller = _caller_end.get()
        if caller is not None and caller < end:
            end = caller
        token = _call_end.set(end)
        try:
            return self._retry(attempt, aborted, start, end)
        finally:
            _call_end.reset(token)

    def _retry(self, attempt: Callable[[], T], aborted: errors.AbortedError, start: float, end: float) -> T:
        retries = 0
        while True:
            now = time.monotonic()
            if now >= end and end == _caller_end.get():
                raise past_caller_deadline(f"while the call waited to run again ({aborted.message})") from aborted
            if now >= end:
                raise errors.AbortedError(
                    f"{aborted.message}; gave up at the call's deadline, after {now - start:.1f}s and "
                    f"{retries + 1} attempt(s) ({DEADLINE_SETTING}={self.deadline_seconds:g} sets the "
                    "deadline)") from aborted
            if retries >= self.max_num_retries:
                raise errors.AbortedError(
                    f"{aborted.message}; gave up after {retries} retries in {now - start:.1f}s "
                    "(ConnectionConfig.retry_options.max_num_retries sets how many)") from aborted
            retries += 1
            pause = random.uniform(0.0, min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** retries))
            sleep(min(pause, end - now))
            try:
                return attempt()
            except errors.AbortedError as exc:
                aborted = exc
