"""ListOperationOptions paging as MLMD's RPCs do it: page size, order, filter and next-page tokens.

A token is the URL-safe, unpadded base64 of a `ListOperationNextPageToken`, as in MLMD; it remembers the
order of the first call, which later calls must repeat.
"""
from __future__ import annotations

import base64
import binascii
from typing import Dict, List, Optional, Tuple

from google.protobuf.message import DecodeError

from fastmlmd.engine.access import Choice
from fastmlmd.engine.catalog import TypeKind
from fastmlmd.engine.reads import PageAfter
from fastmlmd.engine.store import Engine
from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as pb

DEFAULT_PAGE_SIZE = 20


def _decode_token(token: str) -> pb.ListOperationNextPageToken:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise errors.InvalidArgumentError(f"Failed to decode next page token string: {token!r}") from exc
    try:
        return pb.ListOperationNextPageToken.FromString(raw)
    except DecodeError as exc:
        raise errors.InvalidArgumentError(f"Failed to parse the next page token: {token!r}") from exc


def _encode_token(after: PageAfter, options: pb.ListOperationOptions) -> str:
    token = pb.ListOperationNextPageToken(id_offset=after.node_id, field_offset=after.field_value)
    token.set_options.CopyFrom(options)
    token.set_options.ClearField("next_page_token")
    return base64.urlsafe_b64encode(token.SerializeToString()).decode("ascii").rstrip("=")


def list_page(
    engine: Engine, kind: TypeKind, options: pb.ListOperationOptions, context_id: Optional[int] = None,
    plans: Optional[Dict[str, Choice]] = None,
) -> Tuple[List[bytes], str]:
    """One page of nodes for these options; returns the bodies and the next token.

    `plans`: kept across the pages of one listing, so that its filter is planned once (Engine.list_page).
    """
    page_size = options.max_result_size if options.HasField("max_result_size") else DEFAULT_PAGE_SIZE
    field = options.order_by_field.field
    is_asc = options.order_by_field.is_asc
    after = None
    if options.next_page_token:
        token = _decode_token(options.next_page_token)
        first = token.set_options.order_by_field
        if first.field != field or first.is_asc != is_asc:
            raise errors.InvalidArgumentError(
                "ListOperationOptions mismatch between calls: the order (field, is_asc) of a follow-up call must "
                f"be the first call's ({first.field}, {first.is_asc}), got ({field}, {is_asc})")
        after = PageAfter(field_value=token.field_offset, node_id=token.id_offset)
    bodies, ended = engine.list_page(kind, page_size, field, is_asc, after, options.filter_query, context_id, plans)
    return bodies, (_encode_token(ended, options) if ended is not None else "")
