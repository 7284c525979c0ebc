"""Benchmark `kg publish`: the site's size and how soon its query page is ready, in Chromium.

The latest version of the awesome-moe-inference list is built as a curator builds it (enriched
through the test server speaking the Semantic Scholar Graph API, tests/s2_server.py), then
published. Headless Debian chromium opens the query page from disk (file://) and from a static
server on 127.0.0.1 and reports when the page was ready to run a query (performance.now() at
its ready mark, i.e. since navigation start: scripts read, WebAssembly compiled, graph loaded),
then how long one saved query took. Targets (issue 16): under 15 MB, ready in under 2 s, for
the latest list; --synthetic shows how both grow with the graph (bench/page.py's synthetic graphs).

    python bench/site.py [--repeat 5] [--out bench/out/site] [--screenshots docs/img] [--synthetic 2000 20000]

With --screenshots, it also takes the docs' pictures of each kind of page (site-*.png).
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import LATEST_LIST  # noqa: E402
from kg.build import ListSource, build  # noqa: E402
from kg.enrich.client import RetryPolicy, S2Client  # noqa: E402
from kg.publish import publish  # noqa: E402
from s2_fixtures import build_records  # noqa: E402
from s2_server import S2TestServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SIZE_TARGET_MB, READY_TARGET_S = 15, 2.0
QUERY = "most-cited-in-list"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def latest_build(folder: Path):
    with S2TestServer(build_records()) as server:
        client = S2Client(server.url, policy=RetryPolicy(attempts=6, base_delay=0.01, max_delay=0.05, seed=1))
        try:
            return build(
                ListSource.from_path(LATEST_LIST, "awesome-moe-inference"),
                folder / "build",
                cache_dir=folder / "cache",
                client=client,
            )
        finally:
            client.close()


def sizes(site: Path) -> dict[str, int]:
    """Bytes per part of the site."""
    parts: dict[str, int] = defaultdict(int)
    for path in site.rglob("*"):
        if path.is_file():
            relative = path.relative_to(site).as_posix()
            part = (
                "oxigraph (wasm, base64)"
                if relative == "assets/oxigraph-wasm.js"
                else "graph data for the query page"
                if relative == "assets/graph-data.js"
                else relative.split("/", 1)[0]
                if "/" in relative
                else "home, query and graph pages"
            )
            parts[part] += path.stat().st_size
    return dict(sorted(parts.items(), key=lambda item: -item[1]))


def measure(base: str, repeat: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeat):
            context = browser.new_context(offline=base.startswith("file:"))
            page = context.new_page()
            page.goto(base + "query.html")  # marks: kg-compiled (wasm and graph inflated, wasm compiled), kg-loaded
            page.wait_for_selector("body[data-ready=true]", timeout=60_000)
            ready = page.evaluate("kgQueryPage.readyAt") / 1000
            marks = page.evaluate(
                "Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)]))"
            )
            page.click(f"#examples button[data-query='{QUERY}']")
            started = time.perf_counter()
            page.click("#run")
            page.wait_for_function("kgQueryPage.results !== null")
            runs.append(
                {
                    "ready_s": round(ready, 3),
                    "marks_ms": marks,
                    "query_s": round(time.perf_counter() - started, 3),
                    "rows": len(page.evaluate("kgQueryPage.results.results.bindings")),
                }
            )
            context.close()
        browser.close()
    return runs


def screenshots(site: Path, folder: Path) -> list[Path]:
    """The home, a paper, a heading and the query page (with a saved query's answer), as docs/publish.md shows them."""
    from playwright.sync_api import sync_playwright

    def richest(folder: str) -> Path:
        """The page listing the most papers: the fullest example of its kind."""
        pages = sorted((site / folder).glob("*.html"))
        return max(pages, key=lambda p: p.read_text("utf-8").count('<a class="paper"'))

    paper, heading = richest("papers"), richest("headings")
    shots = {
        "site-home.png": "index.html",
        "site-paper.png": paper.relative_to(site).as_posix(),
        "site-heading.png": heading.relative_to(site).as_posix(),
        "site-query.png": "query.html",
    }
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True, viewport={"width": 1200, "height": 800})
        page = context.new_page()
        for name, relative in shots.items():
            page.goto(site.resolve().as_uri() + "/" + relative)
            if name == "site-query.png":
                page.wait_for_selector("body[data-ready=true]", timeout=60_000)
                page.click("#examples button[data-query='citation-neighbourhood']")
                page.fill("#param-paper", "2401.14361")
                page.click("#run")
                page.wait_for_function("kgQueryPage.results !== null")
            page.screenshot(path=str(folder / name))
        browser.close()
    return [folder / name for name in shots]


