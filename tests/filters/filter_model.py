"""A plain-Python model of MLMD's filter semantics, with random small stores and queries to feed it.

Used by test_filter_hypothesis.py (a `random.Random` drawn by hypothesis, on our package) and
scenarios_filter_model.py (seeded, run in both interpreters so the oracle checks the model itself). Imports only
`ml_metadata` (through scenario_kit) and the standard library.

The model (docs/mlmd-interface.md §3.2): every distinct reference -- `properties.p` / `custom_properties.p` (by name),
`contexts_X`, `events_X`, `artifacts_X`, `executions_X`, `parent_contexts_X`, `child_contexts_X`
(by alias) -- is an inner join, so a node is selected when *some* choice of one row per reference
makes the expression TRUE under SQL's three-valued logic. Enum `!=` / `NOT IN` also match NULL;
LIKE is SQLite's (`%`, `_`, ASCII-only case folding).

Queries avoid the MLMD bugs we do not copy (the same enum name twice; `!=` / `NOT IN` on
`artifacts_X.state` / `executions_X.last_known_state`), so the oracle and we must agree with the
model on every generated query.
"""
from __future__ import annotations

import itertools
import random
import re
from typing import Any, Callable, Sequence

from scenario_kit import (
    artifact,
    artifact_type,
    context,
    context_type,
    event,
    execution,
    execution_type,
    new_store,
    pb,
)

ARTIFACT_STATES = ["UNKNOWN", "PENDING", "LIVE", "MARKED_FOR_DELETION", "DELETED", "ABANDONED",
                   "REFERENCE"]
QUERYABLE_ARTIFACT_STATES = ["UNKNOWN", "PENDING", "LIVE", "MARKED_FOR_DELETION", "DELETED"]
EXECUTION_STATES = ["UNKNOWN", "NEW", "RUNNING", "COMPLETE", "FAILED", "CACHED", "CANCELED"]
EVENT_TYPES = ["INPUT", "OUTPUT", "DECLARED_INPUT", "DECLARED_OUTPUT", "INTERNAL_INPUT",
               "INTERNAL_OUTPUT", "PENDING_OUTPUT"]
QUERYABLE_EVENT_TYPES = EVENT_TYPES[:-1]

# Declared properties per type; every type also takes custom properties from CUSTOM_NAMES.
TYPES = {
    "artifact": {"Data": {"n": "INT", "s": "STRING"}, "Model": {"d": "DOUBLE", "b": "BOOLEAN"}},
    "execution": {"Train": {"n": "INT"}, "Eval": {}},
    "context": {"Run": {"s": "STRING"}, "Pipe": {}},
}
CUSTOM_NAMES = ["n", "s", "x"]
STRINGS = ["a", "ab", "A", "b%", "a_b", "é", "É", ""]
PATTERNS = ["a%", "A%", "%b", "_", "a_b", "%", "", "é", "É%", "%\\%"]  # "\\%" is no escape in SQLite
INTS = [-1, 0, 1, 2, 3]
DOUBLES = [0.5, 1.0, 2.5]
MILLIS = [10, 20, 30]
KIND_VALUES = {"INT": INTS, "DOUBLE": DOUBLES, "STRING": STRINGS, "BOOLEAN": [True, False]}
COLUMN = {"INT": "int_value", "DOUBLE": "double_value", "STRING": "string_value",
          "BOOLEAN": "bool_value"}


