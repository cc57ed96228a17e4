"""What the engine knows about MLMD's data model: node kinds, their tables, columns and wire field numbers.

Every table and column name the engine puts in SQL comes from here, never from user input.
Field numbers are those of MLMD's `metadata_store.proto`, so the engine can encode messages on the wire
without importing protobuf (only bindings/ knows message classes).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional, Tuple


class PropertyType(enum.IntEnum):
    """`ml_metadata.PropertyType`: the declared kind of a type property, and of a stored value."""

    UNKNOWN = 0
    INT = 1
    DOUBLE = 2
    STRING = 3
    STRUCT = 4
    PROTO = 5
    BOOLEAN = 6


class TypeKind(enum.IntEnum):
    """The three type families; the numbers are MLMD's `Type.type_kind`."""

    EXECUTION = 0
    ARTIFACT = 1
    CONTEXT = 2


# eq=False: the three layouts are singletons, compared and hashed by identity; the write path keys caches by
# them on every call, and a dataclass's field-by-field hash would cost a tuple of 20 fields each time.
@dataclass(frozen=True, eq=False)
class NodeLayout:
    """One node kind: its table names and the field numbers of its message."""

    kind: TypeKind
    noun: str  # "artifact", for messages: "No artifact with the given id 3"
    table: str
    property_table: str
    state_column: Optional[str]  # "state" / "last_known_state" / None for contexts
    word_table: str  # the word index of the text columns below (engine/backends/sqlite_words.py)
    word_columns: Tuple[str, ...]  # the columns whose words it holds: those a contains-LIKE searches
    # Wire field numbers of the message (0 = the message has no such field).
    f_id: int
    f_type_id: int
    f_uri: int
    f_properties: int
    f_custom_properties: int
    f_state: int
    f_name: int
    f_type: int
    f_create_time: int
    f_update_time: int
    f_external_id: int


ARTIFACT = NodeLayout(
    kind=TypeKind.ARTIFACT, noun="artifact", table="artifact", property_table="artifact_property",
    state_column="state", word_table="artifact_words", word_columns=("uri", "name"),
    f_id=1, f_type_id=2, f_uri=3, f_properties=4, f_custom_properties=5, f_state=6, f_name=7, f_type=8,
    f_create_time=9, f_update_time=10, f_external_id=11,
)
EXECUTION = NodeLayout(
    kind=TypeKind.EXECUTION, noun="execution", table="execution", property_table="execution_property",
    state_column="last_known_state", word_table="execution_words", word_columns=("name",),
    f_id=1, f_type_id=2, f_uri=0, f_properties=4, f_custom_properties=5, f_state=3, f_name=6, f_type=7,
    f_create_time=8, f_update_time=9, f_external_id=10,
)
CONTEXT = NodeLayout(
    kind=TypeKind.CONTEXT, noun="context", table="context", property_table="context_property",
    state_column=None, word_table="context_words", word_columns=("name",),
    f_id=1, f_type_id=2, f_uri=0, f_properties=4, f_custom_properties=5, f_state=0, f_name=3, f_type=6,
    f_create_time=7, f_update_time=8, f_external_id=9,
)
LAYOUTS = {layout.kind: layout for layout in (ARTIFACT, EXECUTION, CONTEXT)}
WORD_TABLES = tuple(layout.word_table for layout in LAYOUTS.values())
# Up to which node id each word table holds the words (engine/backends/sqlite_words.py): (word_table, indexed_to)
# rows.
WORD_INDEX_MARKS = "word_index_marks"

# Event.Type numbers, and which way each one points in lineage (docs/mlmd-interface.md §1.3).
EVENT_UNKNOWN = 0
INPUT_EVENT_TYPES = (2, 3, 5)  # DECLARED_INPUT, INPUT, INTERNAL_INPUT: artifact -> execution
OUTPUT_EVENT_TYPES = (1, 4, 6, 7)  # DECLARED_OUTPUT, OUTPUT, INTERNAL_OUTPUT, PENDING_OUTPUT

# The nine built-in simple types every store starts with, ids 1-9 (docs/mlmd-interface.md §2.3).
BUILTIN_TYPES = (
    (1, TypeKind.ARTIFACT, "mlmd.Dataset"),
    (2, TypeKind.ARTIFACT, "mlmd.Model"),
    (3, TypeKind.ARTIFACT, "mlmd.Metrics"),
    (4, TypeKind.ARTIFACT, "mlmd.Statistics"),
    (5, TypeKind.EXECUTION, "mlmd.Train"),
    (6, TypeKind.EXECUTION, "mlmd.Transform"),
    (7, TypeKind.EXECUTION, "mlmd.Process"),
    (8, TypeKind.EXECUTION, "mlmd.Evaluate"),
    (9, TypeKind.EXECUTION, "mlmd.Deploy"),
)
