"""`fastmlmd ui` over HTTP: every route, paging, filters and their errors, escaping, and that nothing writes."""
from __future__ import annotations

import base64
import hashlib
import html
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from fastmlmd.cli import ui_views
from fastmlmd.cli.lineage_graph import read_lineage
from fastmlmd.cli.main import main
from fastmlmd.cli.ui_server import open_read_only
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from .conftest import HOSTILE_NAME, HOSTILE_NOTE, HOSTILE_URI, fill_pipeline, run_script, script, serving_ui


class Page(HTMLParser):
    """What the tests look at in a page: its elements, their attributes, links, table rows and text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.body = text
        self.tags: List[Tuple[str, Dict[str, Optional[str]]]] = []
        self.text: List[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def links(self) -> List[str]:
        return [attrs["href"] or "" for tag, attrs in self.tags if tag == "a"]

    def all_text(self) -> str:
        return "".join(self.text)


def get(url: str, method: str = "GET", headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], str]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, dict(reply.headers), reply.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def ok(url: str) -> Page:
    status, headers, body = get(url)
    assert status == 200, body
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    return Page(body)


def listed_ids(page: Page, kind: str) -> List[int]:
    """The ids in a listing's table: its links to /<kind>s/ID, in order."""
    return [int(m.group(1)) for link in page.links() for m in [re.fullmatch(rf"/{kind}s/(\d+)", link)] if m]


def api(store_path: Path) -> metadata_store.MetadataStore:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(store_path)
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def test_types_page_lists_each_kind_with_links_to_its_nodes(ui_url) -> None:
    page = ok(ui_url + "/")
    for kind, name in [("artifact", "Dataset"), ("artifact", "Model"), ("execution", "Trainer"),
                       ("execution", "Evaluator"), ("context", "run")]:
        assert f"/{kind}s?type={name}" in page.links()
    assert "rows: INT" in page.all_text()


@pytest.mark.parametrize("kind", ["artifact", "execution", "context"])
def test_listing_shows_every_node_by_default(ui_url, store_path, kind) -> None:
    expected = [n.id for n in getattr(api(store_path), f"get_{kind}s")()]
    assert listed_ids(ok(f"{ui_url}/{kind}s"), kind) == expected and expected


def test_listing_pages_forward_and_back(ui_url) -> None:
    first = ok(ui_url + "/artifacts?limit=2")
    assert listed_ids(first, "artifact") == [1, 2]
    assert "/artifacts?order=asc&limit=2&after=2" in first.links()
    assert not any("before=" in link for link in first.links())
    second = ok(ui_url + "/artifacts?order=asc&limit=2&after=2")
    assert listed_ids(second, "artifact") == [3, 4]
    third = ok(ui_url + "/artifacts?order=asc&limit=2&after=4")
    assert listed_ids(third, "artifact") == [5]
    assert not any("after=" in link for link in third.links())  # the last page
    back = ok(ui_url + "/artifacts?order=asc&limit=2&before=5")
    assert listed_ids(back, "artifact") == [3, 4]
    assert "/artifacts?order=asc&limit=2&before=3" in back.links()
    newest = ok(ui_url + "/artifacts?order=desc&limit=2")
    assert listed_ids(newest, "artifact") == [5, 4]
    assert listed_ids(ok(ui_url + "/artifacts?order=desc&limit=2&after=4"), "artifact") == [3, 2]


def _pager_link(page: Page, text: str) -> Optional[str]:
    found = [m.group(1) for m in re.finditer(r'<a href="([^"]+)">([^<]+)</a>', page.body) if html.unescape(m.group(2)) == text]
    return html.unescape(found[0]) if found else None


