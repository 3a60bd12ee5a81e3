"""`make bench`: how close `make doctest` is to its floor, on this machine.

The floor is a fresh process that imports the frameworks the way the book does
(book/_ext/framework_imports.py); no run of the examples can be faster. Runs alternate
(floor, doctest from a clean build, doctest with its doctrees cached) so that a busy
machine slows all three alike; the medians and their ratios are printed, with the CPU
seconds each run took on all cores, then each chapter's seconds from the last run and the
CPU seconds of the fresh processes its examples started. Nothing here asserts a time:
machines differ.
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
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from doctest_workers import children_cpu  # noqa: E402  (imports no framework)

FLOOR = "import framework_imports; framework_imports.import_frameworks()"


def run(command: list[str], **kwargs) -> tuple[float, float]:
    """Wall seconds and CPU seconds (of the command and every process it waited for).
    The examples' warnings on stderr are shown only if the command fails."""
    start, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, **kwargs)
    if done.returncode:
        sys.exit(f"{done.stdout[-3000:]}{done.stderr[-3000:]}\nfailed: {' '.join(command)}")
    return time.perf_counter() - start, children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--builddir", type=Path, default=ROOT / "_build" / "bench")
    args = parser.parse_args()
    doctrees, out = args.builddir / "doctrees", args.builddir / "doctest"
    doctest = [str(BIN / "sphinx-build"), "-c", ".", "-d", str(doctrees), "-q", "-n", "-W"]
    doctest += ["--keep-going", "-j", "auto", "-b", "doctest", "book", str(out)]
    floor = [sys.executable, "-c", FLOOR]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "book" / "_ext")}
    wall, cpu = {"floor": [], "clean": [], "cached": []}, {"clean": [], "cached": []}
    for run_number in range(1, args.runs + 1):
        print(f"run {run_number} of {args.runs}...", file=sys.stderr)
        wall["floor"].append(run(floor, env=env)[0])
        shutil.rmtree(args.builddir, ignore_errors=True)
        for name in ("clean", "cached"):
            seconds, cpu_seconds = run(doctest)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    median = {name: statistics.median(values) for name, values in wall.items()}
    print(f"import floor          {median['floor']:6.1f} s")
    for name in ("clean", "cached"):
        ratio = median[name] / median["floor"]
        print(
            f"doctest, {name:7}      {median[name]:6.1f} s   {ratio:4.1f} x the floor   "
            f"{statistics.median(cpu[name]):6.1f} CPU-s on {os.cpu_count()} cores"
        )
    print(f"(medians of {args.runs} runs)\n")
    print(f"{'chapter':30} {'seconds in its worker':>22} {'CPU-s of its scripts':>21}")
    chapters = json.loads((out / "chapter-times.json").read_text())
    for chapter, spent in sorted(chapters.items()):
        print(f"{chapter:30} {spent['seconds']:22.1f} {spent['child_cpu_seconds']:21.1f}")
    scripts = sum(spent["child_cpu_seconds"] for spent in chapters.values())
    print(f"\nthe fresh-process scripts (run_script) took {scripts:.1f} CPU-s of the last run")


if __name__ == "__main__":
    main()
