"""The Makefile: every target listed, and bad input stopped with one clear line."""

import re
import shutil

import pytest

from conftest import run

TARGETS = [
    "help",
    "html",
    "doctest",
    "doctest-gpu",
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
