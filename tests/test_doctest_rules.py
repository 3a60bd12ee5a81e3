"""The doctest run catches what it must: wrong outputs, deprecations, skips, missing tools."""

import re
import shutil

import pytest

from conftest import BIN, CHAPTERS, ROOT, add_chapter, hide_modules, run, sphinx
from doctest_cache import shared_key
from doctest_workers import costs

pytestmark = pytest.mark.slow

RULES_CHAPTER = """\
# Rules

:::{compare}
```{doctest} tf
>>> import sys
>>> print("Python first"); tf.print("then C++", output_stream=sys.stdout); print("Python")
Python first
then C++
Python
```
:::

:::{compare}
```{doctest} tf
>>> import warnings
>>> warnings.warn("old API", DeprecationWarning)
```
```{doctest} torch-legacy
>>> import warnings
>>> warnings.warn("old API", DeprecationWarning)
>>> print("legacy ran")
legacy ran
```
:::

:::{compare}
```{doctest} torch
:skipif: True
>>> print("never run")
```
:::
"""


def test_a_changed_output_fails_and_names_file_and_line(book_copy, tmp_path):
    # A real chapter, in the whole book, whose pages it links to.
    shutil.copytree(ROOT / "book", book_copy / "book", dirs_exist_ok=True)
    chapter = book_copy / "book" / "chapters" / CHAPTERS[0].name
    lines = chapter.read_text().splitlines()
    prompt = next(
        i
        for i, line in enumerate(lines)
        if line.startswith(">>> ")
        and lines[i + 1].strip()
        and not lines[i + 1].startswith((">>>", "..."))
    )
    lines[prompt + 1] += " changed"
    chapter.write_text("\n".join(lines) + "\n")
    result = sphinx("doctest", book_copy, tmp_path / "out", chapter)
    assert result.returncode != 0
    assert f'File "book/chapters/{chapter.name}", line {prompt + 1}, in ' in result.stdout
    assert "1 failure in tests" in result.stdout


def test_deprecations_fail_modern_code_only_and_skips_are_listed(book_copy, tmp_path):
    # A library's warning about its own insides is not the example's fault: it passes.
    (tmp_path / "library.py").write_text(
        "import warnings\nwarnings.warn('inner', DeprecationWarning, stacklevel=1)\n"
    )
    chapter = add_chapter(
        book_copy,
        "99-rules.md",
        RULES_CHAPTER.replace(">>> import warnings\n", ">>> import library, warnings\n", 1),
    )
    result = sphinx("doctest", book_copy, tmp_path / "out", chapter, env={"PYTHONPATH": tmp_path})
    assert result.returncode != 0
    assert re.search(r'File "book/chapters/99-rules.md", line 16, in tf\n', result.stdout)
    assert "DeprecationWarning: old API" in result.stdout
    assert "legacy ran" not in result.stdout  # the legacy block passed, so nothing printed
    assert "1 failure in tests" in result.stdout
    assert "    1 skipped block\n      book/chapters/99-rules.md:28 (skipif: True)" in result.stdout


CUDA_CHAPTER = """\
# CUDA

:::{compare}
```{doctest} tf
:skipif: True
>>> print("TensorFlow on the GPU")
```
```{doctest} torch
:skipif: False
>>> print("PyTorch on the GPU")
PyTorch on the GPU
```
:::
"""


def gpu_run(book_copy, tmp_path, asked: str, seen: set[str]):
    """`make doctest-gpu GPU_FRAMEWORKS=asked` where the frameworks in `seen` see a GPU.

    CUDA is absent here, so only the GPU check is stubbed; the chapter's TensorFlow CUDA
    block is skipped (as where TensorFlow sees no GPU) and the PyTorch one runs."""
    chapter = add_chapter(book_copy, "99-cuda.md", CUDA_CHAPTER)
    script = (
        f"import sys, doctest_rules; doctest_rules.sees_gpu = {sorted(seen)!r}.__contains__; "
        "from sphinx.cmd.build import main; sys.exit(main(sys.argv[1:]))"
    )
    args = ("-c", book_copy, "-d", tmp_path / "d", "-b", "doctest")
    return run(
        BIN / "python",
        *("-c", script, *args, "-D", f"doctest_gpu_frameworks={asked}"),
        *(book_copy / "book", tmp_path / "o", chapter),
        cwd=book_copy,
        env={"PYTHONPATH": book_copy / "book" / "_ext"},
    )


