"""The figures: Graphviz sources in book/figures/, each drawn into one chapter with alt text
and a caption, and present in the built HTML. test_formats.py checks the PDF and the EPUB,
test_browser.py how they look in light and dark mode."""

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import CHAPTERS, ROOT, code_blocks, run

FIGURE_SOURCES = ROOT / "book" / "figures"


def figures() -> list[dict]:
    """Each ```{graphviz} /figures/NAME.dot``` block of the chapters, with its options."""
    found = []
    for chapter in CHAPTERS:
        for line, info, body in code_blocks(chapter.read_text()):
            directive, _, argument = info.partition(" ")
            if directive == "{graphviz}":
                options = dict(re.findall(r"^:(\w+): (.+)$", body, re.M))
                found.append({"chapter": chapter, "line": line, "file": argument, **options})
    return found


def test_every_figure_source_is_drawn_once_with_alt_text_and_a_caption():
    drawn = figures()
    sources = sorted(path.name for path in FIGURE_SOURCES.glob("*.dot"))
    assert len(sources) >= 8
    assert sorted(figure["file"].removeprefix("/figures/") for figure in drawn) == sources
    for figure in drawn:
        place = f"{figure['chapter'].name}:{figure['line']}"
        assert figure["file"].startswith("/figures/"), f"{place}: give the path from book/"
        assert len(figure.get("alt", "")) > 80, f"{place}: describe the figure in :alt:"
        assert figure.get("caption"), f"{place}: a figure needs a :caption:"


class Objects(HTMLParser):
    """The attributes of every <object> of a page."""

    def __init__(self, page: str):
        super().__init__()
        self.found: list[dict] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "object":
            self.found.append(dict(attrs))


@pytest.mark.slow
def test_each_figure_is_an_svg_labeled_with_its_alt_text_in_the_html(html):
    for chapter in sorted({figure["chapter"] for figure in figures()}):
        objects = Objects((html / "chapters" / f"{chapter.stem}.html").read_text()).found
        alts = [figure["alt"] for figure in figures() if figure["chapter"] == chapter]
        assert [(o.get("role"), o.get("aria-label")) for o in objects] == [
            ("img", alt) for alt in alts
        ], chapter.name
        for drawing in objects:
            svg = (html / "chapters" / drawing["data"]).resolve().read_text()
            assert "<svg" in svg and "<!DOCTYPE" not in svg  # epubcheck refuses the DTD


def path_without(command: str, folder) -> str:
    """This PATH, with each folder that holds `command` replaced by links to all the rest."""
    folders = []
    for number, entry in enumerate(os.environ["PATH"].split(os.pathsep)):
        if (Path(entry) / command).exists():
            shadow = folder / str(number)
            shadow.mkdir(parents=True)
            for tool in Path(entry).iterdir():
                if tool.name != command:
                    (shadow / tool.name).symlink_to(tool)
            entry = str(shadow)
        folders.append(entry)
    return os.pathsep.join(folders)


@pytest.mark.parametrize("target", ["html", "pdf", "epub"])
def test_a_build_without_graphviz_is_one_clear_line(tmp_path, target):
    env = {"PATH": path_without("dot", tmp_path / "path")}
    result = run("make", target, f"BUILDDIR={tmp_path}", env=env)
    assert result.returncode != 0
    assert result.stdout.splitlines()[0] == (
        "the book's figures need Graphviz's dot (apt-get install graphviz)"
    )
