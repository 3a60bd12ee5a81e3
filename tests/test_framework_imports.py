"""TensorFlow and Triton (PyPI's Linux PyTorch brings it) in one process: the order that
used to crash, and the book's order that works (book/_ext/framework_imports.py)."""

import importlib.util

import pytest

from conftest import BIN, ROOT, missing_tool, run
from framework_imports import STATEMENTS, TRITON_FIRST, setup_source

EXT = {"PYTHONPATH": str(ROOT / "book" / "_ext"), "TF_CPP_MIN_LOG_LEVEL": "2"}
# After the book's imports: what used to crash (Triton after TensorFlow; Dynamo imports it).
LATER = "import triton, torch._dynamo; print('alive')"


@pytest.fixture
def triton_installed():
    if importlib.util.find_spec("triton") is None:
        missing_tool("Triton is not installed (PyPI's Linux torch brings it): nothing to crash")


def python(code: str):
    return run(BIN / "python", "-c", code, env=EXT)


@pytest.mark.slow
@pytest.mark.usefixtures("triton_installed")
def test_the_old_order_is_the_crash_the_book_avoids():
    result = python("import tensorflow, triton")
    if result.returncode == 0:
        pytest.skip("`import tensorflow, triton` no longer crashes with these versions")
    # Killed by a signal: SIGSEGV with Triton 3.7; SIGABRT with 3.9, after "LLVM ERROR:
    # inconsistency in registered CommandLine options".
    assert result.returncode < 0, result.stdout


@pytest.mark.slow
@pytest.mark.usefixtures("triton_installed")
def test_the_doctest_builder_imports_survive_triton_and_dynamo():
    result = python(f"import framework_imports; framework_imports.import_frameworks(); {LATER}")
    assert result.returncode == 0, result.stdout
    assert result.stdout.endswith("alive\n")


@pytest.mark.slow
@pytest.mark.usefixtures("triton_installed")
def test_a_notebook_setup_with_both_frameworks_survives_triton_and_dynamo():
    setup = setup_source({"numpy", "tensorflow", "torch"})
    assert setup.index(TRITON_FIRST) < setup.index(STATEMENTS["tensorflow"])
    result = python(f"{setup}\n{LATER}")
    assert result.returncode == 0, result.stdout
    assert result.stdout.endswith("alive\n")


def test_the_preface_shows_readers_the_same_order():
    assert TRITON_FIRST in (ROOT / "book" / "preface.md").read_text()
