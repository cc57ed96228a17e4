"""A lineage graph as one self-contained HTML page: the SVG drawing, pan and zoom, details on click.

Nothing is fetched from the network: the style, the script and the node details are all in the page.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
from typing import Optional, Tuple

from fastmlmd.cli.lineage_graph import Graph
from fastmlmd.cli.lineage_layout import to_svg
from fastmlmd.cli.lineage_text import colours

_STYLE = """
html, body { margin: 0; height: 100%; font-family: Helvetica, Arial, sans-serif; }
body { display: flex; flex-direction: column; }
header { padding: 6px 12px; border-bottom: 1px solid #ccc; display: flex; gap: 16px; align-items: center;
         flex-wrap: wrap; }
header h1 { font-size: 15px; margin: 0; }
.legend span { display: inline-block; margin-right: 10px; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; border: 1px solid #333; margin-right: 4px;
            vertical-align: -2px; }
main { flex: 1; display: flex; min-height: 0; }
#canvas { flex: 1; overflow: hidden; cursor: grab; background: #fafafa; }
#canvas svg { width: 100%; height: 100%; }
#details { width: 340px; border-left: 1px solid #ccc; padding: 8px 12px; overflow: auto; font-size: 12px; }
#details pre { white-space: pre-wrap; word-break: break-all; }
.node { cursor: pointer; }
.node.selected rect { stroke: #d00; stroke-width: 3; }
button { font-size: 12px; }
"""

_SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById('lineage-data').textContent);
  var svg = document.querySelector('#canvas svg');
  svg.removeAttribute('width'); svg.removeAttribute('height');
  var box = svg.viewBox.baseVal, home = [box.x, box.y, box.width, box.height];
  function view(x, y, w, h) { svg.setAttribute('viewBox', [x, y, w, h].join(' ')); }
  function toSvg(evt) {
    var r = svg.getBoundingClientRect(), scale = Math.max(box.width / r.width, box.height / r.height);
    return [box.x + (evt.clientX - r.left) * scale, box.y + (evt.clientY - r.top) * scale, scale];
  }
  svg.addEventListener('wheel', function (evt) {
    evt.preventDefault();
    var p = toSvg(evt), f = evt.deltaY < 0 ? 0.8 : 1.25;
    view(p[0] - (p[0] - box.x) * f, p[1] - (p[1] - box.y) * f, box.width * f, box.height * f);
  }, {passive: false});
  var drag = null;
  svg.addEventListener('mousedown', function (evt) { drag = [evt.clientX, evt.clientY, box.x, box.y, false]; });
  window.addEventListener('mousemove', function (evt) {
    if (!drag) return;
    var s = toSvg(evt)[2], dx = evt.clientX - drag[0], dy = evt.clientY - drag[1];
    if (Math.abs(dx) + Math.abs(dy) > 3) drag[4] = true;
    view(drag[2] - dx * s, drag[3] - dy * s, box.width, box.height);
  });
  window.addEventListener('mouseup', function () { setTimeout(function () { drag = null; }, 0); });
  document.getElementById('reset').addEventListener('click', function () { view.apply(null, home); });
  var details = document.getElementById('details');
  Array.prototype.forEach.call(document.querySelectorAll('.node'), function (g) {
    g.addEventListener('click', function () {
      if (drag && drag[4]) return;
      Array.prototype.forEach.call(document.querySelectorAll('.node.selected'), function (n) {
        n.classList.remove('selected'); });
      g.classList.add('selected');
      var node = data.nodes[g.getAttribute('data-key')];
      details.innerHTML = '';
      var h = document.createElement('h2'); h.style.fontSize = '14px';
      h.textContent = node.kind + ' ' + node.id + ': ' + node.label;
      var pre = document.createElement('pre'); pre.textContent = JSON.stringify(node.details, null, 2);
      details.appendChild(h); details.appendChild(pre);
    });
  });
})();
"""


# The page allows its own script and nothing else (so a value that slipped past the escaping could not run):
# the Content-Security-Policy names the script by its hash. Styles are inline, and nothing is fetched.
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
CONTENT_SECURITY_POLICY = (f"default-src 'none'; script-src '{SCRIPT_HASH}'; style-src 'unsafe-inline'; "
                           "base-uri 'none'; form-action 'none'")


def _script_json(value: object) -> str:
    # Inside <script>, "</script" would end the element and "<!--" would change how it ends: JSON spells every
    # "<" as "\\u003c", so the data holds no "<" at all.
    return json.dumps(value, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")


def to_html(graph: Graph, back: Optional[Tuple[str, str]] = None) -> str:
    """The page; its `.node` elements are the graph's nodes, one each. `back`: a link (href, text) to show."""
    esc = html.escape
    back_link = f'<a href="{esc(back[0])}">{esc(back[1])}</a>' if back else ""
    legend = "".join(f'<span><i style="background:{colour}"></i>{esc(name)}</span>'
                     for name, colour in colours(graph).items())
    nodes = {node.key: {"kind": node.kind, "id": node.id, "label": node.label, "type": node.type,
                        "details": node.details} for node in graph.nodes}
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{esc(CONTENT_SECURITY_POLICY)}\">"
        f"<title>{esc(graph.title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        f"<header>{back_link}<h1>{esc(graph.title)}</h1><div class=\"legend\">{legend}</div>"
        f"<span>{len(graph.nodes)} nodes, {len(graph.edges)} events</span>"
        "<button id=\"reset\" type=\"button\">reset view</button></header>\n"
        f"<main><div id=\"canvas\">{to_svg(graph)}</div>"
        "<aside id=\"details\">Click a node for its details. Drag to pan, scroll to zoom.</aside></main>\n"
        f"<script type=\"application/json\" id=\"lineage-data\">{_script_json({'nodes': nodes})}</script>\n"
        f"<script>{_SCRIPT}</script>\n</body></html>\n")
