"""Runs the book's examples under its rules: Sphinx's doctest builder, made strict.

- The frameworks are imported once, before any example, in the order that keeps them
  working together (framework_imports.py). A missing one stops the run with one line that
  names it and the command that installs it.
- Every group starts from a fresh process's framework state (seeds, print options, default
  dtype, Keras and torch.compile caches), so no chapter depends on another.
- Modern groups turn DeprecationWarning and FutureWarning about the examples' own calls into
  errors, so the book fails the day a framework deprecates what it teaches; legacy groups
  (frameworks.py) allow them.
- Output that native code writes to file descriptor 1 is compared too: `tf.print(...,
  output_stream=sys.stdout)` prints from C++, where doctest alone would never see it.
- CUDA blocks (the only ones with `:skipif:`) are listed, those skipped and those run:
  Sphinx itself reports none.
- With `-D doctest_results=FILE` (the upgrade report, tools/upgrade_report.py) the run also
  writes FILE: each example whose output differs, that raises, or that warns (legacy groups
  included, where warnings are otherwise ignored), as JSON.
- With `-D doctest_cached=1` (`make doctest CACHED=1`) the chapters that passed last time and
  are unchanged since (doctest_cache.py) are skipped, and the summary names them.
- With `-D doctest_gpu_frameworks="tf torch"` (`make doctest-gpu`, GPU_FRAMEWORKS) a machine
  where neither framework sees a GPU stops the run at once, and a skipped CUDA block of a
  framework asked for fails it; a framework left out is named as not run.
"""

import contextlib
import doctest
import os
import random
import sys
import tempfile
import warnings
from pathlib import Path

from sphinx.ext.doctest import DocTestBuilder
from sphinx.util import logging
from sphinx.util.console import bold

from doctest_cache import PassedChapters
from doctest_results import RecordingRunner, ResultRecorder
from doctest_workers import COUNTS, run_in_workers, worker_count
from framework_imports import MissingFramework, import_frameworks
from frameworks import GROUPS, MODERN_ERRORS

logger = logging.getLogger(__name__)

GPU_NAMES = {"tf": "TensorFlow", "torch": "PyTorch"}


def stop(message: str) -> SystemExit:
    # SystemExit passes through Sphinx's error handler, so the reader sees this one line
    # instead of a crash report.
    return SystemExit(f"error: {message}")


def sees_gpu(framework: str) -> bool:
    import tensorflow as tf
    import torch

    return bool(
        tf.config.list_physical_devices("GPU") if framework == "tf" else torch.cuda.is_available()
    )


def gpu_frameworks(asked: str) -> set[str]:
    """The frameworks whose CUDA blocks must run (GPU_FRAMEWORKS). Stops at once where none
    of them sees a GPU; warns where one does not, as its skipped blocks will fail the run."""
    wanted = set(asked.replace(",", " ").split())
    if unknown := wanted - set(GPU_NAMES):
        raise stop(f"GPU_FRAMEWORKS={asked}: {' '.join(sorted(unknown))} is not tf or torch")
    seen = {framework for framework in wanted if sees_gpu(framework)}
    names = " nor ".join(GPU_NAMES[framework] for framework in sorted(wanted))
    if not seen:
        raise stop(
            f"doctest-gpu needs a CUDA device and {'neither ' * (len(wanted) > 1)}{names} sees "
            f"{'one' if len(wanted) > 1 else 'none'}; run `make doctest` on this machine"
        )
    for framework in sorted(wanted - seen):
        logger.warning(
            "doctest-gpu: %s sees no GPU, so its CUDA blocks are skipped and fail the run; "
            "GPU_FRAMEWORKS=%s runs the others alone",
            GPU_NAMES[framework],
            " ".join(sorted(seen)),
        )
    return wanted


def reset_framework_state(np_print_defaults: dict) -> None:
    """Put back what a fresh process starts with; random seeds become unpredictable, so a
    block that forgets to seed fails at once instead of passing by luck of the order."""
    import numpy as np
    import tensorflow as tf
    import torch

    np.set_printoptions(**np_print_defaults)
    # Keras' ONNX export defines the alias np.object (removed in NumPy 1.24) for tf2onnx.
    vars(np).pop("object", None)
    np.random.seed()
    random.seed()
    torch.seed()
    torch.set_printoptions(profile="default", sci_mode=None)
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)
    if torch.are_deterministic_algorithms_enabled():  # the setter imports inductor: 1 s
        torch.use_deterministic_algorithms(False)
    tf.random.set_seed(None)
    tf.config.run_functions_eagerly(False)
    if "keras" in sys.modules:  # layer-name counters and float type
        sys.modules["keras"].backend.clear_session(free_memory=False)  # gc: 0.5 s a group
        sys.modules["keras"].config.set_floatx("float32")
    if "torch._dynamo" in sys.modules:  # compiled-code caches and recompile counters
        sys.modules["torch._dynamo"].reset()


