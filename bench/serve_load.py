"""Load on `kg serve`: do light queries stay fast while one client sends heavy ones? (issue 15, item 4)

Starts `python -m kg serve BUILD` on a free loopback port (or uses --url, which must be a
loopback address), then N clients send a fixed number of light queries between them while,
with --attacker, one more client sends a heavy query (a sorted two-way join over the whole
graph) again and again. Prints the light queries' throughput and latency percentiles, and
what the heavy ones got. Bounded: a fixed request count, a per-request timeout and --max-seconds.

    python bench/serve_load.py --attacker            # 20 clients, 2,000 requests, one attacker
    python bench/serve_load.py                       # the same without the attacker
    python bench/serve_load.py --url http://127.0.0.1:7878 --attacker   # a server already running
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
LIGHT = """SELECT ?title ?heading WHERE {
  ?paper a akg:ListedPaper ; dcterms:title ?title ; akg:listedUnder ?h .
  ?h skos:prefLabel ?heading .
} ORDER BY ?title LIMIT 20"""
HEAVY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f ?a ?d"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(build: Path, options: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", str(build), "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"kg serve did not start: {process.stderr.read().decode()[-2000:]}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(url: str, clients: int, requests: int, attacker: bool, max_seconds: float) -> dict:
    latencies: list[float] = []
    statuses: Counter = Counter()
    heavy: Counter = Counter()
    heavy_seconds: list[float] = []
    remaining = iter(range(requests))
    lock = threading.Lock()
    stop = threading.Event()
    deadline = time.monotonic() + max_seconds

    def light_client() -> None:
        with httpx.Client(timeout=60) as http:
            while not stop.is_set() and time.monotonic() < deadline:
                with lock:
                    if next(remaining, None) is None:
                        return
                started = time.perf_counter()
                try:
                    status = http.post(url + "/sparql", data={"query": LIGHT}).status_code
                except httpx.HTTPError as error:
                    status = type(error).__name__
                with lock:
                    latencies.append(time.perf_counter() - started)
                    statuses[status] += 1

    def heavy_client() -> None:
        with httpx.Client(timeout=120) as http:
            while not stop.is_set() and time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    answer = http.post(url + "/sparql", data={"query": HEAVY})
                    heavy[f"{answer.status_code} {answer.text[:60]}"] += 1
                except httpx.HTTPError as error:
                    heavy[type(error).__name__] += 1
                heavy_seconds.append(time.perf_counter() - started)

    attack = threading.Thread(target=heavy_client, daemon=True) if attacker else None
    if attack:
        attack.start()
        time.sleep(0.5)  # the first heavy query is running when the light ones start
    started = time.perf_counter()
    threads = [threading.Thread(target=light_client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    stop.set()
    if attack:
        attack.join(timeout=130)
    if not latencies:
        raise SystemExit("no light request finished")
    return {
        "clients": clients,
        "requests": len(latencies),
        "attacker": attacker,
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p99_ms": round(percentile(latencies, 0.99) * 1000),
        "max_ms": round(max(latencies) * 1000),
        "statuses": {str(k): v for k, v in statuses.items()},
        "heavy": dict(heavy),
        "heavy_mean_s": round(statistics.mean(heavy_seconds), 2) if heavy_seconds else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=ROOT / "examples" / "awesome-moe-inference")
    parser.add_argument("--url", help="a kg serve already running on a loopback address")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--attacker", action="store_true", help="one more client sends heavy queries throughout")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--serve-option", action="append", default=[], help="passed to kg serve (repeatable)")
    args = parser.parse_args()
    process = None
    if args.url:
        if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("--url must be a loopback address: this sends heavy queries")
        url = args.url.rstrip("/")
    else:
        process, url = start_server(args.build, args.serve_option)
    try:
        result = run(url, args.clients, args.requests, args.attacker, args.max_seconds)
    finally:
        if process:
            process.terminate()
            process.wait(timeout=30)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
