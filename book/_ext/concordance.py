"""The concordance appendix: book/concordance/pairs.toml rendered as one table per category.

    ```{concordance}
    ```

Each row shows the TensorFlow and the PyTorch code side by side (every `tf.`, `keras.` and
`torch.` name in it linked through the book's `tf` and `torch` roles), the shared input, the
note and a link to the chapter section that explains it. Each of those sections gets a line
"Concordance: rows ..." that links back (added at doctree-resolved, so chapters stay as
written). The filter box is book/_static/concordance-filter.js, added to this page in the
HTML build only; the PDF and EPUB show the same tables without it. Nothing here imports a
framework: tests/test_concordance.py runs the rows.
"""

import re
import tomllib
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import roles
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

PAIRS = Path(__file__).parent.parent / "concordance" / "pairs.toml"
PAGE = "concordance"
FILTER_JS = "concordance-filter.js"
REQUIRED = ("id", "category", "tf", "torch", "note")
CHECKS = ("equal", "close", "shape", "differ")
OPTIONAL = ("input", "section", "check", "tol", "expect", "fix_tf", "fix_torch")
# An API name in code: tf.x.y, keras.x.y or torch.x.y (not an attribute of something else).
API_NAME = re.compile(r"(?<![\w.])(?:tf|keras|torch)(?:\.[A-Za-z_]\w*)+")
# Dtypes have no reference page of their own in TensorFlow's docs: left as plain code.
DTYPES = re.compile(r"(b?float|u?int|complex)\d+|bool")
SECTION = re.compile(r"\d\d-[a-z0-9-]+\.md#[a-z0-9_-]+")


def row_anchor(row_id: str) -> str:
    return "row-" + row_id.lower()


def load(path: Path = PAIRS) -> tuple[list[str], list[dict]]:
    """The categories (in page order) and the rows; a malformed row stops with one line."""
    data = tomllib.loads(path.read_text())
    categories, rows, seen = data.get("categories", []), data.get("row", []), set()
    for number, row in enumerate(rows, 1):
        where = f"{path.name}: row {row.get('id', f'number {number}')}"
        if missing := [key for key in REQUIRED if key not in row]:
            raise ExtensionError(f"{where} lacks {', '.join(missing)}: add them")
        if unknown := sorted(set(row) - set(REQUIRED) - set(OPTIONAL)):
            raise ExtensionError(
                f"{where}: unknown key {unknown[0]} (known: {REQUIRED + OPTIONAL})"
            )
        if row["id"] in seen:
            raise ExtensionError(f"{where}: the id is used twice; give each row its own")
        seen.add(row["id"])
        if row["category"] not in categories:
            raise ExtensionError(
                f"{where}: category {row['category']!r} is not in the file's categories list"
            )
        if row.get("check", "equal") not in CHECKS:
            raise ExtensionError(f"{where}: check must be one of {', '.join(CHECKS)}")
        if row.get("check") == "differ" and "expect" not in row:
            raise ExtensionError(f"{where}: a differ row needs `expect`, the difference it shows")
        if "section" in row and not SECTION.fullmatch(row["section"]):
            raise ExtensionError(f"{where}: section must read NN-topic.md#heading-slug")
    return categories, rows


