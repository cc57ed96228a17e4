"""Back-quoted names: every property name a store can hold is reachable by a filter (filter_store.names()).

A back-quoted name takes the escapes of a string literal, as in GoogleSQL: `a\\`b`, `new\\nline`,
`\\x41`, `\\u00e9`, `\\101`. Each hostile name of filter_store.HOSTILE_NAMES is written with
filter_kit.quote_name (the fewest escapes: backslash, backquote, line breaks) and looked up as a custom
and as a declared property. ml-metadata 1.17.1 decodes escapes in back-quoted column names (ZetaSQL),
but its property rewrite matches the raw text and fails on any escape, cannot hold an empty name, and
splices names into its SQL: those rows are deliberate differences, each with MLMD's answer.
"""
from __future__ import annotations

from filter_kit import ARTIFACT as A, INTERNAL, INVALID, MLMD_INVALID, quirk_cases, quote_name, row

import filter_store

ESCAPED_WHY = ("MLMD's property rewrite matches the back-quoted name as written and fails on any "
               "escape; we decode the escapes as GoogleSQL does (as MLMD does for column names), so "
               "a name holding a backslash, a backquote or a line break is reachable")
EMPTY_WHY = ("an empty back-quoted name is a syntax error in GoogleSQL, but a store can hold an "
             "empty property name: we let a property name (only) be empty, so that it is reachable")
SPLICED_WHY = ("MLMD splices the property name into its SQL inside double quotes (and cuts it at a "
               "NUL), so the SQL breaks; we bind the name")
LOWER_CASED_WHY = ("MLMD lower-cases (ASCII) every property name of a query, back-quoted ones too, so "
                   "a stored mixed-case name is unreachable; we lower-case unquoted names as MLMD does "
                   "and take back-quoted names literally")
NOT_DECLARABLE_WHY = ("MLMD cannot declare a property name holding NUL (it cuts it), so the store holds "
                      "it as a custom property only; MLMD's SQL breaks on the NUL, we answer []")

# name key -> (MLMD's answer, why) where MLMD differs; the same for `properties.` and
# `custom_properties.` unless _DECLARED_MLMD says otherwise.
_MLMD = {
    "backslash": (MLMD_INVALID, ESCAPED_WHY),
    "backquote": (MLMD_INVALID, ESCAPED_WHY),
    "newline": (MLMD_INVALID, ESCAPED_WHY),
    "only-backslash": (MLMD_INVALID, ESCAPED_WHY),
    "only-backquote": (MLMD_INVALID, ESCAPED_WHY),
    "crlf": (MLMD_INVALID, ESCAPED_WHY),
    "trailing-backslash": (MLMD_INVALID, ESCAPED_WHY),
    "empty": (MLMD_INVALID, EMPTY_WHY),
    "double-quote": (INTERNAL, SPLICED_WHY),
    "nul": (INTERNAL, SPLICED_WHY),
    "mixed-case": ([], LOWER_CASED_WHY),
}


def _rows() -> list:
    rows = []
    for k, (key, name) in enumerate(filter_store.HOSTILE_NAMES.items(), start=1):
        for prefix in ("custom_properties", "properties"):
            expected = [] if prefix == "properties" and "\x00" in name else [k]
            mlmd, why = _MLMD.get(key, (None, ""))
            if key == "nul" and prefix == "properties":
                why = NOT_DECLARABLE_WHY
            rows.append(row(f"name-{key}-{prefix.replace('_', '-')}", A,
                            f"{prefix}.{quote_name(name)}.int_value = {k}", expected,
                            store=filter_store.names, oracle=mlmd is None, why=why, mlmd=mlmd))
    return rows


# Escapes where MLMD itself decodes them (ZetaSQL's back-quoted identifiers), and their errors.
COLUMN_NAMES = [
    row("name-escaped-column", A, "`n\\x61me` = 'ds1'", [1]),
    row("name-escaped-octal-column", A, "`\\156ame` = 'ds1'", [1]),
    row("name-escaped-alias-field", A, "contexts_a.`\\x6eame` = 'run1'", [1, 2, 7]),
    row("name-rejects-unknown-escape", A, "`na\\me` = 'ds1'", INVALID),
    row("name-rejects-short-unicode-escape", A, "`\\u00` = 1", INVALID),
    row("name-rejects-escaped-closing-backquote", A, "`name\\` = 'ds1'", INVALID),
    row("name-rejects-escaped-line-break", A, "`a\\\nb` = 1", INVALID),
    row("name-rejects-empty-column", A, "`` = 1", INVALID),
    row("name-decoded-unknown-column", A, "`\\x00` = 1", INVALID),
    row("name-backquote-in-column-unknown", A, "`a\\`b` = 1", INVALID),
    row("name-escapes-spell-a-keyword-column", A, "`\\x74ype` = 'Model'", [7, 8, 9, 10, 11, 13, 15]),
    # The shared store holds custom `tag` (lower case) on artifacts 1, 2, 3, 7.
    row("name-backquoted-upper-case-is-literal", A, "custom_properties.`TAG`.int_value = 3", [1, 7],
        ours=[], ours_why=LOWER_CASED_WHY),
    row("name-unquoted-upper-case-folds", A, "custom_properties.TAG.int_value = 3", [1, 7]),
    row("name-escaped-plain-property", A, "custom_properties.`t\\x61g`.int_value = 3", INVALID,
        ours=[1, 7], ours_why=ESCAPED_WHY),
    # NUL is reachable both ways GoogleSQL spells it (filter_store.HOSTILE_NAMES["nul"] is artifact 15).
    row("name-nul-as-hex-escape", A, "custom_properties.`x\\x00y`.int_value = 15", [15],
        store=filter_store.names, oracle=False, why=ESCAPED_WHY, mlmd=MLMD_INVALID),
    row("name-nul-as-octal-escape", A, "custom_properties.`x\\000y`.int_value = 15", [15],
        store=filter_store.names, oracle=False, why=ESCAPED_WHY, mlmd=MLMD_INVALID),
]

CASES = _rows() + COLUMN_NAMES
MLMD_QUIRKS = quirk_cases(CASES)