def synthetic_build(folder: Path, papers: int) -> tuple[Path, dict]:
    """A build folder of bench/page.py's synthetic graph (a quarter of the papers listed), with the
    files `kg build` writes: graph files, manifest, graph page, cluster exports."""
    from kg.exports import write_cluster_files
    from kg.page import write_graph_page
    from page import synthetic_graph

    graph = synthetic_graph(papers)
    out = folder / f"synthetic-{papers}"
    graph.write(out)
    listed = len(list(graph.query("SELECT ?p WHERE { ?p a akg:ListedPaper }")))
    counts = {"listed_papers": listed, "triples": len(graph)}
    (out / "manifest.json").write_text(json.dumps({"input": {"title": "Synthetic list"}, "counts": counts}))
    write_graph_page(graph, out)
    write_cluster_files(graph, out)
    return out, counts


def serve_and_measure(site: Path, repeat: int) -> dict[str, list[dict]]:
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        return {
            "file": measure(site.resolve().as_uri() + "/", repeat),
            "http": measure(f"http://127.0.0.1:{httpd.server_address[1]}/", repeat),
        }
    finally:
        httpd.shutdown()
        httpd.server_close()


def report(name: str, counts: dict, publish_s: float, parts: dict[str, int], runs: dict[str, list[dict]]) -> dict:
    total = sum(parts.values())
    print(f"{name}: {counts['listed_papers']} listed papers, {counts['triples']} triples; kg publish {publish_s:.1f} s")
    verdict = "met" if total < SIZE_TARGET_MB * 1e6 else "MISSED"
    print(f"  site: {total / 1e6:.1f} MB (target < {SIZE_TARGET_MB} MB: {verdict})")
    for part, size in parts.items():
        print(f"    {part:32} {size / 1e6:6.2f} MB")
    for where, measured in runs.items():
        ready = statistics.median(r["ready_s"] for r in measured)
        query = statistics.median(r["query_s"] for r in measured)
        print(
            f"  query page from {where}: ready in {ready:.2f} s median of {len(measured)} "
            f"(max {max(r['ready_s'] for r in measured):.2f} s; target < {READY_TARGET_S} s: "
            f"{'met' if ready < READY_TARGET_S else 'MISSED'}); {QUERY}: {measured[0]['rows']} rows in "
            f"{query:.2f} s (click to rows drawn)"
        )
        steps = {mark: statistics.median(r["marks_ms"][mark] for r in measured) for mark in measured[0]["marks_ms"]}
        print("    since navigation start, median ms: " + ", ".join(f"{m} {ms:.0f}" for m, ms in steps.items()))
    return {"name": name, **counts, "publish_s": round(publish_s, 2), "site_bytes": total, "parts": parts, "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "site")
    parser.add_argument("--screenshots", type=Path, help="Also write site-*.png of each kind of page here.")
    parser.add_argument(
        "--synthetic",
        type=int,
        nargs="*",
        default=[],
        metavar="PAPERS",
        help="Also measure sites of synthetic builds of this many papers (bench/page.py's graphs).",
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        result = latest_build(folder)
        builds = [(LATEST_LIST.name, result.out, result.manifest["counts"])]
        builds += [(f"synthetic {n}", *synthetic_build(folder, n)) for n in args.synthetic]
        for number, (name, build_dir, counts) in enumerate(builds):
            site = folder / f"site-{number}"
            started = time.perf_counter()
            publish(build_dir, site)
            publish_s = time.perf_counter() - started
            if args.screenshots and number == 0:
                for path in screenshots(site, args.screenshots):
                    print(f"wrote {path}")
            results.append(report(name, counts, publish_s, sizes(site), serve_and_measure(site, args.repeat)))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "site.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
