"""Each chapter as Jupyter notebooks, one per framework, for readers who want to play.

A notebook holds the chapter's prose as Markdown cells and one framework's examples as code
cells, with the outputs the book checked already filled in. One notebook per framework,
because each doctest group is its own namespace: `x` in a TensorFlow block is not the `x`
of the PyTorch block next to it. Legacy blocks go into their framework's notebook, and
`port` blocks (both frameworks in one namespace) into a third notebook of their own.

The chapter's MyST source is already Markdown, so the notebook is made from the source:
only the book's own constructs are rewritten (`compare` blocks, admonitions, roles).

- `make notebooks` (the `notebooks` builder) writes them all into _build/notebooks.
- The HTML build writes them next to the pages (notebooks/) and the header of each chapter
  offers them for download (book/_templates/notebook-download.html).
"""

import ast
import doctest
import inspect
import json
import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.colon_fence import colon_fence_plugin
from sphinx.builders import Builder
from sphinx.util import logging

import child_process
from api_links import URLS
from framework_imports import ENVIRONMENT, TRITON_FIRST, setup_source
from frameworks import GROUPS
from versions import pinned_versions

logger = logging.getLogger(__name__)

CHILD_IMPORTS = "from framework_imports import ENVIRONMENT, TRITON_FIRST"
PARSER = MarkdownIt("commonmark").use(colon_fence_plugin).enable("table")
NAMES = {"tf": "TensorFlow", "torch": "PyTorch", "port": "Both frameworks"}
FILE_SUFFIX = {"tf": "tensorflow", "torch": "pytorch", "port": "both"}
# The book's global setup (conf.py) imports all three; a notebook imports the other
# framework only where its examples use it (DLPack, for one).
MODULES = {"tf": "tensorflow", "torch": "torch"}
# Jupyter shows only a cell's last expression, pretty-printed; the book shows every value a
# statement computes (also inside `with` and `for`) as its repr, as doctest does.
DISPLAY = [
    "# Show values as the book prints them: repr, also inside `with` and `for` blocks",
    "%config InteractiveShell.ast_node_interactivity = 'last'",
    "%config PlainTextFormatter.pprint = False",
]
JUPYTER_PRINT = "In Jupyter, tf.print to sys.stdout goes through Python: output may move"
OPTION = re.compile(r"^:[\w-]+:")
OPTION_VALUE = re.compile(r"^:([\w-]+):[ \t]*(.*)$", re.M)
ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")
TITLED = re.compile(r"(.*?)\s*<(.+)>$", re.S)


def notebook_name(docname: str, framework: str) -> str:
    return f"{Path(docname).name}-{FILE_SUFFIX[framework]}.ipynb"


def role_to_markdown(match: re.Match) -> str:
    role, text = match.group(1), match.group(2)
    titled = TITLED.match(text)
    title, target = (titled.group(1), titled.group(2)) if titled else (None, text)
    if role in URLS:
        name = target.removeprefix(f"{role}.")
        return f"[`{title or f'{role}.{name}'}`]({URLS[role](name)})"
    if role in ("term", "ref", "doc"):
        return title or target
    return f"`{text}`"


def markdown(lines: list[str]) -> str:
    text = "\n".join(line for line in lines if not re.match(r"^\(.+\)=\s*$", line))
    return ROLE.sub(role_to_markdown, text)


