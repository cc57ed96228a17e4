"""`fastmlmd ui`: a read-only view of a store in the browser, served by the standard library's HTTP server.

    fastmlmd --store sqlite:///metadata.db ui --open

Routes (GET and HEAD only; every other method is refused, so nothing can write):
    /                               the types of each kind, each linking to its nodes
    /artifacts  /executions  /contexts   a page of nodes (?type=&filter=&order=asc|desc&limit=&after=|before=)
    /<kind>s/ID                     a node: fields, properties, contexts, events
    /<kind>s/ID/lineage             the lineage page (?hops=&direction=up|down|both), lineage_html's

It listens on loopback unless told otherwise, and opens an SQLite store read-only whatever its URL says.
"""
from __future__ import annotations

import argparse
import ipaddress
import re
import socket
import sys
import traceback
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

from fastmlmd.cli import ui_pages, ui_views
from fastmlmd.cli.store_url import parse_store
from fastmlmd.cli.stores import store_url
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

DEFAULT_PORT = 8765
_KINDS = "(artifact|execution|context)s"
View = Callable[..., ui_views.Answer]
# Each route: a pattern for the whole path, and the view its groups are passed to (kind, then id).
ROUTES: List[Tuple["re.Pattern[str]", View]] = [
    (re.compile(r"/"), ui_views.types_view),
    (re.compile(rf"/{_KINDS}"), ui_views.listing_view),
    (re.compile(rf"/{_KINDS}/(\d{{1,18}})"), ui_views.node_view),
    (re.compile(rf"/{_KINDS}/(\d{{1,18}})/lineage"), ui_views.lineage_view),
]


def open_read_only(url: str) -> metadata_store.MetadataStore:
    """The store, with an SQLite file opened in READONLY mode even when its URL asks for more."""
    config = parse_store(url)
    if isinstance(config, pb.ConnectionConfig) and config.WhichOneof("config") == "sqlite":
        config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def answer(store: metadata_store.MetadataStore, path: str, query: str) -> ui_views.Answer:
    """The page for a GET of `path?query`: the route's view, or an error page with the status that fits."""
    params: Dict[str, str] = dict(parse_qsl(query, keep_blank_values=True))
    try:
        for pattern, view in ROUTES:
            match = pattern.fullmatch(path)
            if match:
                groups: List[Any] = list(match.groups())
                if len(groups) > 1:
                    groups[1] = int(groups[1])
                return view(store, *groups, params)
        raise ui_views.HttpError(404, f"no page at {path}")
    except ui_views.HttpError as exc:
        return _error(exc.status, str(exc))
    except errors.InvalidArgumentError as exc:
        return _error(400, f"InvalidArgumentError: {exc}")
    except errors.NotFoundError as exc:
        return _error(404, f"NotFoundError: {exc}")
    except Exception as exc:  # noqa: BLE001 - a page that fails says so in the page, and the server goes on
        traceback.print_exc(file=sys.stderr)
        return _error(500, f"{type(exc).__name__}: {exc}")


def _error(status: int, message: str) -> ui_views.Answer:
    return ui_views.Answer(ui_pages.error_page(status, HTTPStatus(status).phrase, message), status=status)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class _Handler(BaseHTTPRequestHandler):
    server: "UiServer"
    server_version = "fastmlmd-ui"

    def do_GET(self) -> None:
        self._reply(with_body=True)

    def do_HEAD(self) -> None:
        self._reply(with_body=False)

    def _refuse(self) -> None:
        body = ui_pages.error_page(405, "Method Not Allowed", f"{self.command}: the ui only reads (GET and HEAD)")
        self._send(ui_views.Answer(body, status=405), with_body=True, extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def _reply(self, with_body: bool) -> None:
        if not self.server.host_allowed(self.headers.get("Host", "")):
            # A page elsewhere that rebinds its own name to 127.0.0.1 must not read the store through us.
            self._send(_error(421, "this server answers only to its loopback address"), with_body)
            return
        parts = urlsplit(self.path)
        self._send(answer(self.server.store, parts.path, parts.query), with_body)

    def _send(self, page: ui_views.Answer, with_body: bool, extra: Optional[Dict[str, str]] = None) -> None:
        data = page.body.encode("utf-8")
        self.send_response(page.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", page.policy)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        if not self.server.quiet:
            super().log_message(format, *args)


class UiServer(ThreadingHTTPServer):
    """The HTTP server around one store (the store serialises its own calls, so threads may share it)."""

    daemon_threads = True

    def __init__(self, store: metadata_store.MetadataStore, host: str = "127.0.0.1", port: int = 0,
                 quiet: bool = False) -> None:
        self.store = store
        self.quiet = quiet
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)
        self.loopback = _is_loopback(host)

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), int(self.server_address[1])
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    def host_allowed(self, header: str) -> bool:
        """Any Host when listening beyond loopback (the user chose to); else only a loopback name (browsers
        always send one; a client with none is no browser)."""
        if not self.loopback or not header:
            return True
        name = header if header.endswith("]") else header.rsplit(":", 1)[0]
        return _is_loopback(name.strip("[]").lower())


def cmd_ui(args: argparse.Namespace) -> int:
    server = UiServer(open_read_only(store_url(args.store)), args.host, args.port)
    if not server.loopback:
        print(f"warning: listening on {args.host}: anyone who reaches this address can read the store",
              file=sys.stderr)
    print(f"fastmlmd ui: serving {server.url} (read-only; Ctrl-C stops it)", file=sys.stderr, flush=True)
    try:
        if args.open:
            webbrowser.open(server.url)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def add_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    ui = commands.add_parser("ui", help="browse the store, read-only, in a web browser")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback)")
    ui.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free one)")
    ui.add_argument("--open", action="store_true", help="open the ui in the default web browser")
    ui.set_defaults(run=cmd_ui)
    return ui
