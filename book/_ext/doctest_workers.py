"""Runs the doctest builder's chapters in worker processes, one per core, and merges them.

Importing the frameworks is the floor of any run, and one process uses one core. On Linux
the parent imports them once and forks the workers after: an import starts no thread of
TensorFlow's or PyTorch's (only OpenBLAS's, which is safe to fork), and no example has run
in the parent, so each worker starts from a fresh process's state without paying for the
import again, and a fresh process per chapter (`doctest_process_per_chapter`) costs a fork.
Elsewhere (macOS's system libraries are not safe to fork once loaded) each worker is forked
first and imports the frameworks itself.

A worker tests one chapter after another, each the costliest one still waiting when it
asks: by what it cost last time (`chapter-times.json` in the output folder, with the CPU
seconds of the processes its examples started) or, for a chapter not run before, an
estimate from its examples and its fresh-process scripts. So a worker that drew a long
chapter never holds up short ones, and a clean build, which has no timings yet, is balanced
too. A worker sends back each chapter's report text, its counts, skips and CUDA blocks; the
parent prints the reports in chapter order, so the output reads as a serial run's. A worker
that dies is reported with the chapter it was testing, a fresh one takes its place, and
every other chapter still runs and counts.
"""

import json
import multiprocessing
import multiprocessing.connection
import os
import resource
import sys
import time
from pathlib import Path

BUILDER = None  # the builder, inherited by each forked worker
COUNTS = (
    "total_failures",
    "total_tries",
    "setup_failures",
    "setup_tries",
    "cleanup_failures",
    "cleanup_tries",
)
LISTS = ("skips", "cuda_ran", "recorded")  # what a chapter adds to the builder's lists
# An estimate for a chapter not timed before: a run_script example starts a process that
# imports a framework afresh, which costs about as much as a thousand plain examples.
EXAMPLE_SECONDS, SCRIPT_SECONDS = 0.005, 5.0
IMPORT_BEFORE_FORK = sys.platform == "linux"


def worker_count(asked: int, chapters: int) -> int:
    return max(1, min(asked or os.cpu_count() or 1, chapters))


def costs(seconds: dict[str, float], sources: dict[str, str]) -> dict[str, float]:
    """Each chapter's seconds last time, or an estimate from its text."""
    estimate = {
        d: text.count(">>> ") * EXAMPLE_SECONDS + text.count("run_script(") * SCRIPT_SECONDS
        for d, text in sources.items()
    }
    return estimate | {d: seconds[d] for d in sources if d in seconds}


def children_cpu() -> float:
    """CPU seconds of the processes this one started and waited for (run_script's)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def chapter_lists(builder) -> dict[str, list]:
    recorded = builder.recorder.results if builder.recorder else []
    return {"skips": builder.skips, "cuda_ran": builder.cuda_ran, "recorded": recorded}


def test_chapters(connection) -> None:
    """In a worker: import the frameworks, then test each chapter the parent sends until it
    sends None, answering each with what the parent needs."""
    builder = BUILDER
    try:
        builder.start_examples()
    except SystemExit as error:  # a missing framework: the parent stops with this line
        connection.send({"error": str(error)})
        return
    while (docname := connection.recv()) is not None:
        counts = {name: getattr(builder, name) for name in COUNTS}
        lengths = {name: len(items) for name, items in chapter_lists(builder).items()}
        builder.buffer = []
        start, children_start = time.perf_counter(), children_cpu()
        builder.test_doc(docname, builder.env.get_doctree(docname))
        connection.send(
            {
                "report": "".join(builder.buffer),
                "time": {
                    "seconds": time.perf_counter() - start,
                    "child_cpu_seconds": children_cpu() - children_start,
                },
                "failures": builder.chapter_failures[docname],
                "counts": {name: getattr(builder, name) - counts[name] for name in COUNTS},
                **{name: items[lengths[name] :] for name, items in chapter_lists(builder).items()},
            }
        )
    connection.close()


def run_in_workers(builder, docnames: list[str], workers: int, one_per_chapter: bool) -> dict:
    """Test the chapters in at most `workers` processes at a time (a fresh one for each
    chapter with `one_per_chapter`); the merged results, and the chapters whose worker died."""
    global BUILDER
    BUILDER = builder
    timings = Path(builder.outdir) / "chapter-times.json"
    times = json.loads(timings.read_text()) if timings.exists() else {}
    sources = {d: Path(builder.env.doc2path(d)).read_text() for d in docnames}
    cost = costs({d: entry["seconds"] for d, entry in times.items()}, sources)
    waiting = sorted(docnames, key=cost.__getitem__, reverse=True)
    merged = {
        "reports": {},
        "times": {},
        "failures": {},
        "counts": dict.fromkeys(COUNTS, 0),
        "died": [],
    }
    merged |= {name: [] for name in LISTS}
    if IMPORT_BEFORE_FORK:
        builder.start_examples()  # a missing framework stops the run here, with one line
    context = multiprocessing.get_context("fork")
    running = {}  # a worker's end of the pipe: (the worker, the chapter it is testing)

    def hand_out(connection, process) -> None:
        docname = waiting.pop(0)
        connection.send(docname)
        running[connection] = (process, docname)

    while waiting or running:
        while waiting and len(running) < workers:
            connection, theirs = context.Pipe()
            process = context.Process(target=test_chapters, args=(theirs,))
            process.start()
            theirs.close()
            hand_out(connection, process)
        for connection in multiprocessing.connection.wait(list(running)):
            process, docname = running.pop(connection)
            try:
                part = connection.recv()
            except EOFError:  # it died before answering: a crash in native code, say
                process.join()
                merged["died"].append(f"{docname} (exit code {process.exitcode})")
                continue
            if "error" in part:
                for other, _ in running.values():
                    other.kill()
                raise SystemExit(part["error"])
            merged["reports"][docname] = part["report"]
            merged["times"][docname] = part["time"]
            merged["failures"][docname] = part["failures"]
            for name in COUNTS:
                merged["counts"][name] += part["counts"][name]
            for name in LISTS:
                merged[name] += part[name]
            if waiting and not one_per_chapter:
                hand_out(connection, process)
            else:
                connection.send(None)
                process.join()
    timings.write_text(json.dumps(times | merged["times"], indent=1, sort_keys=True) + "\n")
    return merged
