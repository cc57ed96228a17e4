"""The ui and the lineage page in a real browser: headless Chromium (Debian's `chromium`) loads them, their script
runs, clicks, scrolls and drags do what the page says, and the screenshot shows the graph in its type colours.

Skips without Chromium; under CI=true (where .ci/run installs it) fails instead.
"""
from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Iterator, List

import pytest

from fastmlmd.cli.lineage_graph import Graph, read_lineage
from fastmlmd.cli.lineage_text import colours
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from .conftest import HOSTILE_NAME, HOSTILE_NOTE, run_script
from .headless import HEIGHT, WIDTH, Browser, chromium_path, pixel, png_pixels


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium_path()
    opened = Browser()
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def _fresh_page_log(browser: Browser) -> None:
    browser.events.clear()


def _graph(store_path: Path, kind: str, node_id: int, hops: int) -> Graph:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(store_path)
    return read_lineage(metadata_store.MetadataStore(config), kind, node_id, hops, "both")


def _centre(browser: Browser, selector: str) -> List[float]:
    return browser.js(f"(function () {{ var r = document.querySelector({json.dumps(selector)})"
                      ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")


def _view_box(browser: Browser) -> List[float]:
    return [float(v) for v in browser.js("document.querySelector('#canvas svg').getAttribute('viewBox')").split()]


def _check_lineage_page(browser: Browser, graph: Graph, shot: Path) -> None:
    """The page's DOM holds the graph, its script ran, a click shows details, wheel zooms, drag pans."""
    assert browser.js("document.querySelectorAll('#canvas svg .node').length") == len(graph.nodes) > 0
    assert sorted(browser.js("Array.prototype.map.call(document.querySelectorAll('.node'), "
                             "function (g) { return g.getAttribute('data-key'); })")) == sorted(n.key for n in graph.nodes)
    # The script took the drawing's fixed size away, so the drawing fills the canvas.
    assert browser.js("document.querySelector('#canvas svg').hasAttribute('width')") is False
    assert browser.js("document.querySelector('#canvas svg').getBoundingClientRect().width") > WIDTH / 2

    screenshot = browser.screenshot()
    shot.write_bytes(screenshot)  # kept with the test's files, to look at
    picture = png_pixels(screenshot)
    assert picture[:2] == (WIDTH, HEIGHT)
    fill = colours(graph)
    for node in graph.nodes:
        x, y = _centre(browser, f".node[data-key={node.key}]")
        # Left of the label, inside the box: the type's colour as the legend gives it.
        assert pixel(picture, int(x) - 35, int(y)) == fill[node.type], node

    target = [n for n in graph.nodes if n.kind == "artifact"][-1]
    browser.click(*_centre(browser, f".node[data-key={target.key}]"))
    assert browser.js("document.querySelector('#details h2').textContent") == \
        f"artifact {target.id}: {target.label}"
    assert json.loads(browser.js("document.querySelector('#details pre').textContent"))["id"] == str(target.id)
    assert browser.js("document.querySelector('.node.selected').getAttribute('data-key')") == target.key

    home = _view_box(browser)
    centre = _centre(browser, "#canvas")
    browser.mouse("mouseWheel", *centre, deltaX=0, deltaY=-120)
    zoomed = _view_box(browser)
    assert zoomed[2] < home[2] and zoomed[3] < home[3]
    browser.mouse("mouseMoved", 20, HEIGHT - 20)
    browser.mouse("mousePressed", 20, HEIGHT - 20, button="left", clickCount=1)
    browser.mouse("mouseMoved", 220, HEIGHT - 20, button="left")
    browser.mouse("mouseReleased", 220, HEIGHT - 20, button="left", clickCount=1)
    panned = _view_box(browser)
    assert panned[0] < zoomed[0] and panned[2:] == pytest.approx(zoomed[2:])
    browser.click(*_centre(browser, "#reset"))
    assert _view_box(browser) == pytest.approx(home)
    assert browser.problems() == []


def test_the_ui_lineage_page_renders_and_its_script_runs(browser, ui_url, store_path, tmp_path) -> None:
    browser.open(ui_url + "/executions/1/lineage?hops=4")
    _check_lineage_page(browser, _graph(store_path, "execution", 1, 4), tmp_path / "ui-lineage.png")
    browser.load_after("document.querySelector('header a').click()")  # back to the node
    assert browser.js("location.pathname") == "/executions/1"


def test_the_lineage_file_renders_from_disk(browser, store_path, tmp_path) -> None:
    page = tmp_path / "lineage.html"
    ran = run_script("--store", f"sqlite:///{store_path}", "lineage", "context", "2", "--hops", "1",
                     "--format", "html", "-o", str(page))
    assert ran.returncode == 0, ran.stderr
    browser.open(page.as_uri())
    _check_lineage_page(browser, _graph(store_path, "context", 2, 1), tmp_path / "file-lineage.png")


def test_ui_pages_render_and_their_links_and_forms_work(browser, ui_url, tmp_path) -> None:
    browser.open(ui_url + "/")
    assert browser.js("document.title") == "types · fastmlmd"
    picture = png_pixels(browser.screenshot())
    assert pixel(picture, 5, 5) == "#2b4a6f"  # the navigation bar's colour: the style applied
    browser.load_after("document.querySelector('a[href=\"/artifacts?type=Model\"]').click()")
    assert browser.js("document.querySelectorAll('tbody tr').length") == 3  # models 2, 4 and 5

    browser.load_after("document.querySelector('input[name=filter]').value = \"name LIKE 'data-%'\";"
                       "document.querySelector('select[name=type]').value = '';"
                       "document.querySelector('form').submit()")
    assert urllib.parse.parse_qs(browser.js("location.search").lstrip("?"))["filter"] == ["name LIKE 'data-%'"]
    assert browser.js("Array.prototype.map.call(document.querySelectorAll('tbody tr td:first-child'), "
                      "function (td) { return td.textContent; })") == ["1", "3"]

    browser.load_after("document.querySelector('input[name=filter]').value = 'name LIKE';"
                       "document.querySelector('form').submit()")
    assert "Invalid `filter_query`" in browser.js("document.querySelector('.error').textContent")
    assert [e for e in browser.problems() if "status of 400" not in e] == []  # the refusal was the only one
    browser.events.clear()

    browser.open(ui_url + "/artifacts/1")
    browser.load_after("document.querySelector('input[name=hops]').value = '1';"
                       "document.querySelector('form[action$=\"/lineage\"]').submit()")
    assert browser.js("location.pathname + location.search") == "/artifacts/1/lineage?hops=1&direction=both"
    assert browser.js("document.querySelectorAll('.node').length") == 2
    assert browser.problems() == []


def test_hostile_values_stay_text_in_the_browser(browser, ui_url, tmp_path) -> None:
    browser.open(ui_url + "/artifacts/5")
    assert browser.js("document.querySelector('h1').textContent") == f"artifact 5: {HOSTILE_NAME}"
    assert browser.js("document.scripts.length") == 0
    assert browser.js("document.querySelectorAll('img, b, [onerror], [onmouseover]').length") == 0
    assert HOSTILE_NOTE in browser.js("document.body.textContent")
    (tmp_path / "hostile.png").write_bytes(browser.screenshot())
    browser.open(ui_url + "/artifacts/5/lineage?hops=0")
    assert browser.js("document.querySelectorAll('img, b, [onerror]').length") == 0
    assert browser.js("document.scripts.length") == 2  # the node data and the page's own script
    browser.click(*_centre(browser, ".node[data-key=a5]"))
    details = json.loads(browser.js("document.querySelector('#details pre').textContent"))
    assert details["name"] == HOSTILE_NAME
    assert details["custom_properties"]["note"]["string_value"] == HOSTILE_NOTE
    assert browser.problems() == []
