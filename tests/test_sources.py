"""Rules on the chapter sources that no build can check by itself."""

import re

import pytest

from conftest import CHAPTERS, ROOT, code_blocks
from frameworks import GROUPS

TESTED_FENCES = ("{doctest}", "{testsetup}", "{testcleanup}")


def untested_prompts(text: str) -> list[int]:
    """Lines of code blocks that hold `>>>` but are not run by the doctest builder."""
    return [
        line
        for line, info, code in code_blocks(text)
        if not info.startswith(TESTED_FENCES) and re.search(r"^\s*>>>", code, re.M)
    ]


def frameworks_shown(text: str) -> set[str]:
    frameworks = set()
    for _, info, _ in code_blocks(text):
        directive, _, groups = info.partition(" ")
        if directive == "{doctest}":
            frameworks |= {
                GROUPS[g.strip()].framework for g in groups.split(",") if g.strip() in GROUPS
            }
    return frameworks


def test_the_checks_see_what_they_look_for():
    bad = "Text\n\n```python\n>>> 1 + 1\n2\n```\n\n:::{note}\n```pycon\n>>> 2\n2\n```\n:::\n"
    assert untested_prompts(bad) == [3, 9]
    assert untested_prompts("    >>> indented code\n") == [1]
    good = ":::{compare}\n```{doctest} tf\n>>> 1\n1\n```\n```{doctest} torch\n>>> 1\n1\n```\n:::\n"
    assert untested_prompts(good) == []
    assert frameworks_shown(good) == {"tf", "torch"}
    assert frameworks_shown(good.replace("torch", "tf1")) == {"tf"}


def test_the_book_has_chapters():
    assert len(CHAPTERS) >= 1


@pytest.mark.parametrize("path", sorted(ROOT.glob("book/**/*.md")), ids=lambda p: p.name)
def test_no_untested_prompts(path):
    lines = untested_prompts(path.read_text())
    assert not lines, f"{path}: `>>>` in a block that is never run, at lines {lines}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_shows_both_frameworks(path):
    assert frameworks_shown(path.read_text()) >= {"tf", "torch"}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_follows_the_book_pattern(path):
    text = path.read_text()
    assert re.fullmatch(r"\d\d-[a-z0-9]+(-[a-z0-9]+)*\.md", path.name), "name: NN-topic.md"
    assert text.startswith("# "), "a chapter opens with its title"
    assert "you will be able to" in text[:2000], "the opening says what the reader will learn"
    assert re.search(r"^## What differs", text, re.M), "a chapter ends with a 'What differs' table"


def what_differs_rows(text: str) -> list[tuple[int, str]]:
    """(line, text) of each body row of the chapter's closing 'What differs' table."""
    lines = text.splitlines() + [""]
    start = next(i for i, line in enumerate(lines) if line.startswith("## What differs"))
    separator = re.compile(r"\|[-:| ]+\|")
    return [
        (number, line)
        for number, (line, following) in enumerate(
            zip(lines[start:], lines[start + 1 :], strict=False), start + 1
        )
        if line.startswith("|")
        and not separator.fullmatch(line.strip())  # a header is followed by a separator
        and not separator.fullmatch(following.strip())
    ]


def anchors(text: str) -> set[str]:
    """What `(#...)` can link to: the slugs of headings (myst_heading_anchors) and labels."""
    from mdit_py_plugins.anchors.index import slugify

    headings = re.findall(r"^#{1,3} (.+)$", text, re.M)
    return {slugify(heading) for heading in headings} | set(re.findall(r"^\((.+)\)=$", text, re.M))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_each_what_differs_row_links_to_the_section_that_shows_it(path):
    text = path.read_text()
    targets = anchors(text)
    unlinked = [
        number
        for number, row in what_differs_rows(text)
        if not set(re.findall(r"\]\(#([^)]+)\)", row)) & targets
    ]
    assert not unlinked, f"{path.name}: rows without a link to a section here, at lines {unlinked}"
