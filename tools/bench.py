"""`make bench`: how close `make doctest` is to its floor, on this machine.

The floor is a fresh process that imports the frameworks the way the book does
(book/_ext/framework_imports.py); no run of the examples can be faster. Runs alternate
(floor, doctest from a clean build, doctest with its doctrees cached) so that a busy
machine slows all three alike; the medians and their ratios are printed, then each
chapter's seconds from the last run. Nothing here asserts a time: machines differ.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FLOOR = "import framework_imports; framework_imports.import_frameworks()"


def seconds(command: list[str], **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--builddir", type=Path, default=ROOT / "_build" / "bench")
    args = parser.parse_args()
    doctrees, out = args.builddir / "doctrees", args.builddir / "doctest"
    doctest = [str(BIN / "sphinx-build"), "-c", ".", "-d", str(doctrees), "-q", "-n", "-W"]
    doctest += ["--keep-going", "-b", "doctest", "book", str(out)]
    floor = [sys.executable, "-c", FLOOR]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "book" / "_ext")}
    times = {"floor": [], "clean": [], "cached": []}
    for run in range(1, args.runs + 1):
        print(f"run {run} of {args.runs}...", file=sys.stderr)
        times["floor"].append(seconds(floor, env=env))
        shutil.rmtree(args.builddir, ignore_errors=True)
        times["clean"].append(seconds(doctest))
        times["cached"].append(seconds(doctest))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"import floor          {median['floor']:6.1f} s")
    for name in ("clean", "cached"):
        ratio = median[name] / median["floor"]
        print(f"doctest, {name:7}      {median[name]:6.1f} s   {ratio:4.1f} x the floor")
    print(f"(medians of {args.runs} runs)\n\nchapter                      seconds in its worker")
    chapters = json.loads((out / "chapter-seconds.json").read_text())
    for chapter, spent in sorted(chapters.items()):
        print(f"{chapter:28} {spent:6.1f}")


if __name__ == "__main__":
    main()
