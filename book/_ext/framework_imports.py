"""The frameworks, imported in the one order that works wherever a reader installs them.

PyPI's Linux build of PyTorch depends on Triton, which carries its own copy of LLVM.
TensorFlow loads its libraries with RTLD_GLOBAL, and libtensorflow_cc.so.2 exports LLVM's
symbols, so a Triton loaded after TensorFlow runs its LLVM's static initializers against
TensorFlow's copy and the process dies (Triton 3.7: a segmentation fault; 3.9: "LLVM ERROR:
inconsistency in registered CommandLine options"): `import tensorflow, triton` does, and
so does `import torch._dynamo` after TensorFlow, which imports Triton.
Loaded first, Triton binds to its own LLVM. So Triton (where it is installed) comes before
TensorFlow, everywhere the book's examples run: the doctest builder imports through
`import_frameworks`, and each notebook starts with `setup_source`.
"""

import importlib.util
import os
import warnings

# Set before TensorFlow's first import: silence its banner and the warnings its failing ops
# log (examples show those errors on purpose); keep float results independent of oneDNN's
# machine-specific kernels; and on a GPU, take memory as needed instead of all of it, so
# PyTorch in the same process still gets some.
ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "TF_FORCE_GPU_ALLOW_GROWTH": "true",
}
# Import order, and the names a missing one is reported by.
FRAMEWORKS = {"numpy": "NumPy", "torch": "PyTorch", "tensorflow": "TensorFlow"}
STATEMENTS = {
    "numpy": "import numpy as np",
    "torch": "import torch",
    "tensorflow": "import tensorflow as tf",
}
TRITON_FIRST = """\
try:  # PyPI's PyTorch for Linux brings Triton, which must load before TensorFlow
    import triton
except ImportError:
    pass"""


class MissingFramework(ImportError):
    pass


def import_frameworks() -> None:
    os.environ.update(ENVIRONMENT)
    if importlib.util.find_spec("triton") is not None:
        import triton  # noqa: F401  (see the module's docstring)
    for module, name in FRAMEWORKS.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                __import__(module)
        except ImportError as error:
            raise MissingFramework(f"{name} cannot be imported ({error})") from None


def setup_source(modules: set[str]) -> str:
    """The import statements of a notebook that uses `modules`, in the order that works."""
    lines = [STATEMENTS[module] for module in FRAMEWORKS if module in modules]
    if {"torch", "tensorflow"} <= modules:
        lines.insert(lines.index(STATEMENTS["tensorflow"]), TRITON_FIRST)
    return "\n".join(lines)
