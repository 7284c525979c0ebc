"""Starting real SPARQL servers in tests (`oxigraph serve`, `kg serve`) and waiting for them."""
from __future__ import annotations

import socket
import time

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(process, query_url: str, what: str, seconds: float) -> None:
    """Block until `query_url` answers `ASK {}`; fail with the server's own error if it died or hung."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(query_url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{what} did not start: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)


class RecordingServer:
    """A local HTTP server that records every request it gets and answers each with `body` (a bad
    SPARQL endpoint, or a target a SERVICE clause must never reach)."""

    def __init__(self, body: bytes = b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": 7}',
                 media_type: str = "application/sparql-results+json"):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        requests = self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def answer(self):
                requests.append((self.command, self.path))
                self.send_response(200)
                self.send_header("content-type", media_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"

    def __enter__(self):
        import threading

        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def build_list(tmp_path_factory, list_file, name: str):
    """A list version built offline (snapshot only) into a temporary folder, from its absolute path."""
    from kg.build import ListSource, build

    return build(ListSource.from_path(list_file), out=tmp_path_factory.mktemp(name), offline=True,
                 cache_dir=tmp_path_factory.mktemp(name + "-cache"))