def code_cells(block: str) -> list[dict]:
    """One cell for each run of examples that ends in an output, as doctest shows them."""
    lines = block.splitlines()
    skip = [line for line in lines if line.startswith(":skipif:")]
    block = "\n".join(line for line in lines if not OPTION.match(line)) + "\n"
    cells, source = [], []
    for example in doctest.DocTestParser().get_examples(block):
        source.append(example.source)
        if example.want or example.exc_msg is not None:
            cells.append(code_cell("".join(source), example))
            source = []
    if source:
        cells.append(code_cell("".join(source), None))
    if "tf.print(" in block and "sys.stdout" in block and cells:
        # The book compares what tf.print writes to file descriptor 1; a Jupyter kernel
        # sends it through Python's sys.stdout instead, so where it shows up can differ.
        cells[0]["source"] = f"# {JUPYTER_PRINT}\n" + cells[0]["source"]
        for cell in cells:
            cell["metadata"]["jupyter_differs"] = JUPYTER_PRINT
    if skip and cells:  # say why the cells may not run here, as the book's skip does
        condition = skip[0].removeprefix(":skipif:").strip()
        cells[0]["source"] = (
            f"# The book skips these cells where {condition}\n" + cells[0]["source"]
        )
        for cell in cells:
            cell["metadata"]["skipif"] = condition
    return cells


def code_cell(source: str, example: doctest.Example | None) -> dict:
    outputs = []
    if example is not None and example.exc_msg is not None:
        # doctest's exc_msg is "module.Class: message", as Python prints it.
        raised, _, message = example.exc_msg.partition(":")
        outputs.append(
            {
                "output_type": "error",
                "ename": raised.rsplit(".", 1)[-1],
                "evalue": message.strip(),
                "traceback": example.want.splitlines(),
            }
        )
    elif example is not None:
        want = re.sub(r"(?m)^<BLANKLINE>$", "", example.want)  # doctest's mark for ""
        if shows_value(source):
            outputs.append(
                {
                    "output_type": "execute_result",
                    "execution_count": None,
                    "data": {"text/plain": want.rstrip("\n")},
                    "metadata": {},
                }
            )
        else:
            outputs.append({"output_type": "stream", "name": "stdout", "text": want})
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": outputs,
        "source": source.rstrip("\n"),
    }


def shows_value(source: str) -> bool:
    """Whether the output is the value of the last expression (not something printed)."""
    try:
        last = ast.parse(source).body[-1]
    except (SyntaxError, IndexError):
        return False
    if not isinstance(last, ast.Expr):
        return False
    call = last.value
    printer = isinstance(call, ast.Call) and ast.unparse(call.func) in ("print", "tf.print")
    return not printer


def admonition(node: SyntaxTreeNode) -> list[str]:
    kind, _, title = node.info.strip().strip("{").partition("}")
    body = [line for line in node.content.splitlines() if not OPTION.match(line)]
    heading = title.strip() or kind.capitalize()
    return [f"> **{heading}**", ">", *[f"> {line}".rstrip() for line in body]]


def figure(node: SyntaxTreeNode) -> list[str]:
    """A figure's caption and its description (alt text): a notebook has no Graphviz."""
    options = dict(OPTION_VALUE.findall(node.content))
    caption, alt = options.get("caption", ""), options.get("alt", "")
    return [f"> **Figure.** {caption}".rstrip(), ">", f"> {alt}".rstrip()]


