"""`fastmlmd lineage`: DOT, Mermaid, SVG (Graphviz or the built-in layout) and the HTML page."""
from __future__ import annotations

import json
import os
import re
import stat
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

from fastmlmd.cli.lineage_graph import Graph, Node
from fastmlmd.cli.lineage_layout import layout
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from .conftest import run_script

SVG = "{http://www.w3.org/2000/svg}"


def _api_lineage(path: Path, start: str, query: str, hops: int, direction: int) -> pb.LineageGraph:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    options = pb.LineageSubgraphQueryOptions(max_num_hops=hops, direction=direction)
    getattr(options, f"starting_{start}s").filter_query = query
    return metadata_store.MetadataStore(config).get_lineage_subgraph(options)


def _dot_graph(text: str) -> Tuple[Set[str], Set[Tuple[str, str, str]]]:
    nodes = set(re.findall(r"^  ([ae]\d+) \[", text, re.M))
    edges = set(re.findall(r'^  ([ae]\d+) -> ([ae]\d+) \[label="(\w+)"\];', text, re.M))
    return nodes, edges


@pytest.mark.parametrize(
    ("kind", "node_id", "direction", "hops", "start", "query", "api_direction"),
    [
        pytest.param("artifact", 2, "both", 3, "artifact", "id = 2", pb.LineageSubgraphQueryOptions.BIDIRECTIONAL,
                     id="artifact-both"),
        pytest.param("artifact", 2, "up", 1, "artifact", "id = 2", pb.LineageSubgraphQueryOptions.UPSTREAM,
                     id="artifact-up-1"),
        pytest.param("execution", 1, "down", 5, "execution", "id = 1", pb.LineageSubgraphQueryOptions.DOWNSTREAM,
                     id="execution-down"),
    ],
)
def test_dot_holds_what_the_api_returns(run, store_path, kind, node_id, direction, hops, start, query,
                                        api_direction) -> None:
    ran = run("--store", str(store_path), "lineage", kind, str(node_id), "--direction", direction,
              "--hops", str(hops))
    assert ran.status == 0, ran.err
    nodes, edges = _dot_graph(ran.out)
    lineage = _api_lineage(store_path, start, query, hops, api_direction)
    assert nodes == {f"a{a.id}" for a in lineage.artifacts} | {f"e{e.id}" for e in lineage.executions}
    expected = set()
    for event in lineage.events:
        name = pb.Event.Type.Name(event.type)
        pair = ((f"e{event.execution_id}", f"a{event.artifact_id}") if name.endswith("OUTPUT")
                else (f"a{event.artifact_id}", f"e{event.execution_id}"))
        expected.add((*pair, name))
    assert edges == expected and edges
    assert f'{kind[0]}{node_id} [' in ran.out and "penwidth=3" in ran.out.split(f"  {kind[0]}{node_id} [")[1].split("\n")[0]


def test_context_lineage_starts_from_its_nodes(run, store_path) -> None:
    ran = run("--store", str(store_path), "lineage", "context", "2", "--hops", "0")
    nodes, edges = _dot_graph(ran.out)
    assert nodes == {"a3", "a4", "e3", "e4"} and edges == set()


def test_mermaid(run, store_path) -> None:
    ran = run("--store", str(store_path), "lineage", "execution", "1", "--format", "mermaid", "--hops", "1")
    lines = ran.out.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  a1(["data-0 (Dataset #1)"])' in lines and '  e1["train-0 (Trainer #1)"]' in lines
    assert "  a1 -->|INPUT| e1" in lines and "  e1 -->|OUTPUT| a2" in lines
    assert "  class e1 start" in lines


def _svg_nodes(text: str) -> List[ET.Element]:
    root = ET.fromstring(text)
    return [g for g in root.iter(f"{SVG}g") if "node" in g.get("class", "").split()]


def test_svg_with_the_builtin_layout(run, store_path) -> None:
    ran = run("--store", str(store_path), "lineage", "artifact", "1", "--format", "svg", "--layout", "python",
              "--hops", "10")
    groups = _svg_nodes(ran.out)
    assert sorted(g.get("data-key") for g in groups) == ["a1", "a2", "e1", "e2"]
    edges = [p for p in ET.fromstring(ran.out).iter(f"{SVG}path") if p.get("class") == "edge"]
    assert sorted((p.get("data-from"), p.get("data-to")) for p in edges) == [
        ("a1", "e1"), ("a2", "e2"), ("e1", "a2")]


