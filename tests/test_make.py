"""The Makefile: every target listed, and bad input stopped with one clear line."""

import io
import re
import shutil
import tarfile

import pytest

from conftest import BIN, CHAPTERS, ROOT, run

TARGETS = [
    "help",
    "html",
    "doctest",
    "doctest-gpu",
    "bench",
    "upgrade-report",
    "pdf",
    "epub",
    "notebooks",
    "dist",
    "test",
    "lint",
    "serve",
    "clean",
]


def test_help_is_the_default_and_lists_every_target():
    result = run("make")
    assert result.returncode == 0
    listed = [line.split()[1] for line in result.stdout.splitlines()]
    assert listed == TARGETS


def test_an_unknown_chapter_is_one_clear_line():
    result = run("make", "doctest", "CHAPTER=book/chapters/99-nope.md")
    assert result.returncode != 0
    assert re.fullmatch(
        r"Makefile:\d+: \*\*\* CHAPTER=book/chapters/99-nope.md is not a chapter; "
        r"use a path such as book/chapters/01-tensors.md.  Stop.\n",
        result.stdout,
    )


def test_doctest_gpu_without_a_gpu_is_one_clear_line():
    if shutil.which("nvidia-smi"):
        pytest.skip("nvidia-smi is present on this machine")
    result = run("make", "doctest-gpu")
    assert result.returncode != 0
    assert re.fullmatch(
        r"Makefile:\d+: \*\*\* doctest-gpu needs a CUDA machine and nvidia-smi finds no GPU "
        r"here; run make doctest.  Stop.\n",
        result.stdout,
    )


@pytest.mark.slow
def test_a_tree_without_git_builds_and_runs_its_examples(tmp_path):
    """What a "Download ZIP" gives: the files of HEAD, no .git (the date comes from them)."""
    if not (ROOT / ".git").exists():
        pytest.skip("this tree is not a git checkout, so there is no HEAD to archive")
    archive = run("git", "archive", "--format=tar", "HEAD", text=False).stdout
    tree = tmp_path / "tree"
    with tarfile.open(fileobj=io.BytesIO(archive)) as files:
        files.extractall(tree, filter="tar")
    (tree / ".venv").symlink_to(BIN.parent)  # the environment this test runs in, as it is:
    installed = ("-o", ".venv/installed-docs", "-o", ".venv/installed-frameworks")
    chapter = CHAPTERS[0].relative_to(ROOT)
    for target in (["html"], ["doctest", f"CHAPTER={chapter}"]):
        result = run("make", *installed, *target, f"BUILDDIR={tmp_path / 'out'}", cwd=tree)
        assert result.returncode == 0, result.stdout[-3000:]
        assert "build succeeded" in result.stdout and "Traceback" not in result.stdout
