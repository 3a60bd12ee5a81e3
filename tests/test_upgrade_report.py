"""The upgrade report (tools/upgrade_report.py, `make upgrade-report`): run on the environment
as installed (no download), it reports what was planted in a fixture chapter, and nothing
where nothing changed; bad input stops it with one line."""

import html
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

from conftest import BIN, CHAPTERS, ROOT, add_chapter, run

sys.path.insert(0, str(ROOT / "tools"))
import upgrade_report  # noqa: E402

SCRIPT = ROOT / "tools" / "upgrade_report.py"
NAME = "99-fixture.md"
CHAPTER = """\
# Fixture

:::{compare}
```{doctest} tf
>>> tf.constant([1, 2]).dtype
tf.int32
```
```{doctest} torch
>>> torch.tensor([1, 2]).dtype
torch.int64
```
:::

:::{compare}
```{doctest} tf1
>>> print("legacy")
legacy
```
```{doctest} torch-legacy
>>> import warnings
```
:::
"""
# Planted in a copy: an expected output edited, an example that now raises, a warning in a
# modern group (an error there) and one in a legacy group (allowed there).
RAISES_AND_WARNS = """\
>>> [1, 2][2]
1
>>> import warnings
>>> warnings.warn("new", FutureWarning)
"""
PLANTED = (
    CHAPTER.replace("tf.int32\n", "tf.int64\n")
    .replace("torch.int64\n", "torch.int64\n" + RAISES_AND_WARNS)
    .replace(
        ">>> import warnings\n```",
        '>>> import warnings\n>>> warnings.warn("old", DeprecationWarning)\n```',
    )
)


def report(repo, tmp_path, text: str):
    """The report on `text` as a chapter of the book at `repo`: terminal, page, doctest log."""
    chapter = add_chapter(repo, NAME, text).relative_to(repo)
    out = tmp_path / "upgrade"
    result = run(
        BIN / "python",
        SCRIPT,
        "--venv",
        BIN.parent,
        "--no-install",
        "--out",
        out,
        chapter,
        cwd=repo,
    )
    assert result.returncode == 0, result.stdout
    return (
        result.stdout,
        (out / "index.html").read_text(),
        (out / "new" / "doctest.log").read_text(),
    )


def line_of(text: str, prompt: str) -> str:
    return f"book/chapters/{NAME}:{text.splitlines().index(prompt) + 1}"


def section(page: str, outcome: str) -> str:
    return page.split(f'<h2 id="{outcome}">')[1].split("<h2")[0]


def example(page: str, outcome: str, where: str) -> str:
    """The report's entry for the example at `where`, as text."""
    entries = re.findall(
        r'<div class="example" id="([^"]+)">(.*?)</div>', section(page, outcome), re.S
    )
    return dict(entries)[where]


def cells(entry: str) -> list[str]:
    return [
        html.unescape(re.sub("<[^>]+>", "", cell))
        for cell in re.findall(r"<td><pre>(.*?)</pre></td>", entry, re.S)
    ]


@pytest.mark.slow
def test_a_planted_change_error_and_warnings_are_reported(book_copy, tmp_path):
    terminal, page, log = report(book_copy, tmp_path, PLANTED)
    changed = line_of(PLANTED, ">>> tf.constant([1, 2]).dtype")
    error = line_of(PLANTED, ">>> [1, 2][2]")
    modern = line_of(PLANTED, '>>> warnings.warn("new", FutureWarning)')
    legacy = line_of(PLANTED, '>>> warnings.warn("old", DeprecationWarning)')
    assert "changed: 1, errors: 1, warnings: 2" in terminal
    for outcome, where in (
        ("changed", changed),
        ("error", error),
        ("warned", modern),
        ("warned", legacy),
    ):
        assert f"  {outcome:8} {where}\n" in terminal
    # Grouped by chapter, the book's output and the new one side by side.
    assert f"<h3>book/chapters/{NAME}</h3>" in section(page, "changed")
    assert cells(example(page, "changed", changed)) == ["tf.int64", "tf.int32"]
    assert cells(example(page, "error", error)) == ["1", "IndexError: list index out of range"]
    entry = example(page, "warned", modern)
    assert "FutureWarning: new" in entry and "fails <code>make doctest</code>" in entry
    entry = example(page, "warned", legacy)
    assert "DeprecationWarning: old" in entry and "legacy group: allowed" in entry
    # Recording keeps the book's rules: the modern group's warning still fails the run.
    assert "3 failures in tests" in log


