"""Type operations: create, evolve and look up artifact, execution and context types (docs/mlmd-interface.md §2.5)."""
from __future__ import annotations

import dataclasses
import functools
from typing import AbstractSet, Dict, Iterable, List, Optional, Sequence, Tuple

from . import errors
from .backends.base import Cursor, of
from .catalog import PropertyType, TypeKind
from .records import TypeRecord
from .sqlutil import chunks, placeholders

_TYPE_COLUMNS = "id, kind, name, version, description, external_id, base_type, input_type, output_type"
_KIND_NOUN = {TypeKind.ARTIFACT: "ArtifactType", TypeKind.EXECUTION: "ExecutionType",
              TypeKind.CONTEXT: "ContextType"}


# The id of the type (kind, name, version) as a scalar subquery: a lookup by type name is then one statement.
TYPE_ID_BY_NAME = "SELECT id FROM type WHERE kind = ? AND name = ? AND ifnull(version, '') = ?"


def _version(version: Optional[str]) -> Optional[str]:
    return version or None  # "" and unset are the same unversioned type


def _record(row: Sequence) -> TypeRecord:
    """The type a row of `_TYPE_COLUMNS` (first, in their order) holds, without its properties."""
    return TypeRecord(kind=row[1], name=row[2], id=row[0], version=row[3], description=row[4], external_id=row[5],
                      base_type=row[6], input_type=row[7], output_type=row[8])


def load_types(cur: Cursor, where: str, params: Sequence[object]) -> List[TypeRecord]:
    """Loads the types matching `where` (engine-written SQL), ordered by id, with their properties."""
    rows = cur.execute(f"SELECT {_TYPE_COLUMNS} FROM type WHERE {where} ORDER BY id", params).fetchall()
    records = [_record(row) for row in rows]
    if records:
        by_id = {rec.id: rec for rec in records}
        for batch in chunks(list(by_id)):
            for type_id, name, data_type in cur.execute(
                f"SELECT type_id, name, data_type FROM type_property WHERE type_id IN ({placeholders(batch)})",
                batch,
            ):
                by_id[type_id].properties[name] = data_type
    return records


def types_by_id(cur: Cursor, kind: Optional[int], type_ids: Iterable[int]) -> List[TypeRecord]:
    """The types with these ids (of `kind` when given) in the order asked, repeats included, as MLMD returns
    them; unknown ids and types of another kind are skipped."""
    wanted = [int(i) for i in type_ids]
    found: Dict[int, TypeRecord] = {}
    for batch in chunks(sorted(set(wanted))):
        where = f"id IN ({placeholders(batch)})"
        params: List[object] = list(batch)
        if kind is not None:
            where += " AND kind = ?"
            params.append(int(kind))
        found.update((rec.id, rec) for rec in load_types(cur, where, params) if rec.id is not None)
    return [found[i] for i in wanted if i in found]


def types_of_kind(cur: Cursor, kind: int) -> List[TypeRecord]:
    """Every type of a kind, built-ins included, by id."""
    return load_types(cur, "kind = ?", (int(kind),))


# The type (kind, name, version) and its properties, a row per property: one statement, one seek of
# type_identity, then of type_property's key.
_TYPE_BY_NAME_WITH_PROPERTIES = (
    f"SELECT {', '.join('t.' + c for c in _TYPE_COLUMNS.split(', '))}, p.name, p.data_type FROM type AS t "
    "LEFT JOIN type_property AS p ON p.type_id = t.id WHERE t.kind = ? AND t.name = ? AND ifnull(t.version, '') = ?")


def type_by_name(cur: Cursor, kind: int, name: str, version: Optional[str]) -> Optional[TypeRecord]:
    """The type (kind, name, version), or None; read in one statement."""
    found: Optional[TypeRecord] = None
    for row in cur.execute(_TYPE_BY_NAME_WITH_PROPERTIES, (int(kind), name, _version(version) or "")):
        if found is None:
            found = _record(row)
        if row[9] is not None:
            found.properties[row[9]] = row[10]
    return found


def read_type_put(cur: Cursor, request: TypeRecord, can_add_fields: bool,
                  can_omit_fields: bool) -> Tuple[bool, Optional[int]]:
    """What a put_type request finds, read in one statement: (whether the type is stored, its id when the
    request leaves it as it is). `put_type` writes the rest, in a write transaction.

    Re-putting its types is the first call of every pipeline run, many runs at once: a type already as
    asked needs no write lock. Raises the errors `put_type` raises for such a type, in its order.
    """
    if not request.name:
        raise errors.InvalidArgumentError("No type name is specified.")
    stored = type_by_name(cur, request.kind, request.name, request.version)
    if stored is None:
        return False, None
    _check_evolution(request, stored, can_add_fields, can_omit_fields)
    if not request.properties.keys() <= stored.properties.keys():
        return True, None
    if request.external_id is not None and request.external_id != stored.external_id:
        return True, None
    if request.base_type and request.base_type != stored.base_type:
        return True, None
    return True, stored.id


