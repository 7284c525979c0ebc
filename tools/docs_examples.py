"""The docs' console examples, produced by running them.

Every ```console block in docs/*.md is a session: lines starting with `$ kg ` are commands,
the lines after each are what it prints (stdout and stderr, as a terminal shows them). The
commands of one page run in order in a fresh folder holding `builds/awesome-moe-inference`
(the published example), with the user cache there too, so nothing outside it is touched.

    python tools/docs_examples.py            # exit 1 and show the differences when a page is stale
    python tools/docs_examples.py --update   # rewrite the outputs in the pages
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLE = ROOT / "examples" / "awesome-moe-inference"
BLOCK = re.compile(r"^```console\n(.*?)^```\n", re.S | re.M)


@dataclass
class Example:
    command: str  # without the leading "$ "
    output: str  # as the page shows it


def examples(markdown: str) -> list[Example]:
    """The commands and outputs of every console block of a page, in order."""
    found: list[Example] = []
    for block in BLOCK.finditer(markdown):
        for line in block.group(1).splitlines(keepends=True):
            if line.startswith("$ "):
                found.append(Example(line[2:].rstrip("\n"), ""))
            elif found:
                found[-1].output += line
    return found


def run(command: str) -> str:
    """What `kg ...` prints, run in-process in the current folder."""
    from click.testing import CliRunner

    from kg.cli import main

    words = shlex.split(command)
    if words[0] != "kg":
        raise ValueError(f"console examples run `kg` only: {command!r}")
    result = CliRunner().invoke(main, words[1:], terminal_width=120)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise RuntimeError(f"{command!r} raised {result.exception!r}") from result.exception
    return "\n".join(line.rstrip() for line in result.output.splitlines()) + "\n"


def produced(markdown: str) -> str:
    """The page with every console example's output replaced by what the command prints now."""
    with tempfile.TemporaryDirectory(prefix="kg-docs-") as folder:
        shutil.copytree(EXAMPLE, Path(folder) / "builds" / EXAMPLE.name)
        saved = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = str(Path(folder) / "user-cache")
        try:
            with contextlib.chdir(folder):
                return BLOCK.sub(lambda block: rerun(block.group(1)), markdown)
        finally:
            if saved is None:
                os.environ.pop("XDG_CACHE_HOME")
            else:
                os.environ["XDG_CACHE_HOME"] = saved


def rerun(block: str) -> str:
    lines = [f"$ {example.command}\n{run(example.command)}" for example in examples(f"```console\n{block}```\n")]
    return "```console\n" + "".join(lines) + "```\n"


def pages() -> list[Path]:
    return sorted(path for path in DOCS.glob("*.md") if BLOCK.search(path.read_text(encoding="utf-8")))


def main(argv: list[str]) -> int:
    stale = 0
    for path in pages():
        text = path.read_text(encoding="utf-8")
        now = produced(text)
        if now == text:
            continue
        if "--update" in argv:
            path.write_text(now, encoding="utf-8")
            print(f"updated {path.relative_to(ROOT)}")
        else:
            stale += 1
            sys.stdout.writelines(
                difflib.unified_diff(
                    text.splitlines(True), now.splitlines(True), str(path.relative_to(ROOT)), "what the commands print"
                )
            )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