@pytest.mark.parametrize("order_by", ["create_time", "last_update_time"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_listing_pages_in_a_time_order(ui_url, store_path, order_by, order) -> None:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(store_path)
    writer = metadata_store.MetadataStore(config)
    touched = writer.get_artifacts_by_id([3, 1])
    for node in touched:  # later update times than the others, in this order; ties among the rest
        node.custom_properties["seen"].int_value = 1
        writer.put_artifacts([node])
    field = {"create_time": metadata_store.OrderByField.CREATE_TIME,
             "last_update_time": metadata_store.OrderByField.UPDATE_TIME}[order_by]
    expected = [a.id for a in api(store_path).get_artifacts(
        list_options=metadata_store.ListOptions(order_by=field, is_asc=order == "asc"))]
    assert sorted(expected) == [1, 2, 3, 4, 5]
    pages = []
    link: Optional[str] = f"/artifacts?order_by={order_by}&order={order}&limit=2"
    while link is not None:
        page = ok(ui_url + link)
        pages.append(listed_ids(page, "artifact"))
        link = _pager_link(page, "next page ›")
    assert [i for ids in pages for i in ids] == expected and len(pages) == 3
    back = []
    link = _pager_link(page, "‹ previous page")
    while link is not None:
        page = ok(ui_url + link)
        back.append(listed_ids(page, "artifact"))
        link = _pager_link(page, "‹ previous page")
    assert back == pages[-2::-1]


def test_a_time_ordered_page_after_a_node_no_longer_stored(ui_url, store_path) -> None:
    status, _, body = get(ui_url + "/artifacts?order_by=create_time&after=99")
    assert status == 404 and "no longer stored" in body
    assert get(ui_url + "/artifacts?order_by=name")[0] == 400


def test_type_and_filter_answer_as_the_api(ui_url, store_path) -> None:
    for query, expected in [("name LIKE '%-1'", [3, 4]), ("custom_properties.accuracy.double_value > 0.55", [4]),
                            ("properties.rows.int_value < 101", [1])]:
        answer = api(store_path).get_artifacts(list_options=metadata_store.ListOptions(filter_query=query))
        assert [a.id for a in answer] == expected
        page = ok(ui_url + "/artifacts?" + urllib.parse.urlencode({"filter": query}))
        assert listed_ids(page, "artifact") == expected
        assert any(attrs.get("value") == query for tag, attrs in page.tags if tag == "input")  # shown to edit
    typed = ok(ui_url + "/artifacts?" + urllib.parse.urlencode({"type": "Model", "filter": "name LIKE '%-1'"}))
    assert listed_ids(typed, "artifact") == [4]
    context_members = ok(ui_url + "/executions?" + urllib.parse.urlencode({"filter": "contexts_a.id = 2"}))
    assert listed_ids(context_members, "execution") == [3, 4]


@pytest.mark.parametrize("type_name", ["", "Model"])
def test_a_bad_filter_shows_the_api_message_not_a_500(ui_url, store_path, type_name) -> None:
    query = "name LIKE AND"
    with pytest.raises(errors.InvalidArgumentError) as refused:
        api(store_path).get_artifacts(list_options=metadata_store.ListOptions(filter_query=query))
    status, _, body = get(ui_url + "/artifacts?" + urllib.parse.urlencode({"filter": query, "type": type_name}))
    assert status == 400
    assert html.escape(str(refused.value), quote=True) in body  # the user's own query, its column and caret
    assert any(attrs.get("value") == query for tag, attrs in Page(body).tags if tag == "input")  # kept to edit


def test_artifact_page_shows_properties_contexts_and_events(ui_url) -> None:
    page = ok(ui_url + "/artifacts/2")
    text = page.all_text()
    assert "model-0" in text and "gs://model/0" in text and "accuracy" in text and "0.5" in text
    links = page.links()
    assert "/contexts/1" in links  # its context
    assert "/executions/1" in links and "/executions/2" in links  # the events' executions
    assert "OUTPUT" in text and "INPUT" in text
    assert any(tag == "form" and attrs.get("action") == "/artifacts/2/lineage" for tag, attrs in page.tags)


def test_execution_page_shows_its_events(ui_url) -> None:
    page = ok(ui_url + "/executions/1")
    assert {"/artifacts/1", "/artifacts/2", "/contexts/1"} <= set(page.links())
    assert "examples" in page.all_text()  # the input event's path
    assert "COMPLETE" in page.all_text()


def test_context_page_lists_its_members(ui_url) -> None:
    page = ok(ui_url + "/contexts/2")
    assert {"/artifacts/3", "/artifacts/4", "/executions/3", "/executions/4"} <= set(page.links())
    assert "/artifacts?filter=contexts_a.id+%3D+2" in page.links()


def test_lineage_page_is_lineage_html_for_the_node(ui_url, store_path) -> None:
    status, headers, body = get(ui_url + "/artifacts/2/lineage?hops=2&direction=up")
    assert status == 200
    graph = read_lineage(api(store_path), "artifact", 2, 2, "up")
    keys = re.findall(r'<g class="node[^"]*" data-key="(\w+)"', body)
    assert sorted(keys) == sorted(n.key for n in graph.nodes) == ["a1", "a2", "e1"]
    script = re.search(r"<script>(.*?)</script>", body, re.S).group(1)  # type: ignore[union-attr]
    digest = "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src '{digest}'" in headers["Content-Security-Policy"]
    assert '/artifacts/2' in Page(body).links()
    context = get(ui_url + "/contexts/1/lineage?hops=0")
    assert context[0] == 200 and sorted(re.findall(r'data-key="(\w+)"', context[2])) == ["a1", "a2", "e1", "e2"]


@pytest.mark.parametrize("path", ["/nothing", "/artifacts/99", "/executions/99/lineage", "/contexts/0",
                                  "/models", "/artifacts/1/nope", "/artifacts/x", "/favicon.ico",
                                  "/artifacts/1/lineage/"])
def test_unknown_pages_are_404(ui_url, path) -> None:
    status, _, body = get(ui_url + path)
    assert status == 404, body
    assert "404 Not Found" in body


@pytest.mark.parametrize("path", ["/artifacts?limit=0", "/artifacts?limit=x", "/artifacts?order=up",
                                  "/artifacts?after=1&before=3", "/artifacts/2/lineage?hops=-1",
                                  "/artifacts/2/lineage?hops=999", "/artifacts/2/lineage?direction=sideways"])
def test_bad_parameters_are_400(ui_url, path) -> None:
    status, _, body = get(ui_url + path)
    assert status == 400, body


@pytest.mark.parametrize("path", ["/artifacts", "/artifacts/5", "/artifacts?type=Model", "/contexts/1"])
def test_hostile_values_show_as_text(ui_url, path) -> None:
    status, headers, body = get(ui_url + path)
    assert status == 200
    page = Page(body)
    assert not [tag for tag, _ in page.tags if tag in ("script", "img", "b")]
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
    if path != "/contexts/1":
        assert HOSTILE_NAME in page.all_text() and HOSTILE_URI in page.all_text()
    if path == "/artifacts/5":
        assert HOSTILE_NOTE in page.all_text()
    assert "script-src" not in headers["Content-Security-Policy"]  # and no script would run anyway


def test_hostile_values_in_a_filter_and_the_lineage_page_stay_text(ui_url) -> None:
    query = f"name = '{HOSTILE_NAME}' OR uri = \"</pre><script>alert(9)</script>"
    status, _, body = get(ui_url + "/artifacts?" + urllib.parse.urlencode({"filter": query}))
    assert status == 400
    assert not [tag for tag, _ in Page(body).tags if tag in ("script", "img")]
    status, _, body = get(ui_url + "/artifacts/5/lineage")
    assert status == 200
    page = Page(body)
    scripts = [attrs.get("type") for tag, attrs in page.tags if tag == "script"]
    assert scripts == ["application/json", None]  # the node data, and the page's own script
    assert not [tag for tag, _ in page.tags if tag in ("img", "b")]
    assert "<script>alert" not in body


def test_only_get_and_head_are_answered(ui_url) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        status, headers, body = get(ui_url + "/artifacts", method=method)
        assert status == 405, method
        assert headers["Allow"] == "GET, HEAD"
    status, headers, body = get(ui_url + "/artifacts/1", method="HEAD")
    assert status == 200 and body == "" and int(headers["Content-Length"]) > 0


def test_browsing_changes_nothing_in_the_store(ui_url, store_path) -> None:
    before = store_path.read_bytes()
    for path in ["/", "/artifacts", "/executions/1", "/contexts/1", "/artifacts/2/lineage", "/artifacts?filter=x"]:
        get(ui_url + path)
        get(ui_url + path, method="POST")
    assert store_path.read_bytes() == before


def test_the_store_is_read_only_whatever_the_url_asks(store_path) -> None:
    store = open_read_only(f"sqlite:///{store_path}?mode=rwc")
    assert store.get_artifacts_by_id([1])
    with pytest.raises(errors.StatusError, match="readonly"):
        store.put_artifact_type(pb.ArtifactType(name="New"))


def test_only_loopback_host_names_are_answered(ui_url) -> None:
    port = ui_url.rsplit(":", 1)[1]
    assert get(ui_url + "/", headers={"Host": f"localhost:{port}"})[0] == 200
    status, _, body = get(ui_url + "/", headers={"Host": f"attacker.example:{port}"})
    assert status == 421 and "loopback" in body


def test_the_console_script_serves_until_interrupted(store_path) -> None:
    server = subprocess.Popen([*script(), "--store", f"sqlite:///{store_path}", "ui", "--port", "0"],
                              stderr=subprocess.PIPE, text=True)
    try:
        first_line = server.stderr.readline()  # type: ignore[union-attr]
        url = re.search(r"http://127\.0\.0\.1:\d+/", first_line)
        assert url, first_line
        assert "Dataset" in ok(url.group(0)).all_text()
    finally:
        server.send_signal(signal.SIGINT)
        status = server.wait(timeout=60)
        server.stderr.close()  # type: ignore[union-attr]
    assert status == 0


def test_ui_help_and_a_missing_store(tmp_path) -> None:
    ran = run_script("ui", "--help")
    assert ran.returncode == 0 and "--host" in ran.stdout and "--open" in ran.stdout
    ran = run_script("--store", f"sqlite:///{tmp_path}/absent.db", "ui", "--port", "0")
    assert ran.returncode == 1 and ran.stderr.startswith("fastmlmd: error:")


def test_a_context_page_shows_its_first_members_and_links_to_all(ui_url, monkeypatch) -> None:
    monkeypatch.setattr(ui_views, "MEMBERS_SHOWN", 1)
    page = ok(ui_url + "/contexts/2")
    links = set(page.links())
    assert {"/artifacts/3", "/executions/3"} <= links and not {"/artifacts/4", "/executions/4"} & links
    assert {"/artifacts?filter=contexts_a.id+%3D+2", "/executions?filter=contexts_a.id+%3D+2"} <= links
    assert "the first 1;" in page.all_text()


def test_open_hands_the_url_to_the_browser_and_ctrl_c_ends_quietly(store_path, monkeypatch, capsys) -> None:
    opened: List[str] = []

    def fake_open(url: str) -> None:
        opened.append(url)
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C at once

    monkeypatch.setattr(webbrowser, "open", fake_open)
    assert main(["--store", f"sqlite:///{store_path}", "ui", "--port", "0", "--open"]) == 0
    assert len(opened) == 1 and re.fullmatch(r"http://127\.0\.0\.1:\d+/", opened[0])
    assert f"serving {opened[0]}" in capsys.readouterr().err


def _on_tests_path(folder: str) -> None:
    """Puts tests/<folder> on sys.path, as its conftest.py does when it runs (its modules import by plain name)."""
    path = str(Path(__file__).parents[1] / folder)
    if path not in sys.path:
        sys.path.insert(0, path)


def _browse_the_pipeline(base: str) -> None:
    """The pages of a store that fill_pipeline filled, as on SQLite."""
    assert "/artifacts?type=Dataset" in ok(base + "/").links()
    assert listed_ids(ok(base + "/artifacts?limit=3"), "artifact") == [1, 2, 3]
    assert listed_ids(ok(base + "/artifacts?limit=3&after=3"), "artifact") == [4]
    query = urllib.parse.urlencode({"filter": "custom_properties.accuracy.double_value > 0.55"})
    assert listed_ids(ok(base + "/artifacts?" + query), "artifact") == [4]
    assert {"/executions/1", "/executions/2", "/contexts/1"} <= set(ok(base + "/artifacts/2").links())
    status, _, body = get(base + "/executions/1/lineage?hops=4")
    assert status == 200 and len(re.findall(r'<g class="node[^"]*" data-key=', body)) == 4
    assert get(base + "/artifacts?filter=name+LIKE")[0] == 400
    assert get(base + "/artifacts", method="POST")[0] == 405


@pytest.mark.server
@pytest.mark.parametrize("backend", ["mysql", "postgresql"])
def test_the_ui_on_a_database_server(backend: str) -> None:
    _on_tests_path("api")
    import server_stores  # the session's databases on the loopback server, dropped at its end

    config = server_stores.stores(backend).config()
    fill_pipeline(metadata_store.MetadataStore(config))
    if backend == "mysql":
        url = f"mysql://{config.mysql.user}@{config.mysql.host}:{config.mysql.port}/{config.mysql.database}"
    else:
        url = (f"postgresql://{config.postgresql.user}@{config.postgresql.host}:{config.postgresql.port}/"
               f"{config.postgresql.dbname}")
    with serving_ui(url) as base:
        _browse_the_pipeline(base)


def test_the_ui_through_the_grpc_server() -> None:
    pytest.importorskip("grpc", reason="the gRPC client needs grpcio (pip install 'fastmlmd[server]')")
    _on_tests_path("server")
    from server_kit import ServerProcess

    server = ServerProcess()  # its own in-memory store
    try:
        fill_pipeline(metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1",
                                                                                port=server.port)))
        with serving_ui(f"grpc://127.0.0.1:{server.port}") as base:
            _browse_the_pipeline(base)
    finally:
        status = server.terminate()
    assert status == 0, server.log