RAN = "    1 CUDA block ran\n      book/chapters/99-cuda.md:9\n"
SKIPPED = "    1 skipped block\n      book/chapters/99-cuda.md:5 (skipif: True)\n"


def test_a_skip_fails_the_gpu_run(book_copy, tmp_path):
    result = gpu_run(book_copy, tmp_path, "tf torch", seen={"tf", "torch"})
    assert result.returncode != 0
    assert SKIPPED in result.stdout and RAN in result.stdout
    assert "doctest-gpu: 1 block(s) were skipped on a CUDA machine" in result.stdout
    assert "0 failures in tests" in result.stdout


def test_a_framework_without_a_gpu_is_named_and_its_blocks_fail(book_copy, tmp_path):
    result = gpu_run(book_copy, tmp_path, "tf torch", seen={"torch"})
    assert result.returncode != 0
    assert (
        "doctest-gpu: TensorFlow sees no GPU, so its CUDA blocks are skipped and fail the "
        "run; GPU_FRAMEWORKS=torch runs the others alone"
    ) in result.stdout
    assert "doctest-gpu: 1 block(s) were skipped on a CUDA machine" in result.stdout


def test_gpu_frameworks_accepts_one_framework_and_says_what_did_not_run(book_copy, tmp_path):
    result = gpu_run(book_copy, tmp_path, "torch", seen={"torch"})
    assert result.returncode == 0, result.stdout
    assert SKIPPED + "\n" + RAN in result.stdout
    assert "TensorFlow's CUDA blocks were not run (GPU_FRAMEWORKS=torch)" in result.stdout
    assert "0 failures in tests" in result.stdout


def test_an_unknown_gpu_framework_is_one_clear_line(book_copy, tmp_path):
    result = gpu_run(book_copy, tmp_path, "torch jax", seen={"torch"})
    assert result.returncode != 0
    assert last_line(result) == "error: GPU_FRAMEWORKS=torch jax: jax is not tf or torch"


def last_line(result) -> str:
    assert "Traceback" not in result.stdout, result.stdout
    return result.stdout.strip().splitlines()[-1]


def test_a_missing_framework_is_one_clear_line(tmp_path):
    hidden = hide_modules(tmp_path / "hidden", "torch")
    result = sphinx("doctest", ROOT, tmp_path / "out", env=hidden)
    assert result.returncode != 0
    assert last_line(result) == (
        "error: PyTorch cannot be imported (No module named 'torch'); install the frameworks "
        "with `make doctest` (or `pip install --group frameworks`)"
    )