class ConcordanceDirective(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(PAIRS))
        categories, rows = load()
        wrapper = nodes.container(classes=["concordance"])
        for category in categories:
            members = [row for row in rows if row["category"] == category]
            section = nodes.section(ids=[nodes.make_id("concordance " + category)])
            section += nodes.title(category, f"{category} ({len(members)})")
            section += self.table(members)
            wrapper += section
        return [wrapper]

    def table(self, rows: list[dict]) -> nodes.table:
        widths = (10, 30, 30, 30)
        # longtable: in the PDF a category's table runs over several pages
        table = nodes.table(classes=["concordance-table", "colwidths-given", "longtable"])
        group = nodes.tgroup(cols=len(widths))
        table += group
        group += [nodes.colspec(colwidth=width) for width in widths]
        head = nodes.thead()
        head += self.row_node(
            [nodes.paragraph(text=text) for text in ("Row", "TensorFlow", "PyTorch", "Note")]
        )
        body = nodes.tbody()
        for row in rows:
            anchor = nodes.target("", "", ids=[row_anchor(row["id"])])
            cells = [
                [anchor, nodes.paragraph(text=row["id"])],
                [self.code(row["tf"])],
                [self.code(row["torch"])],
                self.note(row),
            ]
            body += self.row_node(cells)
        group += [head, body]
        return table

    @staticmethod
    def row_node(cells: list) -> nodes.row:
        row = nodes.row()
        for content in cells:
            entry = nodes.entry()
            entry += content
            row += entry
        return row

    def code(self, source: str) -> nodes.literal_block:
        """The code as a parsed literal: plain text with each API name a role's link."""
        block = nodes.literal_block(classes=["concordance-code"])
        position, marked = 0, []
        for match in API_NAME.finditer(source):
            block += nodes.Text(source[position : match.start()])
            block += self.api_link(match.group())
            marked += [source[position : match.start()], f"{{api}}`{match.group()}`"]
            position = match.end()
        block += nodes.Text(source[position:])
        # A rawsource other than the text marks a parsed literal: Sphinx then keeps the
        # links instead of highlighting the code (which would drop them).
        block.rawsource = "".join([*marked, source[position:]])
        return block

    def api_link(self, name: str) -> list[nodes.Node]:
        if DTYPES.fullmatch(name.rsplit(".", 1)[-1]):
            return [nodes.Text(name)]
        role_name = "torch" if name.startswith("torch.") else "tf"
        role, _ = roles.role(role_name, None, self.lineno, self.state.reporter)
        text = f"{name} <{name.removeprefix('tf.')}>"
        created, _ = role(
            role_name, f"{{{role_name}}}`{text}`", text, self.lineno, self.state.inliner
        )
        return created

    def note(self, row: dict) -> list[nodes.Node]:
        """Input, note, what the test checks, and the section link, parsed as MyST."""
        lines = [row["note"], "", checked(row)]
        if "section" in row:
            lines[-1] += f" See [](chapters/{row['section']})."
        container = nodes.container()
        self.state.nested_parse(StringList(lines, PAIRS.name), self.content_offset, container)
        content = list(container.children)
        if "input" in row:
            content.insert(0, nodes.literal_block(row["input"], row["input"], language="python"))
        for side in ("tf", "torch"):
            if fix := row.get(f"fix_{side}"):
                content.append(nodes.paragraph(text=f"Agrees instead ({side}):"))
                content.append(self.code(fix))
        return content


def checked(row: dict) -> str:
    """What the test compares, in words (MyST), for the reader to see the claim's strength."""
    how, tol = row.get("check", "equal"), row.get("tol")
    words = {
        "equal": "same values, shape and dtype",
        "close": f"same shape and dtype, values within {tol}",
        "shape": "same shape and dtype, not values",
        "differ": "the results differ",
    }[how]
    if "expect" in row:
        words += f"; `{row['expect']}`"
    return f"*Checked: {words}.*"


def add_filter(app, pagename, templatename, context, doctree):
    # Only the HTML page gets the filter; the EPUB (an HTML builder too) shows the bare table.
    if pagename == PAGE and not app.builder.name.startswith("epub"):
        app.add_js_file(FILTER_JS)


def exclude_filter_from_epub(app, config):
    config.epub_exclude_files = [*config.epub_exclude_files, f"_static/{FILTER_JS}"]


def link_back(app, doctree, docname):
    """Under each chapter section a row points to: 'Concordance: rows A, B' linking to them."""
    if app.builder.format == "html":
        documents = [(docname, doctree)]
    elif app.builder.format == "latex":  # one tree for the whole book, a part per document
        documents = [(part["docname"], part) for part in doctree.findall(addnodes.start_of_file)]
    else:
        return
    rows = load()[1]
    for name, tree in documents:
        slugs = app.env.metadata.get(name, {}).get("myst_slugs", {})
        by_slug: dict[str, list[str]] = {}
        for row in rows:
            target_doc, _, slug = row.get("section", "#").partition("#")
            if f"chapters/{target_doc.removesuffix('.md')}" == name and slug in slugs:
                # (a slug that is missing is a broken link on the concordance page: -n -W)
                by_slug.setdefault(slug, []).append(row["id"])
        uri = app.builder.get_relative_uri(name, PAGE)
        for slug, row_ids in by_slug.items():
            section = next(n for n in tree.findall(nodes.section) if slugs[slug][1] in n["ids"])
            section.insert(first_subsection(section), backlink(row_ids, uri))


def first_subsection(section: nodes.section) -> int:
    return next(
        (i for i, child in enumerate(section) if isinstance(child, nodes.section)), len(section)
    )


def backlink(row_ids: list[str], uri: str) -> nodes.paragraph:
    paragraph = nodes.paragraph(classes=["concordance-backlink"])
    paragraph += nodes.Text("Concordance: rows " if len(row_ids) > 1 else "Concordance: row ")
    for number, row_id in enumerate(row_ids):
        if number:
            paragraph += nodes.Text(", ")
        paragraph += nodes.reference(
            row_id, row_id, internal=True, refuri=f"{uri}#{row_anchor(row_id)}"
        )
    return paragraph


def setup(app):
    app.add_directive("concordance", ConcordanceDirective)
    app.connect("config-inited", exclude_filter_from_epub)
    app.connect("html-page-context", add_filter)
    app.connect("doctree-resolved", link_back)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
