"""Push time to the servers `kg push` is tested against: `oxigraph serve` and Virtuoso (issue 16).

For each server (started on a loopback port with a temporary database, as the tests do):
the latest list version's build (built offline into a temporary folder), then the
20,000-paper synthetic graph (bench/synthetic.py, about 977,000 triples), each pushed into
the server and then pushed again (the replace path: our graphs deleted, then loaded).

    python -m bench.push_servers                    # both servers
    python -m bench.push_servers oxigraph           # one of them
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from bench.queries import synthetic_file  # noqa: E402
from kg.build import ListSource, build  # noqa: E402
from kg.push import push  # noqa: E402
from sparql_servers import free_port, start_virtuoso, wait_until_answering  # noqa: E402

LATEST_LIST = ROOT / "tests" / "data" / "lists" / "awesome-moe-inference" / "2025-10-20_f7ccad0.md"


def start(server: str, folder: Path) -> tuple[subprocess.Popen, str]:
    """The server on a free loopback port, and the URL `kg push` is given (with Virtuoso's login)."""
    folder.mkdir(parents=True, exist_ok=True)
    if server == "virtuoso":
        process, url = start_virtuoso(folder)
        return process, url.replace("://", "://dba:dba@")
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "oxigraph"),
            "serve",
            "--location",
            str(folder),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_answering(process, url + "/query", "oxigraph serve", 60)
    return process, url


def main() -> None:
    servers = sys.argv[1:] or ["oxigraph", "virtuoso"]
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        latest = build(
            ListSource.from_path(LATEST_LIST), out=scratch / "latest", offline=True, cache_dir=scratch / "cache"
        ).out
        graphs = {"latest list": latest, "20,000 papers": synthetic_file()}
        for server in servers:
            process, url = start(server, scratch / server)
            try:
                for name, graph in graphs.items():
                    for attempt in ("first push", "pushed again, replacing it"):
                        started = time.perf_counter()
                        report = push(graph, url)
                        print(
                            f"{server}: {name}, {sum(report.triples.values()):,} triples, {attempt}: "
                            f"{time.perf_counter() - started:.1f} s",
                            flush=True,
                        )
            finally:
                process.terminate()
                process.wait(timeout=120)


if __name__ == "__main__":
    main()
