"""The PDF (TeX Live) and the EPUB (epubcheck), built through the Makefile as a reader would.

A machine without the tools skips these tests and names the package to install; under CI
(CI=true) a missing tool is a failure."""

import datetime
import os
import re
import shutil
import subprocess
import zipfile

import pytest

from compare import PRINT_HALF_COLUMNS, PRINT_SIDE_BY_SIDE_LINES
from conftest import CHAPTERS, PARSER, code_blocks, doctest_blocks, missing_tool, run
from frameworks import FRAMEWORKS, GROUPS
from test_figures import figures

pytestmark = pytest.mark.slow


def need(command: str, package: str) -> None:
    if shutil.which(command) is None:
        missing_tool(f"needs {command} (apt-get install {package})")


@pytest.fixture(scope="session")
def pdf(tmp_path_factory):
    need("lualatex", "texlive-luatex")
    need("latexmk", "latexmk")
    need("pdftotext", "poppler-utils")
    out = tmp_path_factory.mktemp("pdf")
    result = run("make", "pdf", f"BUILDDIR={out}")
    assert result.returncode == 0, result.stdout[-3000:]
    return out / "latex" / "tf-torch-book.pdf"


def test_the_pdf_tests_share_one_worker(request):
    """Under `make test` (pytest-xdist, --dist loadgroup) this file's tests run in one
    worker, so the PDF is built once; xdist finds the group in a suffix of the node id."""
    if not request.config.getoption("loadgroup", False):
        pytest.skip("make test runs this under pytest-xdist's --dist loadgroup")
    assert request.node.nodeid.endswith("@pdf")