def test_svg_through_graphviz_when_dot_is_installed(run, store_path, tmp_path, monkeypatch) -> None:
    # A stand-in `dot` that records what it was given: the DOT the command writes goes to Graphviz as it is.
    fake = tmp_path / "dot"
    fake.write_text(f"#!/bin/sh\ncat > {tmp_path}/given.dot\necho '<svg xmlns=\"http://www.w3.org/2000/svg\"/>'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    ran = run("--store", str(store_path), "lineage", "artifact", "1", "--format", "svg")
    assert ran.out == '<svg xmlns="http://www.w3.org/2000/svg"/>\n'
    dot = run("--store", str(store_path), "lineage", "artifact", "1", "--format", "dot").out
    assert (tmp_path / "given.dot").read_text() == dot
    builtin = run("--store", str(store_path), "lineage", "artifact", "1", "--format", "svg", "--layout", "python")
    assert len(_svg_nodes(builtin.out)) == 4


def test_graphviz_layout_asked_for_without_dot(run, store_path, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    ran = run("--store", str(store_path), "lineage", "artifact", "1", "--format", "svg", "--layout", "graphviz")
    assert ran.status == 1 and "needs Graphviz" in ran.err


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.node_keys: List[str] = []
        self.links: List[str] = []
        self.data_json = ""
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, object]]) -> None:
        found: Dict[str, object] = dict(attrs)
        if "node" in str(found.get("class", "")).split():
            self.node_keys.append(str(found["data-key"]))
        self.links += [str(v) for k, v in attrs if k in ("src", "href") and not str(v).startswith("#")]
        self._in_data = found.get("id") == "lineage-data"

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data_json += data

    def handle_endtag(self, tag: str) -> None:
        self._in_data = False


def test_html_page_is_self_contained(run, store_path, tmp_path) -> None:
    page_path = tmp_path / "lineage.html"
    ran = run("--store", str(store_path), "lineage", "context", "1", "--format", "html", "-o", str(page_path),
              "--hops", "5")
    assert ran.status == 0 and ran.out == ""
    text = page_path.read_text()
    page = _Page()
    page.feed(text)
    assert sorted(page.node_keys) == ["a1", "a2", "e1", "e2"]  # one DOM node per graph node
    assert page.links == [] and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    data = json.loads(page.data_json)
    assert data["nodes"]["a2"]["details"]["custom_properties"] == {"accuracy": {"double_value": 0.5}}
    assert "addEventListener('wheel'" in text and "Dataset" in text and "#a6cee3" in text


def test_hostile_names_stay_text(run, tmp_path) -> None:
    path = tmp_path / "hostile.db"
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    store = metadata_store.MetadataStore(config)
    type_id = store.put_artifact_type(pb.ArtifactType(name='T"</script><b>'))
    exec_type = store.put_execution_type(pb.ExecutionType(name="E"))
    store.put_execution(pb.Execution(type_id=exec_type, name='x" -> y; %%'),
                        [(pb.Artifact(type_id=type_id, name='</script>"\\\n'), pb.Event(type=pb.Event.OUTPUT))], [])
    page = run("--store", str(path), "lineage", "artifact", "1", "--format", "html").out
    assert page.count("</script>") == 2  # the page's own two script elements, nothing from the data
    parsed = _Page()
    parsed.feed(page)
    assert json.loads(parsed.data_json)["nodes"]["a1"]["label"] == '</script>"\\\n'
    dot = run("--store", str(path), "lineage", "artifact", "1").out
    assert _dot_graph(dot) == ({"a1", "e1"}, {("e1", "a1", "OUTPUT")})
    svg = run("--store", str(path), "lineage", "artifact", "1", "--format", "svg", "--layout", "python").out
    assert len(_svg_nodes(svg)) == 2


def _graph(edges: List[Tuple[str, str]]) -> Graph:
    keys = sorted({k for edge in edges for k in edge})
    nodes = [Node(key=k, kind="artifact" if k[0] == "a" else "execution", id=int(k[1:]), type=k[0], label=k,
                  start=False, details={}) for k in keys]
    return Graph(nodes=nodes, edges=[(s, t, "E") for s, t in edges])


@pytest.mark.parametrize(
    "edges",
    [
        pytest.param([("a1", "e1"), ("e1", "a2"), ("a2", "e2"), ("e2", "a3"), ("a1", "e2")], id="chain-and-skip"),
        pytest.param([("a1", "e1"), ("e1", "a1")], id="two-cycle"),
        pytest.param([("a1", "e1"), ("a2", "e1"), ("a3", "e1"), ("e1", "a4"), ("e1", "a5")], id="fan"),
    ],
)
def test_layout_places_producers_left_and_never_overlaps(edges) -> None:
    placed, width, height = layout(_graph(edges))
    boxes = list(placed.values())
    for i, a in enumerate(boxes):
        assert 0 <= a.x and a.x + a.width <= width and 0 <= a.y and a.y + a.height <= height
        for b in boxes[i + 1:]:
            assert a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y or b.y + b.height <= a.y
    forward = [(s, t) for s, t in edges if (t, s) not in edges]
    assert all(placed[s].x + placed[s].width <= placed[t].x for s, t in forward)


def test_script_writes_a_page(store_path, tmp_path) -> None:
    done = run_script("--store", f"sqlite:///{store_path}", "lineage", "artifact", "2", "--format", "html",
                      "-o", str(tmp_path / "p.html"))
    assert done.returncode == 0 and done.stderr == ""
    page = _Page()
    page.feed((tmp_path / "p.html").read_text())
    assert len(page.node_keys) == 4
