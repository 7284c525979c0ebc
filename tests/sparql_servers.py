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

    def __init__(
        self,
        body: bytes = b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": 7}',
        media_type: str = "application/sparql-results+json",
    ):
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

    return build(
        ListSource.from_path(list_file),
        out=tmp_path_factory.mktemp(name),
        offline=True,
        cache_dir=tmp_path_factory.mktemp(name + "-cache"),
    )


VIRTUOSO = "/usr/bin/virtuoso-t"
VIRTUOSO_INI = """; Generated for one test run: a temporary database on loopback ports.
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = ., {db}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
MaxQueryMem = 1G
ThreadsPerQuery = 2
CheckpointInterval = 0

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
MaxClientConnections = 4
ServerThreads = 4
EnabledDavVSP = 0
Charset = UTF-8
MaxKeepAlives = 4

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 120
"""


def start_virtuoso(folder) -> tuple[object, str]:
    """Debian's Virtuoso (virtuoso-opensource) on loopback ports with a new database in `folder`,
    from a generated virtuoso.ini; its admin login is Virtuoso's default dba/dba."""
    import shutil
    import subprocess

    if not shutil.which(VIRTUOSO):
        pytest.fail("Virtuoso is not installed: apt-get install virtuoso-opensource (see .ci/run)")
    http_port, sql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(db=folder, http_port=http_port, sql_port=sql_port))
    process = subprocess.Popen(
        [VIRTUOSO, "+foreground", "+configfile", str(ini)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{http_port}"
    wait_until_answering(process, url + "/sparql", "virtuoso-t", 120)
    return process, url
