"""The HTML of `fastmlmd ui`: every page is built here, and every value from the store passes through `_esc`.

No page has a script (the lineage page is lineage_html's); the server also sends a Content-Security-Policy
that forbids scripts on these pages, so a value that slipped past the escaping still could not run.
"""
from __future__ import annotations

import html
import json
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import urlencode

from fastmlmd.cli.lineage_graph import DIRECTIONS
from fastmlmd.cli.reading import as_json, plain_value, when
from fastmlmd.cli.stores import EVENT_TYPE_NAMES, NODE_KINDS

_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0; font-size: 14px; color: #222; }
nav { background: #2b4a6f; padding: 8px 16px; }
nav a { color: #fff; margin-right: 18px; text-decoration: none; font-weight: bold; }
nav span { color: #c9d6e6; float: right; font-size: 12px; }
main { padding: 8px 16px 24px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 22px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid #ccd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
td.value { font-family: monospace; white-space: pre-wrap; word-break: break-all; max-width: 60em; }
form { margin: 8px 0; } input[name=filter] { width: 36em; font-family: monospace; }
.error { background: #fdecea; border: 1px solid #e0a39e; padding: 6px 10px; }
.error pre { margin: 4px 0 0; }
.pager a { margin-right: 14px; }
.muted { color: #777; }
"""

# No script, nothing fetched, forms only to this server.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'"


def _esc(value: Any) -> str:
    """Any value as HTML text (quotes too, so it is safe inside an attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def href(path: str, **params: Any) -> str:
    """A link to `path` with the non-empty `params` as its query string."""
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return path + ("?" + query if query else "")


def _link(path: str, text: Any, **params: Any) -> str:
    return f'<a href="{_esc(href(path, **params))}">{_esc(text)}</a>'


def node_link(kind: str, node_id: int, text: Any = None) -> str:
    return _link(f"/{kind}s/{node_id}", f"{kind} {node_id}" if text is None else text)


def page(title: str, body: str) -> str:
    nav = "".join(_link(path, text) for path, text in
                  [("/", "types"), ("/artifacts", "artifacts"), ("/executions", "executions"),
                   ("/contexts", "contexts")])
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_esc(title)} · fastmlmd</title><style>{_STYLE}</style></head>\n<body>\n"
            f"<nav>{nav}<span>fastmlmd ui · read-only</span></nav>\n<main><h1>{_esc(title)}</h1>\n{body}</main>\n"
            "</body></html>\n")


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], empty: str = "none") -> str:
    """A table; the cells are HTML already (each built with _esc or a link)."""
    rows = list(rows)
    if not rows:
        return f'<p class="muted">{_esc(empty)}</p>'
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _value_text(value: Any) -> str:
    """A property's value as plain text (not yet escaped): structs and lists as JSON."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _properties_cell(data: Dict[str, Any]) -> str:
    found = {**data.get("properties", {}), **data.get("custom_properties", {})}
    return _esc(", ".join(f"{name}: {_value_text(plain_value(value))}" for name, value in sorted(found.items())))


def error_page(status: int, reason: str, message: str) -> str:
    return page(f"{status} {reason}", f'<div class="error"><pre>{_esc(message)}</pre></div>')


# --- types ---------------------------------------------------------------------------------------------

def types_page(types_by_kind: Dict[str, List[Any]]) -> str:
    parts = []
    for kind in NODE_KINDS:
        rows = []
        for found in types_by_kind[kind]:
            data = as_json(found)
            properties = ", ".join(f"{name}: {value}" for name, value in sorted(data.get("properties", {}).items()))
            rows.append([_esc(found.id), _link(f"/{kind}s", found.name, type=found.name), _esc(found.version),
                         _esc(properties), _esc(data.get("base_type", "")), _esc(found.description)])
        parts.append(f'<h2 id="{kind}-types">{_esc(kind)} types</h2>'
                     + _table(["id", "name (its nodes)", "version", "properties", "base type", "description"],
                              rows, f"no {kind} types"))
    return page("types", "\n".join(parts))


# --- listings --------------------------------------------------------------------------------------------

_LIST_COLUMNS = {
    "artifact": ["id", "type", "name", "uri", "state", "created", "properties"],
    "execution": ["id", "type", "name", "state", "created", "properties"],
    "context": ["id", "type", "name", "created", "properties"],
}


def _list_row(kind: str, node: Any) -> List[str]:
    data = as_json(node)
    cells = {"id": node_link(kind, node.id, node.id), "type": _esc(node.type), "name": _esc(node.name),
             "uri": _esc(data.get("uri", "")), "state": _esc(data.get("state", data.get("last_known_state", ""))),
             "created": _esc(when(data.get("create_time_since_epoch"))), "properties": _properties_cell(data)}
    return [cells[column] for column in _LIST_COLUMNS[kind]]


def listing_page(kind: str, nodes: List[Any], params: Dict[str, str], type_names: List[str],
                 pager: List[Tuple[str, Dict[str, Any]]], error: Optional[str] = None) -> str:
    """One page of `kind`s; `params` are the listing's own (type, filter, order_by, order, limit), `pager` its
    links."""
    options = "".join(f'<option value="{_esc(name)}"{" selected" if name == params.get("type") else ""}>'
                      f"{_esc(name)}</option>" for name in [""] + type_names)
    order_by = "".join(f'<option value="{o}"{" selected" if o == params.get("order_by", "") else ""}>{text}</option>'
                       for o, text in (("", "id"), ("create_time", "create time"),
                                       ("last_update_time", "last update time")))
    order = "".join(f'<option value="{o}"{" selected" if o == params.get("order") else ""}>{text}</option>'
                    for o, text in (("asc", "ascending"), ("desc", "descending")))
    form = (f'<form method="get" action="/{kind}s">'
            f'<label>type <select name="type">{options}</select></label> '
            f'<label>filter <input name="filter" value="{_esc(params.get("filter", ""))}" '
            f'placeholder="e.g. name LIKE \'model%\' AND properties.rows.int_value &gt; 100"></label> '
            f'<label>order by <select name="order_by">{order_by}</select></label> '
            f'<select name="order" aria-label="direction">{order}</select> '
            f'<input type="hidden" name="limit" value="{_esc(params.get("limit", ""))}">'
            '<button type="submit">list</button></form>')
    body = [form]
    if error is not None:
        body.append(f'<div class="error">The filter was refused:<pre>{_esc(error)}</pre></div>')
    else:
        body.append(_table(_LIST_COLUMNS[kind], (_list_row(kind, n) for n in nodes), f"no {kind}s match"))
    links = " ".join(_link(f"/{kind}s", text, **link_params) for text, link_params in pager)
    if links:
        body.append(f'<p class="pager">{links}</p>')
    return page(f"{kind}s", "\n".join(body))


# --- one node ----------------------------------------------------------------------------------------------

_FIELDS = ["id", "type", "type_id", "name", "uri", "state", "last_known_state", "external_id",
           "create_time_since_epoch", "last_update_time_since_epoch"]


def _fields_table(data: Dict[str, Any]) -> str:
    rows = []
    for field in _FIELDS:
        if field not in data:
            continue
        value = data[field]
        shown = f"{when(value)} UTC ({value} ms)" if field.endswith("_since_epoch") else value
        rows.append([_esc(field), f'<span class="value">{_esc(shown)}</span>'])
    return _table(["field", "value"], rows)


def _properties_table(values: Dict[str, Any], empty: str) -> str:
    rows = [[_esc(name), f'<span class="value">{_esc(_value_text(plain_value(value)))}</span>']
            for name, value in sorted(values.items())]
    return _table(["name", "value"], rows, empty)


def _event_rows(events: List[Any], other: str) -> List[List[str]]:
    rows = []
    for event in events:
        path = ".".join(str(s.key if s.HasField("key") else s.index) for s in event.path.steps)
        time = when(event.milliseconds_since_epoch) if event.HasField("milliseconds_since_epoch") else ""
        other_id = event.execution_id if other == "execution" else event.artifact_id
        rows.append([node_link(other, other_id), _esc(EVENT_TYPE_NAMES.get(event.type, event.type)), _esc(path),
                     _esc(time)])
    return rows


def _lineage_form(kind: str, node_id: int) -> str:
    directions = "".join(f'<option value="{d}"{" selected" if d == "both" else ""}>{d}</option>'
                         for d in sorted(DIRECTIONS))
    return (f'<form method="get" action="/{kind}s/{node_id}/lineage">'
            f'<label>hops <input name="hops" type="number" min="0" value="3" style="width: 4em"></label> '
            f'<label>direction <select name="direction">{directions}</select></label> '
            '<button type="submit">draw lineage</button></form>')


def node_page(kind: str, node: Any, related: Dict[str, Tuple[str, List[Any]]], events: List[Any],
              shown_limit: int) -> str:
    """A node: its fields, properties, contexts (or a context's members and family), events and lineage form.

    `related` maps a heading ("contexts", "parent contexts", "artifacts", ...) to the kind and the nodes under
    it; a context's artifacts and executions are its first `shown_limit`, with a link to them all.
    """
    data = as_json(node)
    body = [_fields_table(data), "<h2>properties</h2>",
            _properties_table(data.get("properties", {}), "no properties"), "<h2>custom properties</h2>",
            _properties_table(data.get("custom_properties", {}), "no custom properties")]
    for heading, (member_kind, nodes) in related.items():
        rows = [[node_link(member_kind, n.id, n.id), _esc(n.type), _esc(n.name)] for n in nodes]
        body.append(f"<h2>{_esc(heading)}</h2>" + _table(["id", "type", "name"], rows, f"no {heading}"))
        if kind == "context" and member_kind != "context":
            more = f"the first {shown_limit}; " if len(nodes) >= shown_limit else ""
            body.append(f"<p>{_esc(more)}" + _link(f"/{member_kind}s", f"list all {member_kind}s of this context",
                                                   filter=f"contexts_a.id = {node.id}") + "</p>")
    if kind != "context":
        other = "execution" if kind == "artifact" else "artifact"
        body.append("<h2>events</h2>" + _table([other, "event", "path", "time"], _event_rows(events, other),
                                               "no events"))
    body.append("<h2>lineage</h2>" + _lineage_form(kind, node.id))
    return page(f"{kind} {node.id}" + (f": {node.name}" if node.name else ""), "\n".join(body))
