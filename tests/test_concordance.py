"""The concordance (book/concordance/pairs.toml): every row run in both frameworks, with the
relation it states checked; the file's rules; the appendix page, its links and its filter.

The rows run in one subprocess (`python tests/test_concordance.py PAIRS`), which imports the
frameworks once in the book's order (framework_imports.py) and prints one JSON object: each
row's id and the reason it failed (null where it holds). Modern rows' DeprecationWarning,
PendingDeprecationWarning and FutureWarning are errors, as in the book's examples."""

import ast
import json
import math
import re
import sys
import time
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book" / "_ext"))
from concordance import PAIRS, load, row_anchor  # noqa: E402

ROWS = load()[1]


# -- The runner (in the subprocess) ------------------------------------------------------------
def raises(function) -> str:
    """The name of the exception `function()` raises, or 'no error'."""
    try:
        function()
    except Exception as error:
        return type(error).__name__
    return "no error"


def run_code(source: str, namespace: dict):
    """Run `source`; its value is the value of its last line, an expression."""
    tree = ast.parse(source)
    last = tree.body.pop()
    if not isinstance(last, ast.Expr):
        raise ValueError("the code's last line must be an expression: its result")
    exec(compile(tree, "<row>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<row>", "eval"), namespace)


def normalized(value):
    """A result both frameworks' results can be compared as: tensors become NumPy arrays
    (bfloat16 kept), shapes tuples, dtypes their names, containers lists and dicts."""
    import numpy as np
    import tensorflow as tf
    import torch

    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().resolve_conj()
        if value.dtype == torch.bfloat16:
            import ml_dtypes

            return value.float().numpy().astype(ml_dtypes.bfloat16)
        return value.numpy()
    if isinstance(value, (tf.Tensor, tf.Variable)):
        return np.asarray(value.numpy())
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    if isinstance(value, (tf.TensorShape, torch.Size)):
        return tuple(value)
    if isinstance(value, (tf.DType, torch.dtype)):
        return str(value).removeprefix("torch.").removeprefix("<dtype: '").removesuffix("'>")
    if isinstance(value, (list, tuple)):
        return [normalized(item) for item in value]
    if isinstance(value, dict):
        return {key: normalized(item) for key, item in value.items()}
    return value


def disagreement(a, b, tol: float | None) -> str | None:
    """Why `a` (TensorFlow's) and `b` (PyTorch's) differ, or None where they agree."""
    import numpy as np

    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return f"a tensor and a {type(b if isinstance(a, np.ndarray) else a).__name__}"
        if a.dtype.name != b.dtype.name:
            return f"dtype {a.dtype.name} against {b.dtype.name}"
        if a.shape != b.shape:
            return f"shape {a.shape} against {b.shape}"
        x, y = a.astype(np.float64) if a.dtype.name == "bfloat16" else a, b
        y = y.astype(np.float64) if b.dtype.name == "bfloat16" else y
        same = (
            np.allclose(x, y, rtol=tol, atol=tol, equal_nan=True)
            if tol
            else np.array_equal(x, y, equal_nan=x.dtype.kind in "fc")
        )
        return None if same else f"values {a.tolist()} against {b.tolist()}"
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{len(a)} items against {len(b)}"
        reasons = [disagreement(x, y, tol) for x, y in zip(a, b, strict=True)]
        return next((f"item {i}: {r}" for i, r in enumerate(reasons) if r), None)
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"keys {sorted(a)} against {sorted(b)}"
        return next((f"{k}: {r}" for k in a if (r := disagreement(a[k], b[k], tol))), None)
    if type(a) is not type(b):
        return f"{type(a).__name__} {a!r} against {type(b).__name__} {b!r}"
    if isinstance(a, float) and tol:
        return None if math.isclose(a, b, rel_tol=tol, abs_tol=tol) else f"{a!r} against {b!r}"
    return None if a == b else f"{a!r} against {b!r}"


def shape_and_dtype(value):
    import numpy as np

    if isinstance(value, np.ndarray):
        return (value.shape, value.dtype.name)
    if isinstance(value, list):
        return [shape_and_dtype(item) for item in value]
    return type(value).__name__


