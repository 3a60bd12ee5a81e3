"""The side-by-side construct: its layout in HTML, and the build errors that guard it."""

import pytest

from conftest import ROOT, add_chapter, hide_modules, sphinx

pytestmark = pytest.mark.slow

BOTH = """\
:::{compare}
```{doctest} torch
>>> 1
1
```
```{doctest} tf
>>> 2
2
```
:::
"""


def test_the_book_builds_with_warnings_as_errors(html):
    assert (html / "index.html").exists()


def test_the_html_build_needs_neither_framework(tmp_path):
    hidden = hide_modules(tmp_path / "hidden", "tensorflow", "torch", "keras")
    result = sphinx("html", ROOT, tmp_path / "out", env=hidden)
    assert result.returncode == 0, result.stdout[-2000:]


def test_panes_are_labelled_and_in_framework_order(book_copy, tmp_path):
    add_chapter(book_copy, "99-x.md", "# X\n\n" + BOTH)
    assert sphinx("html", book_copy, tmp_path).returncode == 0
    page = (tmp_path / "html" / "chapters" / "99-x.html").read_text()
    tf, torch = page.index("compare-pane compare-tf"), page.index("compare-pane compare-torch")
    assert tf < page.index("<strong>TensorFlow</strong>") < torch
    assert torch < page.index("<strong>PyTorch</strong>")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("```{doctest} tf\n>>> 1\n1\n```\n", ":3: WARNING: tested block outside a compare block"),
        ("[nowhere](nowhere.md)\n", ":3: WARNING: 'myst' cross-reference target not found"),
        (BOTH.replace("tf", "tf1", 1).replace("torch", "tf"), ":3: ERROR: compare mixes groups"),
        (BOTH.replace("{doctest} tf", "{doctest} jax"), ":3: ERROR: compare holds only {doctest}"),
        (BOTH.replace("{doctest} tf", "{testcode} tf"), ":3: ERROR: compare holds only {doctest}"),
        ("```{doctest}\n>>> 1\n1\n```\n", ":3: WARNING: tested block names group(s) ['default']"),
    ],
    ids=["outside-compare", "broken-link", "mixed-groups", "unknown-group", "testcode", "no-group"],
)
def test_a_broken_example_fails_the_build_with_file_and_line(book_copy, tmp_path, text, error):
    add_chapter(book_copy, "99-x.md", "# X\n\n" + text)
    result = sphinx("html", book_copy, tmp_path)
    assert result.returncode != 0
    assert f"book/chapters/99-x.md{error}" in result.stdout, result.stdout[-2000:]
