"""A lineage graph as Graphviz DOT and as a Mermaid flowchart; types coloured from one palette."""
from __future__ import annotations

from typing import Dict

from fastmlmd.cli.lineage_graph import Graph

# Colour-blind-friendly fills (Okabe-Ito, lightened); a graph with more types reuses them in turn.
PALETTE = ("#a6cee3", "#fdbf6f", "#b2df8a", "#cab2d6", "#fb9a99", "#ffff99", "#8dd3c7", "#d9d9d9", "#bc80bd",
           "#ccebc5")


def colours(graph: Graph) -> Dict[str, str]:
    """Each node type's fill."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(graph.types())}


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Graph) -> str:
    """DOT for `dot -Tsvg`: left to right, artifacts as ellipses, executions as boxes, the start drawn bold."""
    fill = colours(graph)
    lines = ["digraph lineage {", "  rankdir=LR;", f"  label={_dot_text(graph.title)};",
             '  node [style=filled, fontname="Helvetica", fontsize=11];', '  edge [fontname="Helvetica", fontsize=9];']
    for node in graph.nodes:
        shape = "ellipse" if node.kind == "artifact" else "box"
        extra = ", penwidth=3" if node.start else ""
        label = f"{node.label}\n{node.type} #{node.id}"
        lines.append(f"  {node.key} [label={_dot_text(label)}, shape={shape}, fillcolor=\"{fill[node.type]}\", "
                     f"tooltip={_dot_text(node.kind + ' ' + str(node.id))}{extra}];")
    for source, target, event in graph.edges:
        lines.append(f"  {source} -> {target} [label={_dot_text(event)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    # Inside a quoted Mermaid label, entity codes stand for the characters its syntax uses.
    escaped = (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
               .replace("\n", " "))
    return f'"{escaped}"'


def to_mermaid(graph: Graph) -> str:
    """A Mermaid flowchart: artifacts as stadiums, executions as rectangles, one class per type."""
    fill = colours(graph)
    classes = {name: f"t{i}" for i, name in enumerate(graph.types())}
    lines = ["flowchart LR"]
    for node in graph.nodes:
        label = _mermaid_text(f"{node.label} ({node.type} #{node.id})")
        lines.append(f"  {node.key}([{label}])" if node.kind == "artifact" else f"  {node.key}[{label}]")
    for source, target, event in graph.edges:
        lines.append(f"  {source} -->|{event}| {target}")
    for name, cls in classes.items():
        lines.append(f"  classDef {cls} fill:{fill[name]},stroke:#333")
    for node in graph.nodes:
        lines.append(f"  class {node.key} {classes[node.type]}")
    starts = [node.key for node in graph.nodes if node.start]
    if starts:
        lines.append("  classDef start stroke-width:3px")
        lines.append(f"  class {','.join(starts)} start")
    return "\n".join(lines) + "\n"
