"""The documentation site builds strictly and cannot drift from the code.

The site is built once with `mkdocs build --strict` into a temporary folder; the CLI
reference in it must name every command and option of `kg`, the saved-query reference every
saved query and parameter, and every console example in docs/ must be what its command
prints today (tools/docs_examples.py reruns them; `--update` rewrites them).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from conftest import ROOT
from kg.cli import main
from kg.savedqueries import saved_queries

sys.path.insert(0, str(ROOT / "tools"))
import docs_examples  # noqa: E402

MKDOCS = shutil.which("mkdocs", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if MKDOCS is None:
        pytest.skip("needs the docs extra: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [MKDOCS, "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    return out


def sections(page: Path) -> dict[str, str]:
    """The page's text under each heading, by the heading's id."""
    text = page.read_text(encoding="utf-8")
    parts = re.split(r'<h[1-6] id="([^"]+)"[^>]*>', text)
    return {
        anchor: html.unescape(re.sub(r"<[^>]+>", "", body))
        for anchor, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def commands(group: click.Group, path: tuple[str, ...] = ("kg",)):
    """Every command of the `kg` group, with its path (`kg cache stats`)."""
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def test_site_builds_strictly_with_every_page_of_the_nav(site):
    nav_pages = re.findall(r":\s*([\w-]+)\.md\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    assert len(nav_pages) >= 18
    assert sorted(nav_pages) == sorted(path.stem for path in (ROOT / "docs").glob("*.md"))
    for name in nav_pages:
        assert (site / ("" if name == "index" else name) / "index.html").is_file(), name


def test_every_command_and_option_is_in_the_cli_reference(site):
    documented = sections(site / "cli" / "index.html")
    listed = list(commands(main))
    assert len(listed) >= 17
    for path, command in listed:
        anchor = "-".join(path)
        assert anchor in documented, f"`{' '.join(path)}` is not in the CLI reference"
        options = [opt for param in command.params if isinstance(param, click.Option) for opt in param.opts]
        missing = [
            opt for opt in options if re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", documented[anchor]) is None
        ]
        assert missing == [], f"`{' '.join(path)}`: options not documented: {missing}"


def test_every_saved_query_and_parameter_is_in_the_query_reference(site):
    documented = sections(site / "queries" / "index.html")
    queries = saved_queries()
    assert len(queries) >= 18
    for name, saved in queries.items():
        assert name in documented, f"saved query {name} is not documented"
        assert saved.description in " ".join(documented[name].split())
        for param in saved.params:
            assert re.search(rf"\b{param.name}\b", documented[name]), f"{name}: parameter {param.name}"


def test_every_term_of_the_ontology_is_in_the_vocabulary_page(site):
    terms = set(re.findall(r"^akg:(\w+)\s*$", (ROOT / "ontology" / "awesome-kg.ttl").read_text(encoding="utf-8"), re.M))
    assert len(terms) >= 50
    text = " ".join(sections(site / "vocabulary" / "index.html").values())
    assert {term for term in terms if f"akg:{term}" not in text} == set()


def test_console_examples_are_what_the_commands_print():
    pages = docs_examples.pages()
    assert {path.name for path in pages} >= {"tutorial.md", "sparql.md"}
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert docs_examples.examples(text)
        assert docs_examples.produced(text) == text, (
            f"docs/{path.name}: a console example is stale; run `python tools/docs_examples.py --update`"
        )
