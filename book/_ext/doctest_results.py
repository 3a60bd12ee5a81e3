"""What a run's examples did, for the upgrade report (`-D doctest_results=FILE`).

The doctest builder (doctest_rules.py) swaps in a runner that tells a recorder about each
example as doctest reports it: the ones whose output changed, that raised, or that warned
(in legacy groups too, where warnings are otherwise ignored). tools/upgrade_report.py reads
the JSON file it writes.
"""

import doctest
import json
import traceback
from pathlib import Path

from sphinx.ext.doctest import SphinxDocTestRunner

from frameworks import GROUPS, MODERN_ERRORS


class ResultRecorder:
    """The examples that changed, raised or warned, for `-D doctest_results=FILE`."""

    def __init__(self, path: str):
        self.path = Path(path)
        self.example: dict = {}  # the example running now, which its warnings belong to
        self.warned: set[tuple] = set()  # its warnings so far: one entry each, loops or not
        self.results: list[dict] = []

    def start(self, test, example) -> None:
        flags = [
            name for name, flag in doctest.OPTIONFLAGS_BY_NAME.items() if example.options.get(flag)
        ]
        self.example = {
            "file": test.filename,
            "line": test.lineno + example.lineno + 1,  # the prompt's line, as doctest reports it
            "group": test.name,
            "legacy": test.name in GROUPS and GROUPS[test.name].legacy,
            "source": example.source,
            "want": example.want,
            "options": flags,
        }
        self.warned.clear()

    def add(self, outcome: str, **details) -> None:
        self.results.append({**self.example, "outcome": outcome, **details})

    def showwarning(self, message, category, filename, lineno, file=None, line=None) -> None:
        warning = (f"{category.__name__}: {message}\n", f"{filename}:{lineno}")
        if warning not in self.warned:
            self.warned.add(warning)
            self.add("warned", got=warning[0], origin=warning[1])

    def write(self, tried: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"tried": tried, "examples": self.results}, indent=1))


class RecordingRunner(SphinxDocTestRunner):
    """Sphinx's runner, telling the recorder about each example as doctest reports it."""

    recorder: ResultRecorder

    def report_start(self, out, test, example) -> None:
        self.recorder.start(test, example)
        super().report_start(out, test, example)

    def report_failure(self, out, test, example, got) -> None:
        self.recorder.add("changed", got=without_frames(got))
        super().report_failure(out, test, example, got)

    def report_unexpected_exception(self, out, test, example, exc_info) -> None:
        # A modern group's own deprecation is raised as an error (and fails `make doctest`).
        self.recorder.add(
            "warned" if issubclass(exc_info[0], MODERN_ERRORS) else "error",
            got="".join(traceback.format_exception_only(*exc_info[:2])),
            traceback="".join(traceback.format_exception(*exc_info)),
            raised=True,
        )
        super().report_unexpected_exception(out, test, example, exc_info)


def without_frames(got: str) -> str:
    """A traceback as the book writes one: its frames (which change with every release of
    a framework's source) shown as `...`."""
    head, traceback_line, rest = got.partition("Traceback (most recent call last):\n")
    lines = rest.splitlines(keepends=True)
    message = next((i for i, line in enumerate(lines) if not line.startswith(" ")), len(lines))
    return head + traceback_line + "    ...\n" * bool(traceback_line) + "".join(lines[message:])