def file_order(place: str) -> tuple[str, int]:
    """Sorts "book/chapters/x.md:12 (...)" by file, then line."""
    path, line = place.split(" ")[0].rsplit(":", 1)
    return path, int(line)


class DescriptorOut(doctest._SpoofOut):
    """doctest's stdout, kept in a file that is also file descriptor 1, so that what Python
    prints and what native code writes there are compared together, in the order written."""

    def __init__(self, capture):
        super().__init__()
        self.capture = capture

    def write(self, text: str) -> int:
        os.write(1, text.encode())
        return len(text)

    def getvalue(self) -> str:
        self.capture.seek(0)
        text = self.capture.read().decode()
        return text + "\n" if text and not text.endswith("\n") else text

    def truncate(self, size=None) -> int:
        self.capture.seek(0)
        return self.capture.truncate()


class BookDocTestBuilder(DocTestBuilder):
    def init(self) -> None:
        self.skips: list[tuple[str, str]] = []  # (framework, where and why) of each skip
        self.cuda_ran: list[str] = []
        self.died: list[str] = []  # the chapters of workers that died
        self.chapter_failures: dict[str, int] = {}  # failed examples, setups, cleanups
        self.cached: list[str] = []  # chapters skipped by CACHED=1
        self.source_lines: dict[str, list[str]] = {}
        self.real_stdout: int | None = None
        self.buffer: list[str] | None = None  # in a worker: the report, kept for the parent
        self.started = False
        results = self.config.doctest_results
        self.recorder = ResultRecorder(results) if results else None
        super().init()
        asked = self.config.doctest_gpu_frameworks
        self.gpu_required = set()
        if asked:  # checked before anything runs; a GPU run stays in this process
            self.start_examples()
            self.gpu_required = gpu_frameworks(asked)

    def start_examples(self) -> None:
        try:
            import_frameworks()
        except MissingFramework as error:
            raise stop(
                f"{error}; install the frameworks with `make doctest` "
                "(or `pip install --group frameworks`)"
            ) from None
        import numpy as np

        self.np_print_defaults = np.get_printoptions()
        self.started = True

    def write_documents(self, docnames) -> None:
        root = Path(self.srcdir).parent  # the book is in book/
        sources = {doc: Path(self.env.doc2path(doc)) for doc in docnames}
        passed = PassedChapters(self.outdir, root, sources)
        if self.config.doctest_cached:
            self.cached = passed.unchanged(sorted(docnames))
        docnames = sorted(set(docnames) - set(self.cached))
        if docnames:
            self.run_chapters(docnames)
        passed.record(docnames, self.chapter_failures)

    def run_chapters(self, docnames: list[str]) -> None:
        one_per_chapter = self.config.doctest_process_per_chapter
        workers = worker_count(self.config.doctest_workers, len(docnames))
        if self.gpu_required or (workers == 1 and not one_per_chapter):
            if not self.started:
                self.start_examples()
            return super().write_documents(docnames)
        processes = "one process per chapter" if one_per_chapter else f"{workers} processes"
        logger.info(bold(f"running tests in {processes}..."))
        merged = run_in_workers(self, docnames, workers, one_per_chapter)
        for docname in docnames:
            self._out(merged["reports"].get(docname, ""))
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + merged["counts"][name])
        self.skips = sorted(merged["skips"], key=lambda skip: file_order(skip[1]))
        self.cuda_ran = sorted(merged["cuda_ran"], key=file_order)
        self.died = merged["died"]
        self.chapter_failures = merged["failures"]
        if self.recorder:
            self.recorder.results += merged["recorded"]

    def _out(self, text: str) -> None:
        if self.buffer is None:
            return super()._out(text)
        self.buffer.append(text)

    def test_doc(self, docname: str, doctree) -> None:
        before = sum(getattr(self, name) for name in COUNTS if name.endswith("failures"))
        super().test_doc(docname, doctree)
        after = sum(getattr(self, name) for name in COUNTS if name.endswith("failures"))
        self.chapter_failures[docname] = after - before

    def get_filename_for_node(self, node, docname: str) -> str:
        # Relative to where make runs, so editors and terminals can open the reported path.
        return (
            os.path.relpath(node.source)
            if node.source
            else super().get_filename_for_node(node, docname)
        )

    def get_line_number(self, node) -> int | None:
        """The line before the block's first line of code, as doctest counts from there.

        MyST gives the fence's line, and directive options may sit between it and the code."""
        if node.line is None or not node.source:
            return node.line
        if node.source not in self.source_lines:
            self.source_lines[node.source] = Path(node.source).read_text().splitlines()
        lines, first = self.source_lines[node.source], node.astext().lstrip().splitlines()[0]
        for index in range(node.line, len(lines)):
            if lines[index].strip() == first.strip():
                return index
        return node.line

    def skipped(self, node) -> bool:
        skip = super().skipped(node)
        if "skipif" in node:  # only CUDA blocks carry a skip condition
            where = f"{self.get_filename_for_node(node, '')}:{self.get_line_number(node)}"
            group = GROUPS.get(node["groups"][0])
            framework = group.framework if group else "port"
            if skip:
                self.skips.append((framework, f"{where} (skipif: {node['skipif']})"))
            else:
                self.cuda_ran.append(where)
        return skip

    def test_group(self, group) -> bool:
        reset_framework_state(self.np_print_defaults)
        legacy = group.name in GROUPS and GROUPS[group.name].legacy
        if self.recorder and not isinstance(self.test_runner, RecordingRunner):
            # Sphinx makes a document's runners in test_doc: swap in one that records,
            # before the document's first group runs.
            self.test_runner = RecordingRunner(verbose=False, optionflags=self.opt)
            self.test_runner.recorder = self.recorder
        with warnings.catch_warnings(), self.descriptor_1_captured():
            if self.recorder:  # recorded instead of printed
                warnings.showwarning = self.recorder.showwarning
            for category in MODERN_ERRORS:
                if self.recorder:  # every one, legacy groups' too
                    warnings.filterwarnings("always", category=category)
                elif legacy:
                    warnings.filterwarnings("ignore", category=category)
                if not legacy:  # only warnings about the example's own calls (this filter
                    # comes first); a library's inner warnings are left as Python shows them
                    warnings.filterwarnings("error", category=category, module="__main__")
            return super().test_group(group)

    @contextlib.contextmanager
    def descriptor_1_captured(self):
        sys.stdout.flush()
        with tempfile.TemporaryFile() as capture:
            for runner in (self.setup_runner, self.test_runner, self.cleanup_runner):
                runner._fakeout = DescriptorOut(capture)
            self.real_stdout = os.dup(1)
            os.dup2(capture.fileno(), 1)
            try:
                yield
            finally:
                os.dup2(self.real_stdout, 1)
                os.close(self.real_stdout)
                self.real_stdout = None

    def _warn_out(self, text: str) -> None:
        if self.buffer is not None:
            return self.buffer.append(text)
        # Failure reports go to the terminal, not into the next example's captured output.
        if self.real_stdout is None:
            return super()._warn_out(text)
        capture = os.dup(1)
        os.dup2(self.real_stdout, 1)
        try:
            super()._warn_out(text)
            sys.__stdout__.flush()
        finally:
            os.dup2(capture, 1)
            os.close(capture)

    def finish(self) -> None:
        if self.config.doctest_cached:
            self.summary("chapter", self.cached, "not run: passed last time, unchanged since")
        self.summary("skipped block", [skip for _, skip in self.skips])
        self.summary("CUDA block", self.cuda_ran, "ran")
        # A GPU run fails on a skipped block of a framework it was asked to run on the GPU
        # (`port` blocks need both); the others are named as not run.
        required = self.gpu_required | {"port"} if self.gpu_required else set()
        failed = [skip for framework, skip in self.skips if framework in required]
        for framework in sorted(GPU_NAMES.keys() - self.gpu_required if required else ()):
            self._out(
                f"      {GPU_NAMES[framework]}'s CUDA blocks were not run (GPU_FRAMEWORKS="
                f"{' '.join(sorted(self.gpu_required))})\n"
            )
        for share in self.died:
            self._out(f"      a worker died while testing {share}\n")
        super().finish()
        if self.died:
            logger.error(
                "doctest: %d worker(s) died; their chapters were not tested", len(self.died)
            )
            self._app.statuscode = 1
        if self.recorder:
            self.recorder.write(self.total_tries)
        if failed:
            logger.error("doctest-gpu: %d block(s) were skipped on a CUDA machine", len(failed))
            self._app.statuscode = 1

    def summary(self, noun: str, places: list[str], verb: str = "") -> None:
        self._out(f"\n{len(places):5} {noun}{'s' * (len(places) != 1)} {verb}".rstrip() + "\n")
        for place in places:
            self._out(f"      {place}\n")


def setup(app):
    app.setup_extension("sphinx.ext.doctest")
    app.add_builder(BookDocTestBuilder, override=True)
    # Worker processes (0: one per core), or a fresh process for each chapter.
    app.add_config_value("doctest_workers", 0, "", types=frozenset({int}))
    app.add_config_value("doctest_process_per_chapter", False, "", types=frozenset({bool}))
    # Skip the chapters that passed last time and are unchanged since (doctest_cache.py).
    app.add_config_value("doctest_cached", False, "", types=frozenset({bool}))
    # The frameworks whose CUDA blocks must run ("tf torch"); empty outside `make doctest-gpu`.
    app.add_config_value("doctest_gpu_frameworks", "", "", types=frozenset({str}))
    # A JSON file of the examples that changed, raised or warned; empty: none written.
    app.add_config_value("doctest_results", "", "", types=frozenset({str}))
    return {"parallel_read_safe": True}