def test_the_gpu_run_without_cuda_is_one_clear_line(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = sphinx("doctest", ROOT, tmp_path / "out", "-D", "doctest_gpu_frameworks=tf torch")
    assert result.returncode != 0
    assert last_line(result) == (
        "error: doctest-gpu needs a CUDA device and neither TensorFlow nor PyTorch sees one; "
        "run `make doctest` on this machine"
    )


@pytest.mark.xdist_group("chapters_alone")
def test_each_chapter_passes_alone(chapters_alone):
    """Each chapter in a fresh process of its own, so none depends on another's state."""
    result, _ = chapters_alone
    assert result.returncode == 0, result.stdout[-3000:]
    assert "running tests in one process per chapter..." in result.stdout
    assert "0 failures in tests" in result.stdout


PASSING = ":::{compare}\n```{doctest} tf\n>>> print(1)\n1\n```\n:::\n"
FAILING = ":::{compare}\n```{doctest} torch\n>>> print(2)\n3\n```\n:::\n"
DYING = ":::{compare}\n```{doctest} torch\n>>> import os\n>>> os._exit(3)\n```\n:::\n"


def run_workers(book_copy, tmp_path, chapters: dict[str, str]):
    paths = [add_chapter(book_copy, name, f"# {name}\n\n{text}") for name, text in chapters.items()]
    args = (*paths, "-D", "doctest_workers=2")
    return sphinx("doctest", book_copy, tmp_path / "out", *args)


def test_workers_report_as_one_run(book_copy, tmp_path):
    skipping = RULES_CHAPTER.split(":::\n\n")[-1]
    chapters = {"97-a.md": FAILING, "98-b.md": FAILING, "99-c.md": skipping}
    result = run_workers(book_copy, tmp_path, chapters)
    assert result.returncode != 0
    assert "running tests in 2 processes..." in result.stdout
    assert "    1 skipped block\n      book/chapters/99-c.md:" in result.stdout
    assert "    2 tests\n    2 failures in tests" in result.stdout
    # Each failure by file and line, in chapter order as a serial run's would be.
    first = result.stdout.index('File "book/chapters/97-a.md", line 5, in torch')
    assert first < result.stdout.index('File "book/chapters/98-b.md", line 5, in torch')


def test_a_worker_that_dies_is_reported_and_the_others_still_count(book_copy, tmp_path):
    result = run_workers(book_copy, tmp_path, {"98-b.md": FAILING, "99-dies.md": DYING})
    assert result.returncode != 0
    assert "a worker died while testing chapters/99-dies (exit code 3)" in result.stdout
    assert "doctest: 1 worker(s) died; their chapters were not tested" in result.stdout
    assert 'File "book/chapters/98-b.md", line 5, in torch' in result.stdout
    assert "1 failure in tests" in result.stdout


def test_a_dead_worker_costs_only_its_chapter(book_copy, tmp_path):
    # The dying chapter is estimated costliest, so it goes first; the three others run on.
    chapters = {"96-dies.md": DYING, "97-a.md": FAILING, "98-b.md": PASSING, "99-c.md": PASSING}
    result = run_workers(book_copy, tmp_path, chapters)
    assert "a worker died while testing chapters/96-dies (exit code 3)" in result.stdout
    assert "    3 tests\n    1 failure in tests" in result.stdout


def test_a_chapter_not_timed_before_is_estimated_by_its_examples_and_scripts():
    sources = {"plain": ">>> 1\n" * 500, "script": ">>> run_script('')\n", "timed": ""}
    cost = costs({"timed": 9.0}, sources)
    assert cost["timed"] == 9.0 > cost["script"] > cost["plain"] > 0


def test_cached_skips_only_chapters_that_passed_and_did_not_change(book_copy, tmp_path):
    passing = add_chapter(book_copy, "98-pass.md", f"# Pass\n\n{PASSING}")
    failing = add_chapter(book_copy, "99-fail.md", f"# Fail\n\n{FAILING}")

    def cached_run():
        args = (passing, failing, "-D", "doctest_cached=1", "-D", "doctest_workers=1")
        return sphinx("doctest", book_copy, tmp_path / "out", *args)

    first, second = cached_run(), cached_run()
    assert "    0 chapters not run" in first.stdout
    assert "    2 tests\n    1 failure in tests" in first.stdout
    # The passing chapter is skipped and named; the failing one runs again.
    assert "passed last time, unchanged since\n      chapters/98-pass\n" in second.stdout
    assert "    1 test\n    1 failure in tests" in second.stdout
    # An edited chapter runs again, as does every chapter without CACHED.
    passing.write_text(passing.read_text().replace("print(1)\n1", "print(4)\n4"))
    assert "    2 tests\n" in cached_run().stdout
    plain = sphinx("doctest", book_copy, tmp_path / "out", passing, failing)
    assert "not run" not in plain.stdout and "    2 tests\n" in plain.stdout


def test_the_cache_key_follows_the_numerics_settings(monkeypatch):
    before = shared_key(ROOT)
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    assert shared_key(ROOT) != before