def namespaces(row: dict) -> tuple[dict, dict]:
    import keras
    import numpy as np
    import tensorflow as tf
    import torch

    inputs: dict = {"np": np}
    exec(row.get("input", ""), inputs)
    arrays = {k: v for k, v in inputs.items() if isinstance(v, np.ndarray) and k[:3] != "np_"}
    others = {k: v for k, v in inputs.items() if k not in arrays and not k.startswith("__")}
    common = {"__name__": "__main__", "raises": raises, **others}
    tf_names = {
        **common,
        "tf": tf,
        "keras": keras,
        **{k: tf.constant(v) for k, v in arrays.items()},
    }
    torch_names = {**common, "torch": torch, **{k: torch.tensor(v) for k, v in arrays.items()}}
    return tf_names, torch_names


def check(row: dict) -> None:
    """Run one row in both frameworks; raise AssertionError naming what does not hold."""
    import numpy as np

    from frameworks import MODERN_ERRORS

    with warnings.catch_warnings():
        for category in MODERN_ERRORS:  # the row's own calls, as in the book's examples
            warnings.filterwarnings("error", category=category, module="__main__")
        tf_names, torch_names = namespaces(row)
        tf_value = normalized(run_code(row["tf"], tf_names))
        torch_value = normalized(run_code(row["torch"], torch_names))
        how, tol = row.get("check", "equal"), row.get("tol")
        if how in ("equal", "close"):
            reason = disagreement(tf_value, torch_value, tol if how == "close" else None)
            assert reason is None, f"the results differ: {reason}"
        elif how == "shape":
            shapes = shape_and_dtype(tf_value), shape_and_dtype(torch_value)
            assert shapes[0] == shapes[1], f"shapes and dtypes differ: {shapes[0]} {shapes[1]}"
        else:  # differ: the difference is real, and the row's expectation says which it is
            assert disagreement(tf_value, torch_value, tol), "the results agree; no difference"
        if "expect" in row:
            names = {"np": np, "tf_value": tf_value, "torch_value": torch_value}
            assert eval(row["expect"], names), f"expect is false: {row['expect']}"
        if "fix_torch" in row:
            fixed = normalized(run_code(row["fix_torch"], namespaces(row)[1]))
            reason = disagreement(tf_value, fixed, tol)
            assert reason is None, f"fix_torch does not make them agree: {reason}"
        if "fix_tf" in row:
            fixed = normalized(run_code(row["fix_tf"], namespaces(row)[0]))
            reason = disagreement(fixed, torch_value, tol)
            assert reason is None, f"fix_tf does not make them agree: {reason}"


