"""Each chapter as notebooks: the right cells, valid files, and they run with the outputs shown."""

import doctest
import json
import os
import re

import nbformat
import pytest

from conftest import CHAPTERS, ROOT, doctest_blocks, run
from frameworks import GROUPS
from notebooks import NAMES, ROLE, chapter_notebooks, code_cells, notebook_name, role_to_markdown

BLOCK = """\
:options: +NORMALIZE_WHITESPACE
>>> x = tf.constant([1, 2])
>>> x.dtype
tf.int32
>>> print("printed")
printed
>>> y = 1
>>> x + 1.5
Traceback (most recent call last):
    ...
tensorflow.python.framework.errors_impl.InvalidArgumentError: cannot compute AddV2
"""


def test_cells_end_where_the_book_shows_an_output():
    cells = code_cells(BLOCK)
    assert [cell["source"] for cell in cells] == [
        "x = tf.constant([1, 2])\nx.dtype",
        'print("printed")',
        "y = 1\nx + 1.5",
    ]
    value, printed, error = (cell["outputs"] for cell in cells)
    assert value == [
        {
            "output_type": "execute_result",
            "execution_count": None,
            "data": {"text/plain": "tf.int32"},
            "metadata": {},
        }
    ]
    assert printed == [{"output_type": "stream", "name": "stdout", "text": "printed\n"}]
    assert error[0]["ename"] == "InvalidArgumentError"
    assert error[0]["evalue"] == "cannot compute AddV2"


def test_a_skipped_block_says_so_in_every_cell():
    cells = code_cells(":skipif: not torch.cuda.is_available()\n>>> 1\n1\n>>> 2\n2\n")
    assert cells[0]["source"].startswith(
        "# The book skips these cells where not torch.cuda.is_available()\n"
    )
    assert [cell["metadata"]["skipif"] for cell in cells] == ["not torch.cuda.is_available()"] * 2


def test_roles_become_markdown_links():
    convert = lambda text: ROLE.sub(role_to_markdown, text)  # noqa: E731
    assert convert("{tf}`nn.relu`") == (
        "[`tf.nn.relu`](https://www.tensorflow.org/api_docs/python/tf/nn/relu)"
    )
    assert convert("{torch}`the view <Tensor.view>`") == (
        "[`the view`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.view.html)"
    )
    assert convert("{term}`traces <trace>`") == "traces"


def test_a_figure_becomes_its_caption_and_description(tmp_path):
    chapter = tmp_path / "99-x.md"
    chapter.write_text(
        "# X\n\n```{graphviz} /figures/x.dot\n:alt: Two boxes, a and b.\n"
        ":caption: The {tf}`nn.relu` case.\n```\n\n"
        ":::{compare}\n```{doctest} tf\n>>> 1\n1\n```\n:::\n"
    )
    notebook = chapter_notebooks(chapter, "X", {"tf": "TensorFlow"})["tf"]
    text = "".join(cell["source"] for cell in notebook["cells"])
    assert "{graphviz}" not in text
    assert (
        "> **Figure.** The [`tf.nn.relu`](https://www.tensorflow.org/api_docs/python/tf/nn/relu)"
        " case.\n>\n> Two boxes, a and b." in text
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("notebooks")
    result = run("make", "notebooks", f"BUILDDIR={out}")
    assert result.returncode == 0, result.stdout
    return out / "notebooks"


def frameworks_of(chapter) -> list[str]:
    """The notebooks a chapter has: one per framework, and one for `port` code if any."""
    return [f for f in NAMES if f != "port" or "{doctest} port" in chapter.read_text()]


NOTEBOOKS = [(chapter, framework) for chapter in CHAPTERS for framework in frameworks_of(chapter)]
NOTEBOOK_IDS = [f"{chapter.stem}-{framework}" for chapter, framework in NOTEBOOKS]


def examples_of(chapter, framework: str) -> list[str]:
    """The code of every example of one framework in a chapter, in order."""
    sources = []
    for group, block in doctest_blocks(chapter):
        if GROUPS[group].framework == framework:
            sources += [e.source for e in doctest.DocTestParser().get_examples(block)]
    return sources


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_each_chapter_has_a_valid_notebook_per_framework_with_all_its_examples(built, chapter):
    assert sorted(path.name for path in built.glob(f"{chapter.stem}-*.ipynb")) == sorted(
        notebook_name(chapter.stem, framework) for framework in frameworks_of(chapter)
    )
    for framework in frameworks_of(chapter):
        path = built / notebook_name(chapter.stem, framework)
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        code = "\n".join(c.source for c in notebook.cells[2:] if c.cell_type == "code")
        code = re.sub(
            r"^# (The book skips these cells where|In Jupyter, ).*\n", "", code, flags=re.M
        )
        assert code + "\n" == "".join(examples_of(chapter, framework))


def test_the_html_offers_each_chapter_notebook_for_download(html):
    page = (html / "chapters" / f"{CHAPTERS[0].stem}.html").read_text()
    for framework in frameworks_of(CHAPTERS[0]):
        name, file = NAMES[framework], notebook_name(CHAPTERS[0].stem, framework)
        assert f'href="../notebooks/{file}" download>{name} notebook (.ipynb)</a>' in page
        assert json.loads((html / "notebooks" / file).read_text())["nbformat"] == 4
    assert "notebook-download" not in (html / "glossary.html").read_text()


def outputs(cell) -> str:
    """What a reader sees under a cell, in order and whitespace normalized (as the book's
    +NORMALIZE_WHITESPACE blocks); an exception by its class; warnings on stderr left out."""
    seen = []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            seen.append(f"raises {output.ename}")
        elif output.output_type == "stream" and output.name == "stdout":
            seen.append(output.text)
        elif output.output_type == "execute_result":
            seen.append(output.data["text/plain"])
    return " ".join(" ".join(seen).split())


@pytest.mark.slow
@pytest.mark.parametrize(("chapter", "framework"), NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_the_notebook_runs_in_jupyter_with_the_outputs_shown(built, chapter, framework):
    from nbclient import NotebookClient

    notebook = nbformat.read(built / notebook_name(chapter.stem, framework), as_version=4)
    shown = [outputs(cell) for cell in notebook.cells]
    # TensorFlow logs to stdout in an interactive kernel (a legacy API's deprecation notice,
    # say): log records, not the examples' output. After the notebook's imports (cell 1):
    quiet = nbformat.v4.new_code_cell(
        'import logging; logging.getLogger("tensorflow").setLevel(40)'
    )
    notebook.cells.insert(2, quiet)
    shown.insert(2, "")
    os.environ.update(TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")  # the book's settings
    NotebookClient(
        notebook,
        timeout=300,
        allow_errors=True,
        resources={"metadata": {"path": str(ROOT)}},
    ).execute()
    differ = [
        f"{cell.source}\n  shown: {want}\n  got:   {outputs(cell)}"
        for cell, want in zip(notebook.cells, shown, strict=True)
        if cell.cell_type == "code"
        and not {"skipif", "jupyter_differs"} & set(cell.metadata)  # each says why, in the cell
        and outputs(cell) != want
    ]
    assert not differ, "\n".join(differ[:5])
