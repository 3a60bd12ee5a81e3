"""Runs the book's examples under its rules: Sphinx's doctest builder, made strict.

- The frameworks are imported once, before any example, with their import noise silenced.
  A missing one stops the run with one line that names it and the command that installs it.
- Every group starts from a fresh process's framework state (seeds, print options, default
  dtype, Keras and torch.compile caches), so no chapter depends on another.
- Modern groups turn DeprecationWarning and FutureWarning about the examples' own calls into
  errors, so the book fails the day a framework deprecates what it teaches; legacy groups
  (frameworks.py) allow them.
- Output that native code writes to file descriptor 1 is compared too: `tf.print(...,
  output_stream=sys.stdout)` prints from C++, where doctest alone would never see it.
- Skipped blocks (`:skipif:`) are counted and listed: Sphinx itself reports none.
- With `-D doctest_require_cuda=1` (`make doctest-gpu`) a machine without CUDA stops the run
  at once, and a single skipped block fails it.
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

from frameworks import GROUPS

logger = logging.getLogger(__name__)

FRAMEWORK_MODULES = {"numpy": "NumPy", "tensorflow": "TensorFlow", "torch": "PyTorch"}
MODERN_ERRORS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def stop(message: str) -> SystemExit:
    # SystemExit passes through Sphinx's error handler, so the reader sees this one line
    # instead of a crash report.
    return SystemExit(f"error: {message}")


def import_frameworks() -> None:
    # Set before TensorFlow's first import: silences its banner and the warnings its failing
    # ops log (examples show those errors on purpose), and keeps float results
    # independent of oneDNN's machine-specific kernels.
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    for module, name in FRAMEWORK_MODULES.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                __import__(module)
        except ImportError as error:
            raise stop(
                f"{name} cannot be imported ({error}); install the frameworks with "
                "`make doctest` (or `pip install --group frameworks`)"
            ) from None


def require_cuda() -> None:
    import tensorflow as tf
    import torch

    if not torch.cuda.is_available():
        raise stop(
            "doctest-gpu needs a CUDA device and PyTorch sees none "
            "(torch.cuda.is_available() is False); run `make doctest` on this machine"
        )
    if not tf.config.list_physical_devices("GPU"):
        raise stop(
            "doctest-gpu needs TensorFlow with CUDA and it sees no GPU; "
            "install it with `pip install --group gpu`"
        )


def reset_framework_state(np_print_defaults: dict) -> None:
    """Put back what a fresh process starts with; random seeds become unpredictable, so a
    block that forgets to seed fails at once instead of passing by luck of the order."""
    import numpy as np
    import tensorflow as tf
    import torch

    np.set_printoptions(**np_print_defaults)
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
        import_frameworks()
        if self.config.doctest_require_cuda:
            require_cuda()
        import numpy as np

        self.np_print_defaults = np.get_printoptions()
        self.skips: list[str] = []
        self.source_lines: dict[str, list[str]] = {}
        self.real_stdout: int | None = None
        super().init()

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
        if skip:
            where = f"{self.get_filename_for_node(node, '')}:{self.get_line_number(node)}"
            self.skips.append(f"{where} (skipif: {node['skipif']})")
        return skip

    def test_group(self, group) -> bool:
        reset_framework_state(self.np_print_defaults)
        legacy = group.name in GROUPS and GROUPS[group.name].legacy
        with warnings.catch_warnings(), self.descriptor_1_captured():
            for category in MODERN_ERRORS:
                if legacy:
                    warnings.filterwarnings("ignore", category=category)
                else:  # only warnings about the example's own calls; a library's inner
                    # warnings are left as a reader's Python shows them
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
        self._out(f"\n{len(self.skips):5} skipped block{'s' * (len(self.skips) != 1)}\n")
        for skip in self.skips:
            self._out(f"      {skip}\n")
        super().finish()
        if self.config.doctest_require_cuda and self.skips:
            logger.error("doctest-gpu: %d block(s) were skipped on a CUDA machine", len(self.skips))
            self._app.statuscode = 1


def setup(app):
    app.setup_extension("sphinx.ext.doctest")
    app.add_builder(BookDocTestBuilder, override=True)
    app.add_config_value("doctest_require_cuda", False, "", types=frozenset({bool}))
    return {"parallel_read_safe": True}
