"""The upgrade report (`make upgrade-report`): which of the book's examples change when the
pinned packages move to their newest releases, or to the versions asked for.

It installs every package pinned in the `docs`, `frameworks` and `examples` groups of
pyproject.toml into an environment of its own (never the pinned .venv), from plain PyPI as a
reader's pip would (no pip configuration, no PIP_* variables), runs every example there with
the doctest builder recording each one that changed, raised or warned (`doctest_results` in
book/_ext/doctest_results.py), runs them again in .venv (where it has the frameworks) to tell
what is new, and writes OUT/index.html: the versions pinned and installed, then those
examples by chapter, the book's output and the new one side by side.

    python tools/upgrade_report.py --venv .venv-upgrade [--versions "torch==2.14.1"] [CHAPTER]
    python tools/upgrade_report.py --venv .venv --no-install CHAPTER   # as installed (tests)

It needs only the standard library, as it runs before its environment exists.
"""

import argparse
import contextlib
import difflib
import html
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

GROUPS = ("docs", "frameworks", "examples")  # the pins the book's outputs depend on
PINNED_VENV = Path(".venv")
OUTCOMES = {  # the report's sections, in order
    "changed": "Changed outputs",
    "error": "Errors",
    "warned": "Warnings (DeprecationWarning, FutureWarning)",
}
NOUNS = ("changed", "errors", "warnings")  # the summary's, in the same order
ALSO = f"also with {PINNED_VENV}"
LOGGED = {  # lines of the doctest log that the report lists, by the heading it gives them
    "TensorFlow's logged deprecations": r"^WARNING:tensorflow:.*deprecated",
    "Sphinx's warnings": r"(^|: )(WARNING|ERROR): ",
}
# A reader's pip: PyPI only, none of this machine's settings (a local wheel folder, a cap on
# torch's version), for the report's pip calls only.
PLAIN_PYPI = {
    **{key: value for key, value in os.environ.items() if not key.startswith("PIP_")},
    "PIP_CONFIG_FILE": os.devnull,
}
INSTALLED_VERSIONS = """\
import importlib.metadata, json, platform, sys
def version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
print(json.dumps({"python": platform.python_version(), **{n: version(n) for n in sys.argv[1:]}}))
"""


class Pin(NamedTuple):
    group: str
    name: str
    version: str
    marker: str  # "" where the pin holds on every platform

    def requirement(self, version: str | None) -> str:
        """The pin at `version`, or at the newest release where that is None."""
        return (
            self.name
            + (f"=={version}" if version else "")
            + (f"; {self.marker}" * bool(self.marker))
        )


class Stop(Exception):
    """Bad input or a failed step: one line for the reader."""


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(pyproject: Path) -> list[Pin]:
    groups = tomllib.loads(pyproject.read_text())["dependency-groups"]
    pins = []
    for group in GROUPS:
        for line in groups[group]:
            if isinstance(line, dict):  # {include-group = ...}: its pins are read on their own
                continue
            requirement, _, marker = line.partition(";")
            name, _, version = requirement.partition("==")
            pins.append(Pin(group, name.strip(), version.strip(), marker.strip()))
    return pins


def asked_versions(versions: str, pins: list[Pin]) -> dict[str, str]:
    """VERSIONS ("torch==2.14.1 numpy==2.3.5") as {normalized name: version}."""
    names = {normalized(pin.name) for pin in pins}
    asked = {}
    for entry in versions.replace(",", " ").split():
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)", entry)
        if not match:
            raise Stop(f"VERSIONS: {entry} is not PACKAGE==VERSION (for example torch==2.15.0)")
        if normalized(match[1]) not in names:
            raise Stop(
                f"VERSIONS: {match[1]} is not pinned in pyproject.toml "
                f"(groups {', '.join(GROUPS)}); "
                f"the pinned packages are {', '.join(p.name for p in pins)}"
            )
        asked[normalized(match[1])] = match[2]
    return asked