def without_derived_fields(records: Iterable[TypeRecord]) -> List[TypeRecord]:
    """The types as MLMD's by-external-id and artifacts-and-types reads return them: without base_type,
    input_type and output_type, which those reads of MLMD leave unset (they read the type table alone)."""
    return [dataclasses.replace(rec, base_type=None, input_type=None, output_type=None) for rec in records]


def types_by_external_ids(cur: Cursor, kind: int, external_ids: Sequence[str]) -> List[TypeRecord]:
    """Types with these external ids, once each, in MLMD's order (by external_id, byte-wise) and shape
    (`without_derived_fields`); empty input gives []; no match at all raises NotFoundError."""
    if not external_ids:
        return []
    found: List[TypeRecord] = []
    for batch in chunks(list(dict.fromkeys(external_ids))):
        found.extend(load_types(cur, f"kind = ? AND external_id IN ({placeholders(batch)})",
                                [int(kind), *batch]))
    if not found:
        raise errors.NotFoundError(
            f"No types found for external_ids. No {_KIND_NOUN[TypeKind(kind)]} has any of the given external ids")
    found.sort(key=lambda rec: rec.external_id or "")  # code point order: the UTF-8 byte order SQLite sorts in
    return without_derived_fields(found)


def put_type(cur: Cursor, request: TypeRecord, can_add_fields: bool, can_omit_fields: bool,
             read_absent: bool = False) -> int:
    """Creates the type, or checks the request against the stored one and evolves it; returns its id.

    In MLMD's order, which decides the fault reported when a request has several: a new type checks its
    external_id, then its properties' kinds; a stored type checks the change (see `_check_evolution`), then
    the kinds of the properties it adds, then its new external_id, then its base_type.

    `read_absent`: a read just before this transaction found no such type (`read_type_put`), so a request
    that no check of a new type can refuse (no external_id, known property kinds) is inserted without a
    second look; if another writer created the type in between, the insert fails on the type's identity
    and the request evolves the stored type instead.
    """
    if not request.name:
        raise errors.InvalidArgumentError("No type name is specified.")
    if read_absent and request.external_id is None and all(map(_is_known_kind, request.properties.values())):
        try:
            return _create_type(cur, request)
        except of(cur).IntegrityError:
            pass  # created since the read (the external_id was checked free): the failed INSERT left nothing
    stored = type_by_name(cur, request.kind, request.name, request.version)
    if stored is None:
        return _create_type(cur, request)
    assert stored.id is not None
    _check_evolution(request, stored, can_add_fields, can_omit_fields)
    added = {k: v for k, v in request.properties.items() if k not in stored.properties}
    for prop_name, data_type in added.items():
        if not _is_known_kind(data_type):
            raise errors.InvalidArgumentError(
                f"Property:{prop_name} type should not be UNKNOWN. {_known_kinds(request, prop_name)}")
    cur.executemany("INSERT INTO type_property (type_id, name, data_type) VALUES (?, ?, ?)",
                    [(stored.id, name, int(data_type)) for name, data_type in added.items()])
    if request.external_id is not None and request.external_id != stored.external_id:
        holder = _external_id_holder(cur, request.external_id)
        if holder is not None:
            # MLMD surfaces the clash of an update as the raw UNIQUE violation of its table: INTERNAL, as for
            # nodes (a new type gets AlreadyExistsError when the holder is of its kind, see `_create_type`).
            raise errors.InternalError(
                f"Error when executing query: UNIQUE constraint failed: Type.external_id (cannot set the "
                f"external_id of {_KIND_NOUN[TypeKind(request.kind)]} {stored.name!r} (id {stored.id}) to "
                f"{request.external_id!r}: {holder[1]} holds it; external ids are unique across every kind of type)")
        cur.execute("UPDATE type SET external_id = ? WHERE id = ?", (request.external_id, stored.id))
    if request.base_type and stored.base_type and request.base_type != stored.base_type:
        raise errors.UnimplementedError("base_type update is not supported yet")
    if request.base_type and not stored.base_type:
        cur.execute("UPDATE type SET base_type = ? WHERE id = ?", (request.base_type, stored.id))
    return stored.id


_KNOWN_KINDS = frozenset(int(kind) for kind in PropertyType if kind != PropertyType.UNKNOWN)


def _is_known_kind(data_type: int) -> bool:
    return data_type in _KNOWN_KINDS


def _known_kinds(request: TypeRecord, prop_name: str) -> str:
    return (f"Type {request.name!r} must declare {prop_name!r} as one of "
            f"{[t.name for t in PropertyType if t != PropertyType.UNKNOWN]}")


