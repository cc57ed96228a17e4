"""Starts `python -m fastmlmd.server` in a subprocess on 127.0.0.1 and a free port; makes test certificates.

The server is run as a user runs it: a separate process with MLMD's flags. It is asked for port 0 and
says which port it took in its "Server listening on" log line.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Dict, List, Optional

_LISTENING = re.compile(r"Server listening on [^:]+:(\d+)")
START_TIMEOUT_SECONDS = 60.0


class ServerProcess:
    """A running server; its stderr is collected (`log`) so that a chatty server never blocks on its pipe."""

    def __init__(self, *flags: str, env: Optional[Dict[str, str]] = None,
                 command: Optional[List[str]] = None) -> None:
        """`command`: what starts the server (default `python -m fastmlmd.server`), before MLMD's flags."""
        self.lines: List[str] = []
        self._ready = threading.Event()
        self.port = 0
        self.proc = subprocess.Popen(
            [*(command or [sys.executable, "-m", "fastmlmd.server"]), "--grpc_host=127.0.0.1", "--grpc_port=0",
             *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(START_TIMEOUT_SECONDS) or not self.port:
            self.kill()
            raise RuntimeError(f"the server did not start:\n{self.log}")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            found = _LISTENING.search(line)
            if found:
                self.port = int(found.group(1))
                self._ready.set()
        self._ready.set()  # the process ended (before listening, when port is still 0)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM, then the exit status once the server has drained and stopped."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        self._reader.join(5)


def client_config(server: ServerProcess, **fields: object) -> object:
    from ml_metadata.proto import metadata_store_pb2 as pb

    return pb.MetadataStoreClientConfig(host="127.0.0.1", port=server.port, **fields)  # type: ignore[arg-type]


def make_certificates(folder: Path) -> Dict[str, str]:
    """A CA, a server certificate for 127.0.0.1 / localhost and a client certificate, as PEM strings.

    Made with the openssl command line tool, which every CI image has.
    """
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=fastmlmd test CA",
        "-keyout", "ca.key", "-out", "ca.pem")
    (folder / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, extra in (("server", ["-extfile", "server.ext"]), ("client", [])):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN=fastmlmd test {name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-out", f"{name}.pem", *extra)
    return {name: (folder / name).read_text() for name in
            ("ca.pem", "server.key", "server.pem", "client.key", "client.pem")}
