"""Shared helpers: run the book's tools in a subprocess, on the real book or on a copy."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from filelock import FileLock
from markdown_it import MarkdownIt
from mdit_py_plugins.colon_fence import colon_fence_plugin

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHAPTERS = sorted((ROOT / "book" / "chapters").glob("*.md"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))


# Under `make test`, make's variables would make a nested make print "Entering directory".
CLEAN_ENVIRON = {
    k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")
}


def run(*command, cwd=ROOT, env=None, text=True) -> subprocess.CompletedProcess:
    """Run a command; its output (stdout and stderr together) is in `.stdout`."""
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**CLEAN_ENVIRON, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=text,
    )


def sphinx(builder: str, source: Path, out: Path, *args, **kwargs):
    """sphinx-build with the Makefile's strictness, on the book at `source` (a repo root)."""
    return run(
        BIN / "sphinx-build",
        *("-c", source, "-d", out / "doctrees", "-n", "-W", "--keep-going", "-b", builder),
        *(source / "book", out / builder, *args),
        cwd=source,
        **kwargs,
    )


PARSER = MarkdownIt("commonmark").use(colon_fence_plugin)


def code_blocks(text: str, first_line: int = 1):
    """(line, fence info, code) of every code block, also inside ::: directives."""
    for token in PARSER.parse(text):
        line = first_line + token.map[0] if token.map else first_line
        if token.type == "colon_fence":
            yield from code_blocks(token.content, line + 1)
        elif token.type in ("fence", "code_block"):
            yield line, token.info.strip(), token.content


def doctest_blocks(chapter: Path) -> list[tuple[str, str]]:
    """(group, code) of each {doctest} block of a chapter, in order, without option lines."""
    blocks = []
    for _, info, code in code_blocks(chapter.read_text()):
        directive, _, group = info.partition(" ")
        if directive == "{doctest}":
            lines = [line for line in code.splitlines() if not line.startswith(":")]
            blocks.append((group.strip(), "\n".join(lines) + "\n"))
    return blocks


def missing_tool(reason: str) -> None:
    """Skip where a system tool is missing; under CI (CI=true) a missing one is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def book_copy(tmp_path) -> Path:
    """A private copy of the book to break on purpose: its configuration, extensions and
    static files, and a table of contents that lists every chapter a test adds, but none of
    the book's pages, whose reading would double the time of each build."""
    copy = tmp_path / "repo"
    (copy / "book" / "chapters").mkdir(parents=True)
    for name in ("conf.py", "pyproject.toml", "Makefile"):
        shutil.copy(ROOT / name, copy / name)
    for folder in ("_ext", "_static", "_templates", "concordance", "figures"):
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / "book" / folder, copy / "book" / folder, ignore=ignore)
    (copy / "book" / "index.md").write_text("# A copy\n\n```{toctree}\n:glob:\n\nchapters/*\n```\n")
    return copy


def add_chapter(repo: Path, name: str, text: str) -> Path:
    path = repo / "book" / "chapters" / name
    path.write_text(text)
    return path


@pytest.fixture(scope="session")
def html(tmp_path_factory) -> Path:
    """The real book, built once as HTML with warnings as errors. Under pytest-xdist every
    worker has a session of its own, so they share one build in the run's folder: the
    first to need it builds it while the others wait."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return build_html(tmp_path_factory.mktemp("book"))
    shared = tmp_path_factory.getbasetemp().parent  # this run's, above each worker's own
    with FileLock(shared / "html.lock"):
        if not (shared / "html.built").exists():
            build_html(shared / "book")
            (shared / "html.built").touch()
    return shared / "book" / "html"


def build_html(out: Path) -> Path:
    result = sphinx("html", ROOT, out)
    assert result.returncode == 0, result.stdout
    assert "build succeeded." in result.stdout
    return out / "html"


@pytest.fixture(scope="session")
def chapters_alone(tmp_path_factory) -> tuple[subprocess.CompletedProcess, str]:
    """The book's examples with each chapter in a fresh process of its own, and the token
    that every process an example starts carries (MARKER): one run for the tests of both.
    Tests that use it are in the xdist group "chapters_alone", so the run is made once."""
    from child_process import MARKER

    token = uuid.uuid4().hex
    out = tmp_path_factory.mktemp("alone")
    args = ("-D", "doctest_process_per_chapter=1")
    return sphinx("doctest", ROOT, out, *args, env={MARKER: token}), token


def hide_modules(folder: Path, *names: str) -> dict:
    """An environment in which importing `names` fails as if they were not installed."""
    for name in names:
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(
            f"raise ModuleNotFoundError(\"No module named '{name}'\", name='{name}')\n"
        )
    return {"PYTHONPATH": str(folder)}


# Under `make test` (pytest-xdist, --dist loadgroup) tests that share an expensive session
# build run in one worker, so each build is made once: the PDF, and the served HTML.
SHARED_BUILDS = {"test_formats.py": "pdf", "test_browser.py": "browser"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups into node ids
def pytest_collection_modifyitems(items):
    for item in items:
        if group := SHARED_BUILDS.get(item.path.name):
            item.add_marker(pytest.mark.xdist_group(group))
