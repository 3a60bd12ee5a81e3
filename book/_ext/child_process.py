"""`run_script`: an example's script, run in a fresh Python process, its output printed.

Some examples need a process of their own: TensorFlow's logical devices are configured
before TensorFlow initializes, Keras reads `KERAS_BACKEND` when it is first imported, and
`torch.distributed` runs one process per rank. `run_script(source)` writes `source` to a
temporary folder, runs it with this Python, prints what it printed, and leaves nothing
behind: the script runs in a process group of its own, which is killed when the script ends,
fails or runs past `timeout`, so no process it started (a rank, a worker, a server)
outlives the example, unless it leaves the group itself (as a daemon does with setsid).
A script that fails raises `ScriptFailed` with its stderr.

The child gets the book's TensorFlow settings (framework_imports.ENVIRONMENT), and a script
that imports both frameworks gets the book's import order (Triton before TensorFlow).
The doctest builder imports `run_script` for every example (conf.py); a notebook that
uses it defines it in its first cell (notebooks.py).
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from framework_imports import ENVIRONMENT, TRITON_FIRST

# Every process a script starts inherits this variable, so a test can find any survivor
# (a test sets its own value, which passes through to the script).
MARKER = "BOOK_CHILD_PROCESS"


class ScriptFailed(RuntimeError):
    pass


def run_script(source: str, env: dict[str, str] | None = None, timeout: float = 120) -> None:
    """Run `source` as a script in a fresh process and print its output."""
    if "import tensorflow" in source and "torch" in source:
        source = f"{TRITON_FIRST}\n{source}"
    with tempfile.TemporaryDirectory(prefix="book-child-") as folder:
        Path(folder, "script.py").write_text(source)
        # Files, not pipes: a grandchild that keeps a pipe open would block reading it.
        with open(Path(folder, "out"), "w+") as out, open(Path(folder, "err"), "w+") as err:
            process = subprocess.Popen(
                [sys.executable, "script.py"],
                cwd=folder,
                env={MARKER: "1", **os.environ, **ENVIRONMENT, **(env or {})},
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group, killed as a whole below
            )
            timed_out = False
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                # ProcessLookupError: the group is empty, nothing was left running.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            out.seek(0), err.seek(0)
            printed, errors = out.read(), err.read()
    sys.stdout.write(printed)  # also when it failed: what it printed up to there
    if timed_out:
        raise ScriptFailed(f"the script ran past {timeout} s and was killed; stderr:\n{errors}")
    if process.returncode:
        raise ScriptFailed(f"the script exited with {process.returncode}; stderr:\n{errors}")
