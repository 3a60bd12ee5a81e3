"""`make doctest CACHED=1`: skip the chapters that passed last time and have not changed since.

A chapter's key is a hash of everything its outputs depend on that can change without its
text changing: the chapter's source, the book's extension code and configuration, the pins
(pyproject.toml), every installed distribution and its version, the Python version, and the
settings that change numerics (OMP_NUM_THREADS, ATEN_CPU_CAPABILITY). A chapter passes when
none of its examples failed; its key is then written to `passed-chapters.json` in the output
folder. Plain `make doctest` runs everything and only records keys; CI never asks for the cache.
"""

import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path

NUMERIC_SETTINGS = ("OMP_NUM_THREADS", "ATEN_CPU_CAPABILITY", "MKL_NUM_THREADS")
RECORD = "passed-chapters.json"


def shared_key(root: Path) -> str:
    """The hash of what every chapter depends on besides its own text."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted([*(root / "book" / "_ext").glob("*.py"), root / "conf.py"]):
        digest.update(path.name.encode() + path.read_bytes())
    digest.update((root / "pyproject.toml").read_bytes())
    installed = sorted(
        f"{dist.metadata['Name']}=={dist.version}" for dist in metadata.distributions()
    )
    digest.update("\n".join(installed).encode())
    digest.update(repr([os.environ.get(name) for name in NUMERIC_SETTINGS]).encode())
    return digest.hexdigest()


def chapter_key(shared: str, source: Path) -> str:
    return hashlib.sha256(shared.encode() + source.read_bytes()).hexdigest()


class PassedChapters:
    """The chapters' keys of their last passing run, read from and written to the output."""

    def __init__(self, outdir: str, root: Path, sources: dict[str, Path]):
        self.path = Path(outdir) / RECORD
        self.keys = json.loads(self.path.read_text()) if self.path.exists() else {}
        shared = shared_key(root)
        self.current = {doc: chapter_key(shared, source) for doc, source in sources.items()}

    def unchanged(self, docnames: list[str]) -> list[str]:
        return [doc for doc in docnames if self.keys.get(doc) == self.current[doc]]

    def record(self, docnames: list[str], failures: dict[str, int]) -> None:
        """Keep the key of each chapter run without a failure; forget the others' (a chapter
        missing from `failures` was not finished: its worker died)."""
        for docname in docnames:
            if failures.get(docname, 1):
                self.keys.pop(docname, None)
            else:
                self.keys[docname] = self.current[docname]
        self.path.write_text(json.dumps(self.keys, indent=1, sort_keys=True) + "\n")