class RandomDraw:
    """The three draws the generators use, over a `random.Random`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choice(self, seq: Sequence) -> Any:
        return seq[self.rng.randrange(len(seq))]

    def integer(self, lo: int, hi: int) -> int:
        return lo + self.rng.randrange(hi - lo + 1)

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent


# -- stores ---------------------------------------------------------------------------------------


def _props(draw: Any, declared: dict) -> tuple:
    props = {p: draw.choice(KIND_VALUES[k]) for p, k in declared.items() if draw.chance(80)}
    custom = {}
    for name in CUSTOM_NAMES:
        if draw.chance(40):
            custom[name] = draw.choice(KIND_VALUES[draw.choice(list(KIND_VALUES))])
    return props, custom


def random_store(draw: Any) -> dict:
    """A small store description (JSON-able); `build(spec)` writes it through the API."""
    spec: dict = {"artifact": [], "execution": [], "context": []}
    names: set = set()

    def unique(kind: str, tname: str, name: Any) -> Any:  # names are unique per type
        if (kind, tname, name) in names:
            return None
        if name is not None:
            names.add((kind, tname, name))
        return name

    for _ in range(draw.integer(1, 8)):
        tname = draw.choice(sorted(TYPES["artifact"]))
        props, custom = _props(draw, TYPES["artifact"][tname])
        spec["artifact"].append({
            "type": tname, "name": unique("artifact", tname, draw.choice([None] + STRINGS)),
            "uri": draw.choice(["", "a", "ab/c", "A%"]),
            "state": draw.choice([None] + ARTIFACT_STATES),
            "properties": props, "custom": custom})
    for _ in range(draw.integer(1, 5)):
        tname = draw.choice(sorted(TYPES["execution"]))
        props, custom = _props(draw, TYPES["execution"][tname])
        spec["execution"].append({
            "type": tname,
            "name": unique("execution", tname, draw.choice([None] + STRINGS)),
            "state": draw.choice([None] + EXECUTION_STATES),
            "properties": props, "custom": custom})
    for _ in range(draw.integer(1, 4)):
        tname = draw.choice(sorted(TYPES["context"]))
        name = unique("context", tname, draw.choice([s for s in STRINGS if s] + ["c1", "c2"]))
        if name is None:
            continue
        props, custom = _props(draw, TYPES["context"][tname])
        spec["context"].append({"type": tname, "name": name, "properties": props,
                                "custom": custom})
    n_a, n_e, n_c = (len(spec[k]) for k in ("artifact", "execution", "context"))
    spec["attributions"] = sorted({(draw.integer(1, n_c), draw.integer(1, n_a))
                                   for _ in range(draw.integer(0, 10))} if n_a and n_c else set())
    spec["associations"] = sorted({(draw.integer(1, n_c), draw.integer(1, n_e))
                                   for _ in range(draw.integer(0, 8))} if n_e and n_c else set())
    # parent < child keeps the graph acyclic
    spec["parents"] = sorted({tuple(sorted((draw.integer(1, n_c), draw.integer(1, n_c))))
                              for _ in range(draw.integer(0, 3))} if n_c > 1 else set())
    spec["parents"] = [pc for pc in spec["parents"] if pc[0] != pc[1]]
    events = {}
    if n_a and n_e:
        for _ in range(draw.integer(0, 10)):
            key = (draw.integer(1, n_a), draw.integer(1, n_e), draw.choice(EVENT_TYPES))
            events[key] = draw.choice(MILLIS)
    spec["events"] = [list(k) + [ms] for k, ms in sorted(events.items())]
    return spec


def build(spec: dict) -> Any:
    """A fresh store holding `spec`; node ids are 1-based list positions."""
    store = new_store()
    type_ids = {}
    for kind, put, make in (("artifact", store.put_artifact_type, artifact_type),
                            ("execution", store.put_execution_type, execution_type),
                            ("context", store.put_context_type, context_type)):
        for tname, props in sorted(TYPES[kind].items()):
            type_ids[kind, tname] = put(make(tname, props=props))
    for a in spec["artifact"]:
        fields = {"uri": a["uri"]}
        if a["name"] is not None:
            fields["name"] = a["name"]
        if a["state"] is not None:
            fields["state"] = pb.Artifact.State.Value(a["state"])
        store.put_artifacts([artifact(type_ids["artifact", a["type"]], properties=a["properties"],
                                      custom_properties=a["custom"], **fields)])
    for e in spec["execution"]:
        fields = {}
        if e["name"] is not None:
            fields["name"] = e["name"]
        if e["state"] is not None:
            fields["last_known_state"] = pb.Execution.State.Value(e["state"])
        store.put_executions([execution(type_ids["execution", e["type"]],
                                        properties=e["properties"], custom_properties=e["custom"],
                                        **fields)])
    for c in spec["context"]:
        store.put_contexts([context(type_ids["context", c["type"]], name=c["name"],
                                    properties=c["properties"], custom_properties=c["custom"])])
    store.put_attributions_and_associations(
        [pb.Attribution(context_id=c, artifact_id=a) for c, a in spec["attributions"]],
        [pb.Association(context_id=c, execution_id=e) for c, e in spec["associations"]])
    if spec["parents"]:
        store.put_parent_contexts(
            [pb.ParentContext(parent_id=p, child_id=c) for p, c in spec["parents"]])
    if spec["events"]:
        store.put_events([event(a, e, t, milliseconds_since_epoch=ms)
                          for a, e, t, ms in spec["events"]])
    return store


# -- queries --------------------------------------------------------------------------------------
# AST: ("and", l, r) | ("or", l, r) | ("not", x) | ("cmp", ref, op, v) | ("like", ref, pat, neg)
#    | ("in", ref, values, neg) | ("between", ref, lo, hi, neg) | ("null", ref, neg)
#    | ("bool", ref) | ("enum", ref, op, names)
# ref: ("attr", name) | ("prop", custom, name, column) | ("alias", prefix, x, field)


def _quote(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _lit(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return _quote(v)
    return repr(v)


def _ref_text(ref: tuple) -> str:
    if ref[0] == "attr":
        return ref[1]
    if ref[0] == "prop":
        return f"{'custom_properties' if ref[1] else 'properties'}.{ref[2]}.{ref[3]}"
    return f"{ref[1]}_{ref[2]}.{ref[3]}"


def text(node: tuple) -> str:
    """The query text of an AST (fully parenthesised)."""
    op = node[0]
    if op in ("and", "or"):
        return f"({text(node[1])} {op.upper()} {text(node[2])})"
    if op == "not":
        return f"NOT {text(node[1])}"
    ref = _ref_text(node[1])
    if op == "cmp":
        return f"{ref} {node[2]} {_lit(node[3])}"
    if op == "like":
        return f"{ref} {'NOT ' if node[3] else ''}LIKE {_quote(node[2])}"
    if op == "in":
        return f"{ref} {'NOT ' if node[3] else ''}IN ({', '.join(_lit(v) for v in node[2])})"
    if op == "between":
        return f"{ref} {'NOT ' if node[4] else ''}BETWEEN {_lit(node[2])} AND {_lit(node[3])}"
    if op == "null":
        return f"{ref} IS {'NOT ' if node[2] else ''}NULL"
    if op == "bool":
        return ref
    if op == "enum":
        if node[2] in ("IN", "NOT IN"):
            return f"{ref} {node[2]} ({', '.join(node[3])})"
        return f"{ref} {node[2]} {node[3][0]}"
    raise ValueError(node)


_STR_FIELDS = {"artifact": ["name", "uri", "type"], "execution": ["name", "type"],
               "context": ["name", "type"]}
_ALIASES = {
    "artifact": {"contexts": ["id", "name", "type"], "events": ["execution_id", "type",
                                                                "milliseconds_since_epoch"]},
    "execution": {"contexts": ["id", "name", "type"], "events": ["artifact_id", "type",
                                                                 "milliseconds_since_epoch"]},
    "context": {"artifacts": ["id", "name", "uri", "type", "state"],
                "executions": ["id", "name", "type", "last_known_state"],
                "parent_contexts": ["id", "name", "type"], "child_contexts": ["id", "name",
                                                                              "type"]},
}
_TYPE_NAMES = sorted({t for kinds in TYPES.values() for t in kinds})


class _Gen:
    def __init__(self, draw: Any, kind: str) -> None:
        self.draw = draw
        self.kind = kind
        self.enum_names: set = set()  # MLMD cannot rewrite one enum name twice

    def enum(self, ref: tuple, names: list, negatable: bool) -> tuple:
        free = [n for n in names if n not in self.enum_names]
        if not free:
            return ("null", ref, self.draw.chance(50))
        ops = ["=", "IN"] + (["!=", "NOT IN"] if negatable else [])
        op = self.draw.choice(ops)
        picked = [self.draw.choice(free)]
        if op.endswith("IN") and len(free) > 1 and self.draw.chance(50):
            picked.append(self.draw.choice([n for n in free if n != picked[0]]))
        self.enum_names.update(picked)
        return ("enum", ref, op, picked)

    def string_pred(self, ref: tuple, pool: list) -> tuple:
        d = self.draw
        form = d.integer(0, 4)
        if form == 0:
            return ("cmp", ref, d.choice(["=", "!=", "<", ">="]), d.choice(pool))
        if form == 1:
            return ("like", ref, d.choice(PATTERNS), d.chance(30))
        if form == 2:  # a NULL in the list makes a miss UNKNOWN
            return ("in", ref, [d.choice(pool), d.choice(pool + [None])], d.chance(30))
        if form == 3:
            return ("null", ref, d.chance(50))
        return ("cmp", ref, "=", d.choice(pool))

    def number_pred(self, ref: tuple, pool: list) -> tuple:
        d = self.draw
        form = d.integer(0, 3)
        if form == 0:
            return ("cmp", ref, d.choice(["=", "!=", "<", "<=", ">", ">="]), d.choice(pool))
        if form == 1:
            return ("in", ref, [d.choice(pool), d.choice(pool)], d.chance(30))
        if form == 2:
            lo = d.choice(pool)
            return ("between", ref, lo, lo + d.choice([0, 1, 2]), d.chance(30))
        return ("null", ref, d.chance(50))

    def property_pred(self) -> tuple:
        d = self.draw
        custom = d.chance(40)
        declared = {p: k for props in TYPES[self.kind].values() for p, k in props.items()}
        if custom or not declared:
            custom, name, kind = True, d.choice(CUSTOM_NAMES), d.choice(list(COLUMN))
        else:
            name = d.choice(sorted(declared))
            # mostly the declared kind; sometimes another column, which is NULL on that row
            kind = declared[name] if d.chance(75) else d.choice(list(COLUMN))
        ref = ("prop", custom, name, COLUMN[kind])
        if kind == "BOOLEAN":
            return d.choice([("bool", ref), ("cmp", ref, "=", d.chance(50)), ("null", ref, True)])
        if kind == "STRING":
            return self.string_pred(ref, STRINGS)
        return self.number_pred(ref, INTS + DOUBLES if kind == "DOUBLE" else INTS + [1.0])

    def alias_pred(self) -> tuple:
        d = self.draw
        prefix = d.choice(sorted(_ALIASES[self.kind]))
        ref_field = d.choice(_ALIASES[self.kind][prefix])
        ref = ("alias", prefix, d.choice(["a", "b"]), ref_field)
        if ref_field in ("id", "execution_id", "artifact_id"):
            return self.number_pred(ref, [1, 2, 3])
        if ref_field == "milliseconds_since_epoch":
            return self.number_pred(ref, MILLIS)
        if ref_field == "type" and prefix == "events":
            return self.enum(ref, QUERYABLE_EVENT_TYPES, True)
        if ref_field == "state":
            return self.enum(ref, QUERYABLE_ARTIFACT_STATES, False)
        if ref_field == "last_known_state":
            return self.enum(ref, EXECUTION_STATES, False)
        if ref_field == "type":
            return self.string_pred(ref, _TYPE_NAMES)
        if ref_field == "uri":
            return self.string_pred(ref, ["", "a", "ab/c"])
        return self.string_pred(ref, STRINGS + ["c1"])

    def attribute_pred(self) -> tuple:
        d = self.draw
        fields = ["id"] + _STR_FIELDS[self.kind]
        if self.kind == "artifact":
            fields.append("state")
        if self.kind == "execution":
            fields.append("last_known_state")
        name = d.choice(fields)
        ref = ("attr", name)
        if name == "id":
            return self.number_pred(ref, [1, 2, 3])
        if name == "state":
            return self.enum(ref, QUERYABLE_ARTIFACT_STATES, True)
        if name == "last_known_state":
            return self.enum(ref, EXECUTION_STATES, True)
        if name == "type":
            return self.string_pred(ref, _TYPE_NAMES)
        if name == "uri":
            return self.string_pred(ref, ["", "a", "ab/c", "A%"])
        return self.string_pred(ref, STRINGS + ["c1"])

    def expr(self, depth: int) -> tuple:
        d = self.draw
        if depth > 0 and d.chance(45):
            op = d.choice(["and", "or", "not"])
            if op == "not":
                return ("not", self.expr(depth - 1))
            return (op, self.expr(depth - 1), self.expr(depth - 1))
        pick = d.integer(0, 2)
        if pick == 0:
            return self.attribute_pred()
        if pick == 1:
            return self.property_pred()
        return self.alias_pred()


def random_query(draw: Any, spec: dict) -> tuple:
    """`(kind, scope, query text, ast)`; `scope` is a context id for *_by_context, or None."""
    kind = draw.choice(["artifact", "execution", "context"])
    ast = _Gen(draw, kind).expr(2)
    scope = None
    if kind != "context" and spec["context"] and draw.chance(20):
        scope = draw.integer(1, len(spec["context"]))
    return kind, scope, text(ast), ast


# -- the model ------------------------------------------------------------------------------------


def _like(value: str, pattern: str) -> bool:
    fold = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c)
                    for c in pattern.translate(fold))
    return re.fullmatch(regex, value.translate(fold), re.DOTALL) is not None


def _not(v: Any) -> Any:
    return None if v is None else not v


def _and(a: Any, b: Any) -> Any:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: Any, b: Any) -> Any:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


_CMP: dict = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
              "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _in(v: Any, values: list) -> Any:
    if v is None:
        return None
    if any(v == x for x in values if x is not None):
        return True
    return None if None in values else False


def _eval(node: tuple, row: Callable[[tuple], Any]) -> Any:
    op = node[0]
    if op == "and":
        return _and(_eval(node[1], row), _eval(node[2], row))
    if op == "or":
        return _or(_eval(node[1], row), _eval(node[2], row))
    if op == "not":
        return _not(_eval(node[1], row))
    v = row(node[1])
    if op == "null":
        return (v is not None) if node[2] else (v is None)
    if op == "bool":
        return v
    if op == "enum":
        hit = None if v is None else v in node[3]
        if node[2] in ("=", "IN"):
            return hit
        return True if v is None else not hit  # MLMD ORs in "IS NULL" for != / NOT IN
    if v is None:
        return None
    if op == "cmp":
        return _CMP[node[2]](v, node[3])
    if op == "like":
        hit = _like(v, node[2])
        return not hit if node[3] else hit
    if op == "in":
        hit = _in(v, node[2])
        return _not(hit) if node[3] else hit
    if op == "between":
        hit = node[2] <= v <= node[3]
        return not hit if node[4] else hit
    raise ValueError(node)


def _refs(node: tuple, out: dict) -> dict:
    if node[0] in ("and", "or"):
        _refs(node[1], out)
        _refs(node[2], out)
    elif node[0] == "not":
        _refs(node[1], out)
    else:
        ref = node[1]
        if ref[0] == "prop":
            out[("prop", ref[1], ref[2])] = None
        elif ref[0] == "alias":
            out[("alias", ref[1], ref[2])] = None
    return out


def _prop_row(holder: dict, custom: bool, name: str) -> list:
    values = holder["custom" if custom else "properties"]
    if name not in values:
        return []
    v = values[name]
    kind = ("BOOLEAN" if isinstance(v, bool) else "INT" if isinstance(v, int)
            else "DOUBLE" if isinstance(v, float) else "STRING")
    return [{COLUMN[k]: (v if k == kind else None) for k in COLUMN}]


def _node_view(spec: dict, kind: str, i: int) -> dict:
    n = spec[kind][i - 1]
    view = {"id": i, "name": n["name"], "type": n["type"]}
    if kind == "artifact":
        view.update(uri=n["uri"], state=n["state"])
    if kind == "execution":
        view["last_known_state"] = n["state"]
    return view


def _neighbours(spec: dict, kind: str, i: int, prefix: str) -> list:
    if prefix == "contexts":
        links = spec["attributions"] if kind == "artifact" else spec["associations"]
        return [_node_view(spec, "context", c) for c, x in links if x == i]
    if prefix == "events":
        other = "execution_id" if kind == "artifact" else "artifact_id"
        return [{"type": t, "milliseconds_since_epoch": ms,
                 other: (e if kind == "artifact" else a)}
                for a, e, t, ms in spec["events"] if (a if kind == "artifact" else e) == i]
    if prefix == "artifacts":
        return [_node_view(spec, "artifact", a) for c, a in spec["attributions"] if c == i]
    if prefix == "executions":
        return [_node_view(spec, "execution", e) for c, e in spec["associations"] if c == i]
    if prefix == "parent_contexts":
        return [_node_view(spec, "context", p) for p, c in spec["parents"] if c == i]
    return [_node_view(spec, "context", c) for p, c in spec["parents"] if p == i]


def evaluate(spec: dict, kind: str, ast: tuple, scope: int | None = None) -> list:
    """The ids MLMD selects for `ast` among `kind` nodes (of context `scope`), ascending."""
    refs = list(_refs(ast, {}))
    members = None
    if scope is not None:
        links = spec["attributions"] if kind == "artifact" else spec["associations"]
        members = {x for c, x in links if c == scope}
    out = []
    for i in range(1, len(spec[kind]) + 1):
        if members is not None and i not in members:
            continue
        node = spec[kind][i - 1]
        view = _node_view(spec, kind, i)
        domains = []
        for ref in refs:
            if ref[0] == "prop":
                domains.append(_prop_row(node, ref[1], ref[2]))
            else:
                domains.append(_neighbours(spec, kind, i, ref[1]))
        for choice in itertools.product(*domains):
            bound = dict(zip(refs, choice))

            def row(ref: tuple, bound: dict = bound) -> Any:
                if ref[0] == "attr":
                    return view[ref[1]]
                if ref[0] == "prop":
                    return bound[("prop", ref[1], ref[2])][ref[3]]
                return bound[("alias", ref[1], ref[2])][ref[3]]

            if _eval(ast, row) is True:
                out.append(i)
                break
    return out