def text_of(pdf, *pages: str) -> str:
    command = ["pdftotext", "-layout", *pages, str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_the_pdf_opens_with_a_title_page_dated_by_the_last_commit(pdf):
    commit = int(run("git", "log", "-1", "--format=%ct").stdout)
    date = datetime.datetime.fromtimestamp(commit, datetime.UTC)
    title = text_of(pdf, "-l", "1").split()
    assert " ".join(title[:6]) == "TensorFlow and PyTorch, Side by Side"
    assert " ".join(title[-3:]) == date.strftime("%b %d, %Y")  # Sphinx's today_fmt
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    # The file's own date too; pdfinfo pads the day with a space ("Dec  1").
    assert date.strftime(f"%a %b {date.day:2} %H:%M:%S %Y") in info


def test_the_contents_list_the_preface_then_numbered_chapters_then_appendices(pdf):
    # The contents start on page 2 and end with the index's entry, however long they grow.
    front = text_of(pdf, "-f", "2", "-l", "12")
    end = re.search(r"^\s*Index\s+\d+$", front, re.M)
    assert end, "the contents end with the index within the first pages"
    contents = front[: end.end()]
    titles = [re.search(r"^# (.+)$", c.read_text(), re.M).group(1) for c in CHAPTERS]
    positions = [contents.index("Preface")]
    for number, title in enumerate(titles, 1):
        found = re.search(rf"^\s*{number}\s+{re.escape(title[:30])}", contents, re.M)
        assert found, f"chapter {number}, {title}, is not in the contents"
        positions.append(found.start())
    positions.append(re.search(r"^\s*A\s+Glossary", contents, re.M).start())
    assert positions == sorted(positions)


def code_lines():
    for chapter in CHAPTERS:
        for _, block in doctest_blocks(chapter):
            for line in block.splitlines():
                if line.strip() and line != "<BLANKLINE>":
                    yield chapter.name, line


def test_no_code_line_is_cut_or_wrapped(pdf):
    """Each code line is whole on one line of the PDF; beside it may stand the other pane."""
    lines = [" ".join(line.split()) for line in text_of(pdf).splitlines()]
    whole, everything = set(lines), "\n".join(lines)
    broken = [
        f"{name}: {line}"
        for name, line in code_lines()
        if " ".join(line.split()) not in whole and " ".join(line.split()) not in everything
    ]
    assert broken == []


def compare_blocks(text: str):
    """Each compare block as {group: its code lines}, option lines left out."""
    for token in PARSER.parse(text):
        if token.type == "colon_fence" and token.info.strip() == "{compare}":
            panes = {}
            for _, info, code in code_blocks(token.content):
                lines = [line for line in code.splitlines() if not line.startswith(":")]
                panes.setdefault(info.split()[-1], []).extend(lines)
            yield panes
        elif token.type == "colon_fence":
            yield from compare_blocks(token.content)


def fits_side_by_side(panes: dict) -> bool:
    return (
        len({GROUPS[group].framework for group in panes}) == 2
        and all(len(line) <= PRINT_HALF_COLUMNS for lines in panes.values() for line in lines)
        and all(len(lines) <= PRINT_SIDE_BY_SIDE_LINES for lines in panes.values())
    )


def test_short_compare_blocks_are_side_by_side_under_their_labels(pdf):
    """Two labels on one line of text mark a side-by-side pair; every pair that fits has them."""
    short = [
        panes
        for chapter in CHAPTERS
        for panes in compare_blocks(chapter.read_text())
        if fits_side_by_side(panes)
    ]
    labels = "|".join(re.escape(group.label) for group in GROUPS.values())
    side_by_side = re.findall(rf"^ *({labels}) {{3,}}({labels}) *$", text_of(pdf), re.M)
    assert len(short) > 20, "the book has short pairs to set side by side"
    in_pane_order = [
        tuple(
            GROUPS[g].label
            for g in sorted(panes, key=lambda g: FRAMEWORKS.index(GROUPS[g].framework))
        )
        for panes in short
    ]
    assert side_by_side == in_pane_order


def test_no_page_ends_with_a_label(pdf):
    """The last line above a page's footer is never a framework's label without its code."""
    labels = {group.label for group in GROUPS.values()}
    pages = text_of(pdf).split("\f")
    ends = [
        (number, lines[-2].strip())
        for number, page in enumerate(pages, 1)
        if len(lines := [line for line in page.splitlines() if line.strip()]) > 2
    ]
    assert [(number, end) for number, end in ends if end in labels] == []


def test_code_is_labelled_by_framework_and_the_versions_are_printed(pdf):
    text = text_of(pdf)
    first_code = " ".join(next(code_lines())[1].split())
    before = " ".join(text.split()).split(first_code)[0]
    assert before.rstrip().endswith(("TensorFlow", "PyTorch", "(legacy)"))
    assert text.count("\nTensorFlow\n") > 50 and text.count("\nPyTorch\n") > 50
    assert re.search(r"torch\s+2\.\d+\.\d+\s+runs every example", text)


@pytest.fixture(scope="session")
def epub(tmp_path_factory) -> zipfile.ZipFile:
    need("java", "epubcheck")
    if not os.path.exists("/usr/share/java/epubcheck.jar"):
        need("epubcheck.jar", "epubcheck")
    out = tmp_path_factory.mktemp("epub")
    result = run("make", "epub", f"BUILDDIR={out}")
    assert result.returncode == 0, result.stdout[-3000:]
    return zipfile.ZipFile(out / "epub" / "tf-torch-book.epub")


def test_the_epub_passes_epubcheck(epub):
    names = epub.namelist()
    assert names[0] == "mimetype"
    assert all(f"chapters/{c.stem}.xhtml" in names for c in CHAPTERS)
    assert not any(name.endswith(".js") and "framework-choice" in name for name in names)


def test_each_figure_is_in_the_pdf_and_the_epub(pdf, epub):
    drawn = figures()
    tex = (pdf.parent / "tf-torch-book.tex").read_text()
    included = re.findall(r"\\sphinxincludegraphics\[\]\{(graphviz-\w+\.pdf)\}", tex)
    assert len(included) == len(drawn)
    assert all((pdf.parent / name).exists() for name in included)

    def words(text: str) -> str:  # as pdftotext reads the PDF: curly quotes, hyphenation
        return " ".join(text.replace("\u2019", "'").split()).replace("- ", "")

    text = words(text_of(pdf))
    for figure in drawn:
        caption = words(re.sub(r"\*(\w+)\*", r"\1", figure["caption"].replace("`", "")))
        assert caption in text, f"the caption of {figure['file']} is not in the PDF"
    for chapter in {figure["chapter"] for figure in drawn}:
        page = epub.read(f"chapters/{chapter.stem}.xhtml").decode()
        svgs = re.findall(r'<object [^>]*data="\.\./(_images/graphviz-\w+\.svg)"', page)
        assert len(svgs) == sum(figure["chapter"] == chapter for figure in drawn), chapter.name
        assert all("<svg" in epub.read(svg).decode() for svg in svgs)


def test_the_dist_archive_holds_the_book_and_its_notebooks(tmp_path):
    result = run("make", "dist", f"BUILDDIR={tmp_path}")
    assert result.returncode == 0, result.stdout[-3000:]
    names = zipfile.ZipFile(tmp_path / "tf-torch-book-html.zip").namelist()
    assert "html/index.html" in names and "html/searchindex.js" in names
    assert f"html/notebooks/{CHAPTERS[0].stem}-pytorch.ipynb" in names
