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