def chapter_notebooks(source: Path, title: str, versions: dict) -> dict[str, dict] | None:
    """{framework: notebook} for a chapter, or None for a page without examples."""
    text = source.read_text()
    if ":::{compare}" not in text:
        return None
    lines = text.splitlines()
    cells: dict[str, list[dict]] = {framework: [] for framework in NAMES}
    prose: list[str] = []

    def flush():
        if any(line.strip() for line in prose):
            for framework in NAMES:
                cells[framework].append(markdown_cell(markdown(prose).strip("\n")))
        prose.clear()

    for node in SyntaxTreeNode(PARSER.parse(text)).children:
        start, end = node.map
        info = node.info.strip() if node.type in ("colon_fence", "fence") else ""
        if info == "{compare}":
            flush()
            for fence in SyntaxTreeNode(PARSER.parse(node.content)).children:
                group = fence.info.strip().partition(" ")[2].strip()
                if fence.type == "fence" and group in GROUPS:
                    cells[GROUPS[group].framework].extend(code_cells(fence.content))
        elif info.startswith("{graphviz}"):
            prose.extend(figure(node))
            prose.append("")
        elif info.startswith("{") and node.type == "colon_fence":
            prose.extend(admonition(node))
            prose.append("")
        else:
            prose.extend(lines[start:end])
            prose.append("")
    flush()

    notebooks = {}
    for framework, name in NAMES.items():
        if not any(cell["cell_type"] == "code" for cell in cells[framework]):
            continue  # the porting notebook exists only where a chapter has `port` code
        intro = (
            f"*{name} examples of the chapter “{title}” of* TensorFlow and PyTorch, Side by "
            f"Side. *Run the cells in order; the outputs shown were verified with "
            f"{versions[framework]}.*"
        )
        code = "\n".join(c["source"] for c in cells[framework] if c["cell_type"] == "code")
        modules = {"numpy"} | {
            module for other, module in MODULES.items() if other == framework or f"{other}." in code
        }
        setup = "\n".join([*DISPLAY, setup_source(modules)])
        if "run_script(" in code:  # the book's helper for examples in a fresh process
            setup += "\n\n" + run_script_source()
        body = [markdown_cell(intro), setup_cell(setup), *cells[framework]]
        notebooks[framework] = {
            "cells": body,
            "metadata": {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    for notebook in notebooks.values():
        for number, cell in enumerate(notebook["cells"]):
            cell["id"] = f"cell-{number}"
    return notebooks


def run_script_source() -> str:
    """The book's `run_script` (child_process.py) for a notebook's first cell: what it
    imports from framework_imports is written out, as a notebook has no book/_ext."""
    constants = f"ENVIRONMENT = {ENVIRONMENT!r}\nTRITON_FIRST = {TRITON_FIRST!r}"
    return inspect.getsource(child_process).replace(CHILD_IMPORTS, constants)


def markdown_cell(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def setup_cell(source: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": source,
    }


# The pins (pyproject.toml, group "frameworks") each notebook names as verified.
PINS = {
    "tf": ("tensorflow-cpu", "keras", "numpy"),
    "torch": ("torch", "numpy"),
    "port": ("tensorflow-cpu", "keras", "torch", "numpy"),
}


def verified_versions(app, framework: str) -> str:
    pyproject = Path(app.srcdir).parent / "pyproject.toml"
    pins = {package: version for _, package, version, _ in pinned_versions(pyproject)}
    return ", ".join(f"{package} {pins[package]}" for package in PINS[framework])


def write_notebooks(app, docname: str, outdir: Path) -> list[tuple[str, str]]:
    """Write a page's notebooks into outdir; (framework name, file name) of each."""
    title = app.env.titles[docname].astext() if docname in app.env.titles else docname
    versions = {framework: verified_versions(app, framework) for framework in NAMES}
    notebooks = chapter_notebooks(Path(app.env.doc2path(docname)), title, versions)
    if notebooks is None:
        return []
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for framework, notebook in notebooks.items():
        name = notebook_name(docname, framework)
        (outdir / name).write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        written.append((NAMES[framework], name))
    return written


class NotebookBuilder(Builder):
    """`make notebooks`: every chapter's notebooks, and nothing else."""

    name = "notebooks"
    format = "ipynb"
    epilog = "The notebooks are in %(outdir)s."

    def get_outdated_docs(self):
        return self.env.found_docs

    def get_target_uri(self, docname: str, typ: str | None = None) -> str:
        return ""

    def prepare_writing(self, docnames) -> None:
        pass

    def write_doc(self, docname: str, doctree) -> None:
        write_notebooks(self.app, docname, Path(self.outdir))


def offer_download(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Write the page's notebooks next to the HTML, for the header's download menu."""
    if doctree is None or app.builder.format != "html" or app.builder.name != "html":
        return
    written = write_notebooks(app, pagename, Path(app.outdir) / "notebooks")
    context["notebooks"] = [(name, f"notebooks/{file}") for name, file in written]


def setup(app):
    app.add_builder(NotebookBuilder)
    app.connect("html-page-context", offer_download)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