def pip(venv: Path, *args: str) -> None:
    result = subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "install", "-q", *args],
        env=PLAIN_PYPI,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if result.returncode:
        errors = [line for line in result.stdout.splitlines() if line.startswith("ERROR: ")]
        print(result.stdout, end="")
        raise Stop(f"pip could not install from PyPI: {(errors or ['see above'])[-1][7:]}")


def refuse_pinned(venv: Path) -> None:
    if venv.resolve() == PINNED_VENV.resolve():
        raise Stop(
            f"VENV={venv} is the pinned environment, which the upgrade report leaves as it "
            "is; give it another folder (the default is .venv-upgrade)"
        )


def install(venv: Path, pins: list[Pin], asked: dict[str, str]) -> None:
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip(venv, "--upgrade", "pip")
    # Eager: the dependencies move to their newest releases too, as in a fresh install.
    requirements = [pin.requirement(asked.get(normalized(pin.name))) for pin in pins]
    pip(venv, "--upgrade", "--upgrade-strategy", "eager", *requirements)


def run_examples(venv: Path, out: Path, chapters: list[str]) -> dict:
    """What the doctest builder records of every example run in `venv` (or of `chapters`),
    and from its log, Sphinx's warnings and TensorFlow's logged deprecations (which are not
    Python warnings), library paths cut to what follows site-packages/."""
    out.mkdir(parents=True, exist_ok=True)
    results, log = out / "results.json", out / "doctest.log"
    results.unlink(missing_ok=True)
    command = [venv / "bin" / "python", "-m", "sphinx", "-c", ".", "-d", out / "doctrees"]
    command += ["-b", "doctest", "-D", f"doctest_results={results}", "book", out / "doctest"]
    with log.open("w") as output:
        subprocess.run([*command, *chapters], stdout=output, stderr=subprocess.STDOUT)
    if not results.exists():  # the run stopped before its end: its last line says why
        lines = log.read_text().strip().splitlines() or ["(no output)"]
        raise Stop(f"the examples did not run to the end in {venv}: {lines[-1]} (log: {log})")
    recorded = json.loads(results.read_text())
    recorded["examples"].sort(key=lambda example: (example["file"], example["line"]))
    lines = [re.sub(r"\S*site-packages/", "", line) for line in log.read_text().splitlines()]
    for name, pattern in LOGGED.items():
        recorded[name] = list(dict.fromkeys(line for line in lines if re.search(pattern, line)))
    return recorded


def key(example: dict) -> tuple:
    """What makes two runs' records of an example alike."""
    return example["file"], example["line"], example["outcome"], example["got"]


def recorded(run: dict | None) -> set | None:
    """What a run recorded, to tell what another recorded alike; None where it did not run."""
    return {key(example) for example in run["examples"]} if run else None


def installed_versions(venv: Path, pins: list[Pin]) -> dict[str, str | None]:
    command = [venv / "bin" / "python", "-c", INSTALLED_VERSIONS, *(pin.name for pin in pins)]
    return json.loads(subprocess.run(command, check=True, capture_output=True).stdout)


