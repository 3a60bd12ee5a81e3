"""The `verified-versions` directive: a table of the versions the book's outputs were checked
with, read from pyproject.toml so that the pins live in one place."""

import tomllib
from pathlib import Path

from docutils import nodes
from packaging.requirements import Requirement
from sphinx.util.docutils import SphinxDirective

# `frameworks` includes `examples` (`{include-group = ...}` entries are skipped: their pins are
# listed under their own group).
GROUPS_SHOWN = {
    "frameworks": "runs every example",
    "examples": "runs every example",
    "docs": "builds the book",
}


def pinned_versions(pyproject: Path) -> list[tuple[str, str, str, str]]:
    """(group, package, version, where) for each pin of the groups shown."""
    groups = tomllib.loads(pyproject.read_text())["dependency-groups"]
    rows = []
    for group in GROUPS_SHOWN:
        for line in groups[group]:
            if isinstance(line, dict):
                continue
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            where = str(requirement.marker).replace('"', "'") if requirement.marker else "all"
            rows.append((group, requirement.name, specifier.version, where))
    return rows


class VerifiedVersions(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        pyproject = Path(self.env.srcdir).parent / "pyproject.toml"  # the book is in book/
        self.env.note_dependency(str(pyproject))
        python = tomllib.loads(pyproject.read_text())["project"]["requires-python"]
        rows = [("", "Python", python, "all"), *pinned_versions(pyproject)]
        table = nodes.table(classes=["verified-versions"])
        tgroup = nodes.tgroup(cols=3)
        table += tgroup
        tgroup.extend(nodes.colspec(colwidth=width) for width in (3, 2, 4))
        head, body = nodes.thead(), nodes.tbody()
        tgroup += [head, body]
        head += self._row(("Package", "Version", "Used for"))
        for group, package, version, where in rows:
            use = GROUPS_SHOWN.get(group, "runs everything")
            body += self._row((package, version, use if where == "all" else f"{use} ({where})"))
        return [table]

    @staticmethod
    def _row(cells) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            row += nodes.entry("", nodes.paragraph(text=cell))
        return row


def setup(app):
    app.add_directive("verified-versions", VerifiedVersions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
