"""A layered drawing of a lineage graph in pure Python, as SVG (used when Graphviz is not installed, and by
the HTML page, whose script needs to know its nodes).

Sugiyama's method in small: cycles broken by a depth-first search, layers by longest path from the sources,
order within each layer by a few sweeps of the barycentre of the neighbours, then coordinates on a grid.
Edges that skip layers are drawn as one curve, without dummy nodes.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Dict, List, Set, Tuple

from fastmlmd.cli.lineage_graph import Graph
from fastmlmd.cli.lineage_text import colours

NODE_HEIGHT = 40
LAYER_GAP = 90
ROW_GAP = 24
MARGIN = 20
_CHAR_WIDTH = 7  # roughly, for 12px sans-serif
_SWEEPS = 6


@dataclass
class Placed:
    x: float  # top-left corner
    y: float
    width: float
    height: float


def _acyclic(keys: List[str], edges: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """The edges with those that close a cycle reversed (an artifact both read and written by one execution)."""
    out: Dict[str, List[str]] = {k: [] for k in keys}
    for source, target in edges:
        out[source].append(target)
    state: Dict[str, int] = {}  # 1: on the stack, 2: done
    back: Set[Tuple[str, str]] = set()
    for root in keys:
        if root in state:
            continue
        stack = [(root, iter(out[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(out[child])))
    return [(t, s) if (s, t) in back else (s, t) for s, t in edges if s != t]


def _layers(keys: List[str], edges: List[Tuple[str, str]]) -> Dict[str, int]:
    """Longest path from a source: each node one layer right of its furthest producer."""
    incoming: Dict[str, List[str]] = {k: [] for k in keys}
    outgoing: Dict[str, List[str]] = {k: [] for k in keys}
    for source, target in edges:
        incoming[target].append(source)
        outgoing[source].append(target)
    layer: Dict[str, int] = {}
    pending = {k: len(incoming[k]) for k in keys}
    ready = [k for k in keys if pending[k] == 0]
    while ready:
        node = ready.pop(0)
        layer[node] = max((layer[p] + 1 for p in incoming[node]), default=0)
        for child in outgoing[node]:
            pending[child] -= 1
            if pending[child] == 0:
                ready.append(child)
    for key in keys:  # only a cycle the reversal missed could leave a node out: it starts a layer then
        layer.setdefault(key, 0)
    return layer


def _order(rows: List[List[str]], edges: List[Tuple[str, str]]) -> None:
    """Reorders each layer by the mean position of its neighbours in the layer before (then after)."""
    neighbours: Dict[str, List[str]] = {}
    for source, target in edges:
        neighbours.setdefault(source, []).append(target)
        neighbours.setdefault(target, []).append(source)
    for sweep in range(_SWEEPS):
        sequence = range(1, len(rows)) if sweep % 2 == 0 else range(len(rows) - 2, -1, -1)
        for i in sequence:
            fixed = rows[i - 1] if sweep % 2 == 0 else rows[i + 1]
            position = {k: p for p, k in enumerate(fixed)}
            current = {k: p for p, k in enumerate(rows[i])}

            def centre(key: str) -> float:
                near = [position[n] for n in neighbours.get(key, []) if n in position]
                return sum(near) / len(near) if near else float(current[key])
            rows[i].sort(key=lambda k: (centre(k), current[k]))


def layout(graph: Graph) -> Tuple[Dict[str, Placed], float, float]:
    """Each node's box, and the drawing's width and height."""
    keys = [node.key for node in graph.nodes]
    edges = _acyclic(keys, [(s, t) for s, t, _ in graph.edges])
    layer = _layers(keys, edges)
    rows: List[List[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for key in keys:  # graph order: by kind, then id
        rows[layer[key]].append(key)
    _order(rows, edges)
    by_key = {node.key: node for node in graph.nodes}
    widths = {k: max(90, min(240, _CHAR_WIDTH * max(len(by_key[k].label), len(by_key[k].type) + 6) + 20))
              for k in keys}
    tallest = max((len(row) for row in rows), default=0)
    height = tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP + 2 * MARGIN
    placed: Dict[str, Placed] = {}
    x = float(MARGIN)
    for row in rows:
        column = max(widths[k] for k in row)
        top = (height - (len(row) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP)) / 2  # each layer centred vertically
        for i, key in enumerate(row):
            placed[key] = Placed(x + (column - widths[key]) / 2, top + i * (NODE_HEIGHT + ROW_GAP), widths[key],
                                 NODE_HEIGHT)
        x += column + LAYER_GAP
    width = x - LAYER_GAP + MARGIN if rows else 2 * MARGIN
    return placed, width, max(height, 2 * MARGIN)


def _clip(text: str, width: float) -> str:
    room = int((width - 12) / _CHAR_WIDTH)
    return text if len(text) <= room else text[:max(room - 1, 1)] + "…"


def to_svg(graph: Graph) -> str:
    """The graph as a standalone SVG document; each node is a `<g class="node" data-key=...>`."""
    placed, width, height = layout(graph)
    fill = colours(graph)
    esc = html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
             f'height="{height:.0f}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
             f"<title>{esc(graph.title)}</title>",
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
             '<g class="edges" fill="none" stroke="#555" stroke-width="1.3">']
    for source, target, event in graph.edges:
        a, b = placed[source], placed[target]
        x1, y1 = (a.x + a.width, a.y + a.height / 2) if a.x < b.x else (a.x, a.y + a.height / 2)
        x2, y2 = (b.x, b.y + b.height / 2) if a.x < b.x else (b.x + b.width, b.y + b.height / 2)
        bend = max(abs(x2 - x1) / 2, 40.0) * (1 if x2 >= x1 else -1)
        parts.append(f'<path class="edge" data-from="{source}" data-to="{target}" marker-end="url(#arrow)" '
                     f'd="M {x1:.1f} {y1:.1f} C {x1 + bend:.1f} {y1:.1f} {x2 - bend:.1f} {y2:.1f} {x2:.1f} {y2:.1f}">'
                     f"<title>{esc(event)}</title></path>")
    parts.append("</g>")
    parts.append('<g class="nodes">')
    for node in graph.nodes:
        box = placed[node.key]
        radius = NODE_HEIGHT / 2 if node.kind == "artifact" else 4
        stroke = ' stroke-width="3"' if node.start else ' stroke-width="1"'
        parts.append(
            f'<g class="node {node.kind}" data-key="{node.key}" transform="translate({box.x:.1f},{box.y:.1f})">'
            f"<title>{esc(node.kind)} {node.id}: {esc(node.label)} ({esc(node.type)})</title>"
            f'<rect width="{box.width:.1f}" height="{box.height:.1f}" rx="{radius:.0f}" fill="{fill[node.type]}" '
            f'stroke="#333"{stroke}/>'
            f'<text x="{box.width / 2:.1f}" y="16" text-anchor="middle">{esc(_clip(node.label, box.width))}</text>'
            f'<text x="{box.width / 2:.1f}" y="31" text-anchor="middle" font-size="10" fill="#333">'
            f"{esc(_clip(f'{node.type} #{node.id}', box.width))}</text></g>")
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"