def main(path: str) -> None:
    from framework_imports import import_frameworks

    start = time.perf_counter()
    import_frameworks()
    imported = time.perf_counter()
    failures = {}
    for row in load(Path(path))[1]:
        try:
            check(row)
            failures[row["id"]] = None
        except Exception as error:  # every kind: the row fails, and the next one runs
            failures[row["id"]] = f"{type(error).__name__}: {error}".splitlines()[0][:400]
    seconds = {"import": imported - start, "rows": time.perf_counter() - imported}
    print(json.dumps({"failures": failures, "seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1])
    raise SystemExit  # the tests below are for pytest


# -- The tests ---------------------------------------------------------------------------------
from conftest import BIN, ROOT, run  # noqa: E402


def run_rows(path: Path) -> dict:
    result = run(BIN / "python", __file__, path, env={"PYTHONPATH": str(ROOT / "book" / "_ext")})
    assert result.returncode == 0, result.stdout
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="session")
def results() -> dict:
    return run_rows(PAIRS)


@pytest.mark.slow
@pytest.mark.xdist_group("concordance")
@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_row_holds_in_both_frameworks(row, results):
    failure = results["failures"][row["id"]]
    assert failure is None, f"{row['id']} ({row['tf']!r} / {row['torch']!r}): {failure}"


MUTATIONS = {
    # an expected relation changed: TEN-017's results are equal, so `differ` must fail
    "TEN-017": ('check = "differ"\nexpect = "True"', "the results agree"),
    # the difference the note states changed: Bessel's factor the other way round
    "TEN-037": ('expect = "np.isclose(tf_value, torch_value * np.sqrt(4 / 3))"', "expect"),
    # a deprecated call: the book's strictness makes the warning an error
    "TEN-015": ("tf = \"import warnings\\nwarnings.warn('old', DeprecationWarning)\\n0\"", "old"),
}


@pytest.mark.slow
@pytest.mark.xdist_group("concordance")
def test_a_broken_row_fails_and_names_itself(tmp_path):
    text = PAIRS.read_text()
    for row_id, (change, _) in MUTATIONS.items():
        start = text.index(f'id = "{row_id}"')
        end = text.index("\n\n", start)
        block = text[start:end]
        kept = [line for line in block.splitlines() if not line.startswith(change.split()[0])]
        text = text[:start] + "\n".join([*kept, change]) + text[end:]
    mutated = tmp_path / "pairs.toml"
    mutated.write_text(text)
    failures = run_rows(mutated)["failures"]
    for row_id, (_, reason) in MUTATIONS.items():
        assert failures[row_id] and reason in failures[row_id], (row_id, failures[row_id])
    assert {row_id for row_id, failure in failures.items() if failure} == set(MUTATIONS)


BAD_FILES = {  # what is broken: (text replaced, by what, the words the error must say)
    "unknown category": ('category = "Tensor operations"', 'category = "Tensors"', "Tensors"),
    "duplicate id": ('id = "TEN-017"', 'id = "TEN-015"', "used twice"),
    "misspelled key": ("\nexpect = ", "\nexpected = ", "unknown key expected"),
    "section without .md": ('section = "08-math.md#', 'section = "08-math#', "NN-topic.md"),
}


@pytest.mark.parametrize("old, new, message", list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_a_malformed_row_stops_with_one_line(tmp_path, old, new, message):
    from sphinx.errors import ExtensionError

    path = tmp_path / "pairs.toml"
    path.write_text(PAIRS.read_text().replace(old, new, 1))
    with pytest.raises(ExtensionError, match=message) as error:
        load(path)
    assert "\n" not in str(error.value)


def test_the_epub_leaves_the_filter_out():
    from types import SimpleNamespace

    from concordance import exclude_filter_from_epub

    config = SimpleNamespace(epub_exclude_files=["_static/other.js"])
    exclude_filter_from_epub(None, config)
    assert config.epub_exclude_files == ["_static/other.js", "_static/concordance-filter.js"]


def test_every_row_has_an_id_of_its_category_and_a_one_line_note():
    prefixes = {}  # category: the three letters its ids start with
    for row in ROWS:
        prefix = prefixes.setdefault(row["category"], row["id"][:3])
        assert re.fullmatch(rf"{prefix}-\d{{3}}", row["id"]), (row["id"], row["category"])
        assert "\n" not in row["note"], row["id"]
    assert len(set(prefixes.values())) == len(prefixes)


def test_the_issue_asks_for_300_rows_in_16_categories():
    assert len(ROWS) >= 300
    assert {row["category"] for row in ROWS} == set(load()[0])
    assert len(load()[0]) == 16


# -- The page ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def page(html) -> str:
    return (html / "concordance.html").read_text()


@pytest.mark.slow
@pytest.mark.xdist_group("browser")
def test_the_page_has_every_row_with_links_to_both_references_and_its_section(html, page):
    for row in ROWS:
        anchor = f'id="{row_anchor(row["id"])}"'
        assert anchor in page, row["id"]
        if "section" in row:
            document, slug = row["section"].split("#")
            html_name = document.replace(".md", ".html")
            chapter = (html / "chapters" / html_name).read_text()
            assert f'id="{slug}"' in chapter, row["section"]
            # the row's link: to that section (MyST links to its first id)
            cells = page[page.index(anchor) : page.index("</tr>", page.index(anchor))]
            target = re.search(rf'href="chapters/{html_name}#([^"]+)"', cells)
            assert target, (row["id"], "no link to its section")
            opening = f'<section id="{target[1]}">'
            after = chapter.split(opening, 1)[1].lstrip() if opening in chapter else ""
            assert target[1] == slug or after.startswith(f'<span id="{slug}">'), row["id"]
            # and the chapter's section links back to the row
            assert f"concordance.html#{row_anchor(row['id'])}" in chapter, row["id"]
    assert 'href="https://www.tensorflow.org/api_docs/python/tf/concat"' in page
    assert 'href="https://docs.pytorch.org/docs/stable/generated/torch.cat.html"' in page
    assert "concordance-filter.js" in page
    assert page.count("<em>Checked: ") == len(ROWS)  # each row says what its test compares
    assert page.count("Agrees instead (") == sum(
        ("fix_tf" in row) + ("fix_torch" in row) for row in ROWS
    )


@pytest.mark.slow
@pytest.mark.xdist_group("browser")
def test_only_the_concordance_page_loads_the_filter(html):
    assert "concordance-filter.js" not in (html / "glossary.html").read_text()