# -- The report --------------------------------------------------------------------------

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 110em; padding: 0 1em }
table { border-collapse: collapse }
th, td { border: 1px solid #ccc; padding: .2em .5em; text-align: left; vertical-align: top }
tr.moved td { background: #fff3c4 }
table.side { width: 100%; table-layout: fixed }
pre { margin: 0; white-space: pre-wrap; font-size: 13px }
mark { background: #ffd2cc }
.example { margin: 1em 0 2em }
"""


def report(pins: list[Pin], new: dict, pinned: dict | None, timing: str) -> str:
    """The page; where the pinned environment ran too, what it recorded alike is tagged, and
    what only it recorded is listed at the end."""
    before, examples = recorded(pinned), new["examples"]
    parts = [
        "<h1>Upgrade report</h1>",
        f"<p>{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {new['versions']['python']}: "
        f"{new['tried']} examples ran ({timing}); {summary(examples, before)}."
        "</p><p>Expected: the output the book shows. Now: the output with the installed "
        "versions. Each example's line is the line of its prompt."
        + (f" Tagged <em>{ALSO}</em>: recorded alike in {PINNED_VENV}." if pinned else "")
        + "</p>",
        versions_table(pins, new["versions"], pinned and pinned["versions"]),
    ]
    for outcome, title in OUTCOMES.items():
        chosen = [example for example in examples if example["outcome"] == outcome]
        parts.append(f'<h2 id="{outcome}">{title} ({len(chosen)})</h2>')
        parts.append("".join(by_chapter(chosen, before or set())) or "<p>None.</p>")
    if pinned:
        now = recorded(new)
        gone = [example for example in pinned["examples"] if key(example) not in now]
        parts.append(f'<h2 id="gone">Recorded only with {PINNED_VENV} ({len(gone)})</h2>')
        parts.append(
            bullets(
                f"<code>{html.escape(e['file'])}:{e['line']}</code> {e['outcome']}: "
                f"<code>{html.escape(e['got'])}</code>"
                for e in gone
            )
        )
    for heading in LOGGED:
        also = set(pinned[heading]) if pinned else set()
        parts.append(f"<h2>{heading} ({len(new[heading])})</h2>")
        parts.append(
            bullets(f"<code>{html.escape(line)}</code>{tag(line in also)}" for line in new[heading])
        )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>Upgrade report</title><style>{STYLE}</style></head>\n"
        f"<body>\n{chr(10).join(parts)}\n</body></html>\n"
    )


def bullets(items) -> str:
    listed = "".join(f"<li>{item}</li>" for item in items)
    return f"<ul>{listed}</ul>" if listed else "<p>None.</p>"


def tag(also: bool) -> str:
    return f" <em>{ALSO}</em>" * also


def summary(examples: list[dict], before: set | None) -> str:
    """Each outcome's count, and where the pinned environment ran too, how many are new."""
    counts = []
    for outcome, noun in zip(OUTCOMES, NOUNS, strict=True):
        chosen = [example for example in examples if example["outcome"] == outcome]
        counts.append(f"{noun}: {len(chosen)}")
        if before is not None:
            counts[-1] += f" (new: {sum(key(example) not in before for example in chosen)})"
    return ", ".join(counts)


def versions_table(pins: list[Pin], installed: dict, pinned: dict | None) -> str:
    columns = ["Group", "Package", "Pinned", *[str(PINNED_VENV)] * bool(pinned), "Installed"]
    rows = []
    for pin in pins:
        cells = [pin.group, pin.name, pin.version]
        cells += [shown(pin, pinned[pin.name])] if pinned else []
        cells.append(shown(pin, installed[pin.name]))
        moved = ' class="moved"' * (installed[pin.name] not in (None, pin.version))
        rows.append(f"<tr{moved}>{cells_html(cells, 'td')}</tr>")
    return f"<h2>Versions</h2><table><tr>{cells_html(columns, 'th')}</tr>{''.join(rows)}</table>"


def shown(pin: Pin, version: str | None) -> str:
    return version or "not installed" + f" (only where {pin.marker})" * bool(pin.marker)


def cells_html(cells: list[str], element: str) -> str:
    return "".join(f"<{element}>{html.escape(cell)}</{element}>" for cell in cells)


def by_chapter(examples: list[dict], before: set):
    chapter = None
    for example in examples:
        if example["file"] != chapter:
            chapter = example["file"]
            yield f"<h3>{html.escape(chapter)}</h3>"
        yield render(example, key(example) in before)


def render(example: dict, also: bool) -> str:
    where = f"{example['file']}:{example['line']}"
    about = [example["group"] + " (legacy)" * example["legacy"], *example["options"]]
    lines = example["source"].splitlines()
    source = "\n".join(("... " if number else ">>> ") + line for number, line in enumerate(lines))
    parts = [
        f'<div class="example" id="{html.escape(where)}"><p><code>{html.escape(where)}</code>'
        f" &middot; {html.escape(', '.join(about))}{tag(also)}</p>"
        f"<pre>{html.escape(source)}</pre>"
    ]
    if example["outcome"] == "warned":
        parts.append(f"<p>{warning_status(example)}</p><pre>{html.escape(example['got'])}</pre>")
    else:
        parts.append(side_by_side(example["want"], example["got"]))
    if example["outcome"] == "error":
        parts.append(
            f"<details><summary>Traceback</summary><pre>{html.escape(example['traceback'])}"
            "</pre></details>"
        )
    return "".join(parts) + "</div>"


def warning_status(example: dict) -> str:
    if example.get("raised"):
        return "Raised as an error (a modern group): fails <code>make doctest</code>."
    # Where it warned: a library's file (from site-packages on), or the example itself.
    origin = example["origin"].rpartition("site-packages/")[2]
    by = "the example" if origin.startswith("<doctest") else html.escape(origin)
    group = "legacy group: allowed" if example["legacy"] else "not from the example: allowed"
    return f"Warned by {by} ({group})."


def side_by_side(want: str, got: str) -> str:
    """The two outputs in two columns, the lines that differ marked."""
    expected, now = want.splitlines(), got.splitlines()
    same = difflib.SequenceMatcher(None, expected, now, autojunk=False).get_matching_blocks()
    kept_expected = {block.a + i for block in same for i in range(block.size)}
    kept_now = {block.b + i for block in same for i in range(block.size)}
    return (
        '<table class="side"><tr><th>Expected</th><th>Now</th></tr><tr>'
        f"<td><pre>{marked(expected, kept_expected)}</pre></td>"
        f"<td><pre>{marked(now, kept_now)}</pre></td></tr></table>"
    )


def marked(lines: list[str], kept: set[int]) -> str:
    return "\n".join(
        html.escape(line) if number in kept else f"<mark>{html.escape(line)}</mark>"
        for number, line in enumerate(lines)
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=Path(".venv-upgrade"))
    parser.add_argument("--versions", default="", help='"torch==2.14.1 numpy==2.3.5"')
    parser.add_argument("--out", type=Path, default=Path("_build/upgrade"))
    parser.add_argument("--no-install", action="store_true", help="run in VENV as it is")
    parser.add_argument("chapters", nargs="*", help="book/chapters/NN-x.md (default: all)")
    args = parser.parse_args(argv)
    pins = read_pins(Path("pyproject.toml"))
    asked = asked_versions(args.versions, pins)
    if args.no_install and asked:
        raise Stop("VERSIONS need an install, so they cannot go with --no-install")
    timing, pinned = [], None
    if not args.no_install:
        refuse_pinned(args.venv)
        chosen = "".join(f", {name}=={version} as asked" for name, version in asked.items())
        print(f"Installing into {args.venv} from PyPI: the newest releases{chosen}")
        with timed("install", timing):
            install(args.venv, pins, asked)
    print(f"Running the examples in {args.venv} (log: {args.out / 'new' / 'doctest.log'})")
    with timed("examples", timing):
        new = run_examples(args.venv, args.out / "new", args.chapters)
    new["versions"] = installed_versions(args.venv, pins)
    # To tell what is new: the same run in the pinned environment, where it has the frameworks.
    if not args.no_install and (PINNED_VENV / "installed-frameworks").exists():
        print(f"Running them in {PINNED_VENV} too, to tell what is new")
        with timed(f"in {PINNED_VENV}", timing):
            pinned = run_examples(PINNED_VENV, args.out / "pinned", args.chapters)
        pinned["versions"] = installed_versions(PINNED_VENV, pins)
    elif not args.no_install:
        print(f"{PINNED_VENV} has no frameworks (make doctest installs them): nothing tells new")
    page = report(pins, new, pinned, ", ".join(timing))
    (args.out / "index.html").write_text(page)
    before = recorded(pinned)
    print(f"{new['tried']} examples ({', '.join(timing)}): {summary(new['examples'], before)}")
    for example in new["examples"]:
        also = f"  ({ALSO})" * (before is not None and key(example) in before)
        print(f"  {example['outcome']:8} {example['file']}:{example['line']}{also}")
    print(f"Report: {args.out / 'index.html'}")


@contextlib.contextmanager
def timed(step: str, timing: list[str]):
    started = time.monotonic()
    yield
    timing.append(f"{step} {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Stop as stop:
        sys.exit(f"error: {stop}")