def _check_evolution(request: TypeRecord, stored: TypeRecord, can_add_fields: bool, can_omit_fields: bool) -> None:
    """Refuses a change the flags do not allow: in MLMD's order, omitted properties, then a property whose
    type changes, then new properties."""
    differ = "Type already exists with different properties"
    omitted = sorted(set(stored.properties) - set(request.properties))
    if omitted and not can_omit_fields:
        raise errors.AlreadyExistsError(
            f"{differ}: can_omit_fields is false while stored type has more properties: {omitted} of type "
            f"{stored.name!r} are missing from the request; pass can_omit_fields=True to leave them as they are")
    for prop_name, data_type in sorted(request.properties.items()):
        stored_type = stored.properties.get(prop_name)
        if stored_type is not None and stored_type != data_type:
            raise errors.AlreadyExistsError(
                f"{differ}: Conflicting property value type found in stored and given types: property "
                f"{prop_name!r} of type {stored.name!r} is {PropertyType(stored_type).name}, the request says "
                f"{PropertyType(data_type).name}; a property's type never changes")
    added = sorted(set(request.properties) - set(stored.properties))
    if added and not can_add_fields:
        raise errors.AlreadyExistsError(
            f"{differ}: can_add_fields is false while the given type has more properties: {added} are new to type "
            f"{stored.name!r}; pass can_add_fields=True to add them")


def _external_id_holder(cur: Cursor, external_id: str) -> Optional[Tuple[int, str]]:
    """(kind, description) of the type holding `external_id`, or None."""
    row = cur.execute("SELECT kind, id, name FROM type WHERE external_id = ?", (external_id,)).fetchone()
    if row is None:
        return None
    kind, type_id, name = row
    return kind, f"{_KIND_NOUN[TypeKind(kind)]} {name!r} (id {type_id})"


def _create_type(cur: Cursor, request: TypeRecord) -> int:
    holder = _external_id_holder(cur, request.external_id) if request.external_id is not None else None
    if holder is not None and holder[0] == request.kind:
        raise errors.AlreadyExistsError(
            f"Conflict of external_id: {request.external_id} Found already existing "
            f"{_KIND_NOUN[TypeKind(holder[0])][:-len('Type')]} type with the same external_id: {holder[1]}")
    if holder is not None:
        # MLMD checks the kind of the request only: another kind's type makes its INSERT fail, as INTERNAL.
        raise errors.InternalError(
            f"Error when executing query: UNIQUE constraint failed: Type.external_id ({request.external_id!r} is the "
            f"external_id of {holder[1]}; external ids are unique across every kind of type)")
    for prop_name, data_type in request.properties.items():
        if not _is_known_kind(data_type):
            raise errors.InvalidArgumentError(f"Property {prop_name} is UNKNOWN. {_known_kinds(request, prop_name)}")
    # No id given: the database allocates it (SQLite takes max(id) + 1, as a lookup would, without one).
    # Only the fields the request sets are bound (the others are NULL): most types are a kind and a name.
    fields = (("kind", int(request.kind)), ("name", request.name), ("version", _version(request.version)),
              ("description", request.description), ("external_id", request.external_id),
              ("base_type", request.base_type or None), ("input_type", request.input_type),
              ("output_type", request.output_type))
    given = [(column, value) for column, value in fields if value is not None]
    type_id = of(cur).insert_id(cur, _type_insert(tuple(column for column, _ in given)),
                                tuple(value for _, value in given))
    cur.executemany("INSERT INTO type_property (type_id, name, data_type) VALUES (?, ?, ?)",
                    [(type_id, name, int(data_type)) for name, data_type in request.properties.items()])
    return type_id


@functools.lru_cache(maxsize=None)
def _type_insert(columns: Tuple[str, ...]) -> str:
    return f"INSERT INTO type ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"



class TypeCache:
    """Types by id, kept across the calls of one store.

    Safe without invalidation: a type's id, kind and name never change and its properties only grow, so
    a cached entry can be incomplete (a property another writer added since) but never wrong; callers
    reload an entry when a property is missing from it. Entries are filled from committed rows only, and
    never by put_type, so a rolled-back call cannot leave a type here that the store does not have.
    """

    def __init__(self) -> None:
        self._by_id: Dict[int, TypeRecord] = {}

    def get(self, cur: Cursor, type_ids: AbstractSet[int], reload: bool = False) -> Dict[int, TypeRecord]:
        """The types with these ids that exist, keyed by id; `reload` re-reads them from the store."""
        by_id = self._by_id
        if not reload:  # every write asks, and nearly always finds each type here: no sets built
            found: Dict[int, TypeRecord] = {}
            for i in type_ids:
                rec = by_id.get(i)
                if rec is None:
                    break
                found[i] = rec
            else:
                return found
        wanted = set(type_ids)
        missing = wanted if reload else {i for i in wanted if i not in self._by_id}
        if missing:
            for rec in types_by_id(cur, None, missing):
                if rec.id is not None:
                    self._by_id[rec.id] = rec
        return {i: self._by_id[i] for i in wanted if i in self._by_id}