@pytest.mark.slow
def test_a_chapter_without_changes_reports_none(book_copy, tmp_path):
    terminal, page, log = report(book_copy, tmp_path, CHAPTER)
    assert "4 examples (examples " in terminal and "changed: 0, errors: 0, warnings: 0" in terminal
    for outcome in upgrade_report.OUTCOMES:
        assert section(page, outcome).endswith("(0)</h2>\n<p>None.</p>\n")
    assert "0 failures in tests" in log
    # Each pin against what this environment has installed.
    for pin in upgrade_report.read_pins(ROOT / "pyproject.toml"):
        try:
            installed = importlib.metadata.version(pin.name)
        except importlib.metadata.PackageNotFoundError:
            installed = f"not installed (only where {pin.marker})"
        row = f"<td>{pin.group}</td><td>{pin.name}</td><td>{pin.version}</td>"
        assert row + f"<td>{html.escape(installed)}</td>" in page


def test_what_the_pinned_environment_recorded_alike_is_told_apart():
    pins = upgrade_report.read_pins(ROOT / "pyproject.toml")

    def run_in(versions: dict, *examples: dict) -> dict:
        logged = {heading: [] for heading in upgrade_report.LOGGED}
        return {"tried": 3, "examples": list(examples), "versions": versions, **logged}

    def changed(line: int, got: str) -> dict:
        where = {"file": "book/chapters/01-x.md", "line": line, "group": "torch"}
        example = {"legacy": False, "source": "x\n", "want": "1\n", "options": []}
        return {**where, **example, "outcome": "changed", "got": got}

    versions = {"python": "3.11.7", **{pin.name: pin.version for pin in pins}}
    moved = {**versions, "torch": "9.9.9"}
    both, new, gone = changed(5, "2\n"), changed(9, "3\n"), changed(12, "4\n")
    page = upgrade_report.report(pins, run_in(moved, both, new), run_in(versions, both, gone), "")
    assert "changed: 2 (new: 1), errors: 0 (new: 0), warnings: 0 (new: 0)" in page
    also = " <em>also with .venv</em>"
    assert f"<code>book/chapters/01-x.md:5</code> &middot; torch{also}</p>" in page
    assert "<code>book/chapters/01-x.md:9</code> &middot; torch</p>" in page
    assert section(page, "gone") == (
        "Recorded only with .venv (1)</h2>\n<ul><li><code>book/chapters/01-x.md:12</code> "
        "changed: <code>4\n</code></li></ul>\n"
    )
    torch = next(pin for pin in pins if pin.name == "torch")
    assert f'<tr class="moved"><td>examples</td><td>torch</td><td>{torch.version}</td>' in page
    assert f"<td>{torch.version}</td><td>9.9.9</td></tr>" in page  # .venv's, then the new one


def test_a_wrong_versions_entry_is_one_clear_line():
    pins = upgrade_report.read_pins(ROOT / "pyproject.toml")
    assert upgrade_report.asked_versions("torch==2.15.0 Tensorflow_CPU==2.22.0", pins) == {
        "torch": "2.15.0",
        "tensorflow-cpu": "2.22.0",
    }
    with pytest.raises(upgrade_report.Stop) as stop:
        upgrade_report.asked_versions("torch=2.15.0", pins)
    assert str(stop.value) == (
        "VERSIONS: torch=2.15.0 is not PACKAGE==VERSION (for example torch==2.15.0)"
    )
    # Through the command line (checked before anything is installed).
    result = run(BIN / "python", SCRIPT, "--no-install", "--versions", "jax==0.6.0")
    assert result.returncode != 0
    assert result.stdout == (
        "error: VERSIONS: jax is not pinned in pyproject.toml (groups docs, frameworks, examples); "
        f"the pinned packages are {', '.join(pin.name for pin in pins)}\n"
    )


def test_the_pinned_environment_is_never_upgraded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".venv").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / ".venv")
    for venv in (".venv", "./.venv/", tmp_path / ".venv", "link"):
        with pytest.raises(upgrade_report.Stop, match=r"is the pinned environment, which"):
            upgrade_report.refuse_pinned(Path(venv))
    upgrade_report.refuse_pinned(Path(".venv-upgrade"))


def test_the_make_target_runs_in_its_own_environment():
    chapter = CHAPTERS[0].relative_to(ROOT)
    result = run(
        "make",
        "-n",
        "upgrade-report",
        "PYTHON=python3",
        "BUILDDIR=_build",
        "VERSIONS=torch==2.14.1",
        f"CHAPTER={chapter}",
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout == (
        'python3 tools/upgrade_report.py --venv .venv-upgrade --versions "torch==2.14.1" '
        f"--out _build/upgrade {chapter}\n"
    )
