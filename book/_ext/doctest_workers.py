"""Runs the doctest builder's chapters in worker processes, one per core, and merges them.

Importing the frameworks is the floor of any run, and one process uses one core. So the
chapters are split into as many shares as there are workers, balanced by what each chapter
cost last time (`chapter-seconds.json` in the output folder; a new chapter is estimated by
its number of examples), and each share runs in a fresh process forked before any framework
is imported (forking after TensorFlow or PyTorch have started their threads is unsafe). A
worker sends back each chapter's report text, its counts, skips and CUDA blocks; the parent
prints the reports in chapter order, so the output reads as a serial run's. A worker that
dies is reported with its chapters, and the others' results still count.
"""

import json
import multiprocessing
import multiprocessing.connection
import os
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


def worker_count(asked: int, chapters: int) -> int:
    return max(1, min(asked or os.cpu_count() or 1, chapters))


def costs(docnames: list[str], seconds: dict[str, float], examples: dict[str, int]) -> dict:
    """Each chapter's seconds last time; a new one's estimated from its number of examples."""
    known = [seconds[d] / examples[d] for d in docnames if d in seconds and examples[d]]
    per_example = sum(known) / len(known) if known else 1.0
    return {d: seconds.get(d, examples[d] * per_example) for d in docnames}


def shares(docnames: list[str], workers: int, cost: dict[str, float]) -> list[list[str]]:
    """Split the chapters into `workers` lists of about equal cost (longest first)."""
    split: list[list[str]] = [[] for _ in range(workers)]
    totals = [0.0] * workers
    for docname in sorted(docnames, key=cost.__getitem__, reverse=True):
        lightest = totals.index(min(totals))
        split[lightest].append(docname)
        totals[lightest] += cost[docname]
    return [sorted(share) for share in split if share]


def run_share(docnames: list[str]) -> dict:
    """In a worker: import the frameworks, test the chapters, return what the parent needs."""
    builder = BUILDER
    reports, seconds = {}, {}
    try:
        builder.start_examples()
    except SystemExit as error:  # a missing framework: the parent stops with this line
        return {"error": str(error)}
    for docname in docnames:
        builder.buffer = []
        start = time.perf_counter()
        builder.test_doc(docname, builder.env.get_doctree(docname))
        seconds[docname] = time.perf_counter() - start
        reports[docname] = "".join(builder.buffer)
    return {
        "reports": reports,
        "seconds": seconds,
        "failures": builder.chapter_failures,
        "counts": {name: getattr(builder, name) for name in COUNTS},
        "skips": builder.skips,
        "cuda_ran": builder.cuda_ran,
        "recorded": builder.recorder.results if builder.recorder else [],
    }


def send_share(docnames: list[str], connection) -> None:
    connection.send(run_share(docnames))
    connection.close()


def run_in_workers(builder, docnames: list[str], workers: int, one_per_chapter: bool) -> dict:
    """Test the chapters in worker processes, at most `workers` at a time; the merged
    result, keyed as run_share's, plus the shares whose worker died."""
    global BUILDER
    BUILDER = builder
    timings = Path(builder.outdir) / "chapter-seconds.json"
    seconds = json.loads(timings.read_text()) if timings.exists() else {}
    examples = {d: Path(builder.env.doc2path(d)).read_text().count(">>> ") for d in docnames}
    cost = costs(docnames, seconds, examples)
    if one_per_chapter:
        waiting = [[d] for d in sorted(docnames, key=cost.__getitem__, reverse=True)]
    else:
        waiting = shares(docnames, workers, cost)
    merged = {
        "reports": {},
        "seconds": {},
        "failures": {},
        "counts": dict.fromkeys(COUNTS, 0),
        "died": [],
    }
    merged |= {"skips": [], "cuda_ran": [], "recorded": []}
    context = multiprocessing.get_context("fork")
    running = {}
    while waiting or running:
        while waiting and len(running) < workers:
            share = waiting.pop(0)
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=send_share, args=(share, send))
            process.start()
            send.close()
            running[receive] = (process, share)
        for receive in multiprocessing.connection.wait(list(running)):
            process, share = running.pop(receive)
            try:
                part = receive.recv()
            except EOFError:  # it died before sending: a crash in native code, say
                part = None
            process.join()
            if part is None:
                merged["died"].append(f"{', '.join(share)} (exit code {process.exitcode})")
                continue
            if "error" in part:
                for other, _ in running.values():
                    other.kill()
                raise SystemExit(part["error"])
            for key in ("reports", "seconds", "failures"):
                merged[key] |= part[key]
            for name in COUNTS:
                merged["counts"][name] += part["counts"][name]
            merged["skips"] += part["skips"]
            merged["cuda_ran"] += part["cuda_ran"]
            merged["recorded"] += part["recorded"]
    timings.write_text(json.dumps(seconds | merged["seconds"], indent=1, sort_keys=True) + "\n")
    return merged
