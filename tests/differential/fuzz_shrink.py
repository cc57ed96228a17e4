"""Shrinks a divergent call sequence to a short one that still diverges the same way.

First whole calls are dropped (delta debugging over the calls before the divergent one), then parts
of calls (an element of a list argument, a field of a message, a property). A candidate counts when
its last call diverges with the same `signature` and no call before it diverges. Candidates are run
in batches: ours in this process, ml-metadata 1.17.1 in one oracle subprocess per batch.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterator, List, Optional, Tuple

import pytest

from fuzz_compare import Call, Divergence, compare
from fuzz_oracle import oracle_outcomes
from fuzz_replay import replay

Signature = Callable[[Divergence], Any]
MAX_ROUNDS = 40


def coarse_signature(divergence: Divergence) -> Tuple[str, str, str]:
    """The call's method and each side's error class ("value" when it answered)."""
    return (divergence.op, divergence.ours.get("error", "value"), divergence.theirs.get("error", "value"))


def _diverges_only_at_end(calls: List[Call], ours: list, theirs: list, signature: Signature,
                          wanted: Any) -> bool:
    found = compare("shrink", calls, ours, theirs).divergences
    return (len(found) == 1 and found[0].index == len(calls) - 1 and signature(found[0]) == wanted)


class Shrinker:
    """Tries candidate sequences in batches against both implementations."""

    def __init__(self, signature: Signature = coarse_signature) -> None:
        self.signature = signature
        self.batches = 0

    def _keep(self, candidates: List[List[Call]], wanted: Any) -> List[bool]:
        if not candidates:
            return []
        self.batches += 1
        try:
            theirs = oracle_outcomes(candidates)
        except (RuntimeError, pytest.fail.Exception):  # a candidate crashed the oracle: keep none
            return [False] * len(candidates)
        return [_diverges_only_at_end(calls, replay(calls), other, self.signature, wanted)
                for calls, other in zip(candidates, theirs)]

    def shrink(self, divergence: Divergence) -> List[Call]:
        """A short sequence whose last call diverges as `divergence` does."""
        wanted = self.signature(divergence)
        calls = list(divergence.calls)
        for _ in range(3):  # dropping parts can leave whole calls that no longer matter
            shorter = self._drop_parts(self._drop_calls(calls, wanted), wanted)
            if shorter == calls:
                break
            calls = shorter
        return calls

    def _drop_calls(self, calls: List[Call], wanted: Any) -> List[Call]:
        # ddmin over the calls before the last: remove one of n chunks at a time.
        chunks = 2
        for _ in range(MAX_ROUNDS):
            before, last = calls[:-1], calls[-1]
            if not before:
                break
            chunks = min(chunks, len(before))
            size = -(-len(before) // chunks)
            candidates = [before[:i] + before[i + size:] + [last] for i in range(0, len(before), size)]
            kept = self._keep(candidates, wanted)
            if any(kept):
                calls = candidates[kept.index(True)]
                chunks = max(chunks - 1, 2)
            elif chunks < len(before):
                chunks = min(chunks * 2, len(before))
            else:
                break
        return calls

    def _drop_parts(self, calls: List[Call], wanted: Any) -> List[Call]:
        for _ in range(MAX_ROUNDS):
            positions = list(_part_positions(calls))
            candidates = [calls[:i] + [smaller] + calls[i + 1:] for i, smaller in positions]
            kept = self._keep(candidates, wanted)
            if not any(kept):
                break
            # Each call's first good removal, all at once; if that combination fails, one of them.
            combined, touched = list(calls), set()
            for (i, smaller), good in zip(positions, kept):
                if good and i not in touched:
                    combined[i] = smaller
                    touched.add(i)
            if len(touched) > 1 and self._keep([combined], wanted)[0]:
                calls = combined
            else:
                calls = candidates[kept.index(True)]
        return calls


def _part_positions(calls: List[Call]) -> Iterator[Tuple[int, Call]]:
    """(index of the call, the call with one part left out), for every part of every call."""
    for i, made in enumerate(calls):
        for smaller in _smaller_values({"args": made.get("args", []), "kwargs": made.get("kwargs", {})}):
            smaller_call: Call = {"op": made["op"], "args": smaller["args"]}
            if smaller["kwargs"]:
                smaller_call["kwargs"] = smaller["kwargs"]
            yield i, smaller_call


def _smaller_values(value: Any, elements_droppable: bool = False) -> Iterator[Any]:
    """`value` with one part left out, at any depth.

    An element may be left out of a list argument (`put_artifacts([...])`) or of a list inside a
    message (an event path's steps), never out of the positional arguments or out of a tuple inside
    a list argument (an (artifact, event) pair, an event edge).
    """
    if isinstance(value, list):
        for i, item in enumerate(value):
            if elements_droppable:
                yield value[:i] + value[i + 1:]
            # A list's items: list arguments when `value` is the positional arguments, else tuples.
            for smaller in _smaller_values(item, elements_droppable=False):
                yield value[:i] + [smaller] + value[i + 1:]
    elif isinstance(value, dict):
        for key in sorted(value):
            if key == "args":  # positional arguments: each may be a list whose elements can go
                for i, arg in enumerate(value[key]):
                    for smaller in _smaller_values(arg, elements_droppable=isinstance(arg, list)):
                        yield {**value, key: value[key][:i] + [smaller] + value[key][i + 1:]}
                continue
            # Keep "@type" (an Any's type) and a Value's one field: an empty custom property Value
            # aborts ml-metadata 1.17.1's process.
            if key not in ("@msg", "@list_options", "fields", "kwargs") and not key.startswith("@") \
                    and not key.endswith("_value"):
                yield {k: v for k, v in value.items() if k != key}
            for smaller in _smaller_values(value[key], elements_droppable=True):
                yield {**value, key: smaller}


def render(calls: List[Call]) -> str:
    """A Python script that makes `calls` on a fresh in-memory store and prints each outcome."""
    lines = [
        "from google.protobuf import json_format",
        "from ml_metadata import metadata_store as ms",
        "from ml_metadata.proto import metadata_store_pb2 as pb",
        "def msg(name, fields): return json_format.ParseDict(fields, getattr(pb, name)())",
        "store = ms.MetadataStore(pb.ConnectionConfig(fake_database=pb.FakeDatabaseConfig()))",
    ]
    for made in calls:
        parts = [_render_arg(a) for a in made.get("args", [])]
        parts += [f"{k}={_render_arg(v)}" for k, v in made.get("kwargs", {}).items()]
        lines.append(f"print(store.{made['op']}({', '.join(parts)}))")
    return "\n".join(lines)


def _render_arg(arg: Any) -> str:
    if isinstance(arg, list):
        return "[" + ", ".join(_render_arg(a) for a in arg) + "]"
    if isinstance(arg, dict) and "@msg" in arg:
        return f"msg({arg['@msg']!r}, {json.dumps(arg['fields'], ensure_ascii=False)})"
    if isinstance(arg, dict) and "@list_options" in arg:
        options = dict(arg["@list_options"])
        order_by: Optional[str] = options.pop("order_by", None)
        text = ", ".join(f"{k}={v!r}" for k, v in options.items())
        if order_by:
            text += (", " if text else "") + f"order_by=ms.OrderByField.{order_by}"
        return f"ms.ListOptions({text})"
    return repr(arg)
