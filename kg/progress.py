"""Progress on the terminal (rich): shown for long work, silent when piped or --quiet."""

from __future__ import annotations

import sys
from contextlib import contextmanager


class Silent:
    """Progress that shows nothing (not a terminal, or --quiet)."""

    def stage(self, name: str) -> None:
        pass

    def start_enrichment(self, total: int) -> None:
        pass

    def advance(self, report, client) -> None:
        pass

    def event(self, kind: str, **info) -> None:
        pass


class Bar(Silent):
    """A rich progress bar: stage names, papers resolved, requests, cache hits, waits."""

    def __init__(self, progress):
        self.progress = progress
        self.stage_task = progress.add_task("starting", total=None, info="")
        self.enrich_task = None

    def stage(self, name: str) -> None:
        self.progress.update(self.stage_task, description=name)

    def start_enrichment(self, total: int) -> None:
        self.enrich_task = self.progress.add_task("papers resolved", total=total, info="")

    def advance(self, report, client) -> None:
        if self.enrich_task is not None:
            self.progress.advance(self.enrich_task)
            self.event("update", report=report, client=client)

    def event(self, kind: str, **info) -> None:
        if self.enrich_task is None:
            return
        client, report = info.get("client"), info.get("report")
        if kind == "wait":
            text = f"waiting {info['seconds']:.1f} s ({info['reason']})"
        else:
            requests = client.requests if client else 0
            text = f"requests {requests} · cache hits {report.cache_hits if report else 0}"
        self.progress.update(self.enrich_task, info=text)


@contextmanager
def progress_for(quiet: bool):
    """A Bar on an interactive terminal, Silent otherwise."""
    if quiet or not sys.stderr.isatty():
        yield Silent()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}", markup=False),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        yield Bar(progress)
