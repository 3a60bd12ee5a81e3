"""The `compare` directive: the book's one construct for showing the frameworks side by side.

    :::{compare}
    ```{doctest} tf
    >>> tf.constant([1, 2])
    ...
    ```
    ```{doctest} torch
    >>> torch.tensor([1, 2])
    ...
    ```
    :::

Each tested block goes into the pane of its group's framework (frameworks.py), TensorFlow
first, under a label. HTML lays the panes out with CSS (book/_static/book.css): side by side
where both panes' lines fit, one after the other where they do not (the EPUB uses the same
CSS). The PDF sets a pair side by side where both panes' lines fit in half the text width
and the pair is short enough to stay on one page, and one after the other otherwise.
Because every layout decision lives here and in that CSS, the book's layout changes in one
place.

The same extension enforces the construct: a tested block outside a `compare`, or one that
names no known group, is reported with its file and line (an error under `-W`).
"""

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from frameworks import FRAMEWORKS, GROUPS

logger = logging.getLogger(__name__)

VISIBLE_TESTS = {"doctest", "testcode", "testoutput"}  # testsetup/cleanup are not shown

# The PDF's code font (conf.py) fits 100 columns in the text width; two halves with a gap
# and their frames hold 48 each. A side-by-side pair cannot break across pages, so a
# taller one is printed one pane after the other, where a page break may fall inside.
PRINT_HALF_COLUMNS = 48
PRINT_SIDE_BY_SIDE_LINES = 40
# One raw LaTeX node between the panes: the writer puts a blank line (a new paragraph,
# which would stack the halves) around each node.
_HALF = r"\begin{minipage}[t]{\dimexpr0.5\linewidth-0.5em\relax}"
PRINT_BEFORE_PANES = (r"\par\noindent" + _HALF, r"\end{minipage}\hfill" + _HALF)


def groups_of(node: nodes.Node) -> list[str]:
    return node.get("groups", []) if isinstance(node, nodes.Element) else []


def is_tested(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Element) and "testnodetype" in node


class Compare(SphinxDirective):
    has_content = True

    def run(self) -> list[nodes.Node]:
        panes: dict[str, list[nodes.Node]] = {}
        group_of_pane: dict[str, str] = {}
        for child in self.parse_content_to_nodes():
            names = groups_of(child)
            # Only {doctest}: Sphinx reports the wrong line for a failing {testcode}.
            if child.get("testnodetype") != "doctest" or len(names) != 1 or names[0] not in GROUPS:
                raise self.error(
                    "compare holds only {doctest} blocks, each naming one group of "
                    f"{sorted(GROUPS)}; found {child.tagname} with groups {names}"
                )
            framework = GROUPS[names[0]].framework
            if group_of_pane.setdefault(framework, names[0]) != names[0]:
                raise self.error(
                    f"compare mixes groups {group_of_pane[framework]!r} and {names[0]!r}; "
                    "give each its own compare block"
                )
            panes.setdefault(framework, []).append(child)

        compare = nodes.container(classes=["compare"])
        self.set_source_info(compare)
        shown = [framework for framework in FRAMEWORKS if framework in panes]
        if len(shown) == 2:
            compare["classes"].append("compare-pair")  # HTML: two halves of the width
        side_by_side = len(shown) == 2 and fits_half_a_page(panes.values())
        for number, framework in enumerate(shown):
            group = GROUPS[group_of_pane[framework]]
            pane = nodes.container(classes=["compare-pane", f"compare-{framework}"])
            if group.legacy:
                pane["classes"].append("compare-legacy")
            label = nodes.paragraph(classes=["compare-label"])
            label += nodes.strong(text=group.label)
            pane += label
            pane.extend(panes[framework])
            if side_by_side:  # each pane in a minipage, which keeps its label with its code
                compare += latex(PRINT_BEFORE_PANES[number])
            compare += pane
        if side_by_side:
            compare += latex(r"\end{minipage}\par")
        return [compare]


def latex(code: str) -> nodes.raw:
    """LaTeX for the PDF; the HTML and EPUB writers leave it out."""
    return nodes.raw("", code, format="latex")


def fits_half_a_page(panes) -> bool:
    lines = [line for blocks in panes for block in blocks for line in block.astext().splitlines()]
    height = max(sum(len(block.astext().splitlines()) for block in blocks) for blocks in panes)
    return max(map(len, lines)) <= PRINT_HALF_COLUMNS and height <= PRINT_SIDE_BY_SIDE_LINES


def check_tested_blocks(app, doctree: nodes.document) -> None:
    """Report tested blocks that escape the construct or name an unknown group."""
    for node in doctree.findall(is_tested):
        unknown = [name for name in groups_of(node) if name not in GROUPS]
        if unknown:  # a block without a group is in Sphinx's group "default"
            logger.warning(
                "tested block names group(s) %s; use one of %s",
                unknown,
                sorted(GROUPS),
                location=node,
            )
        if node["testnodetype"] in VISIBLE_TESTS and not any(
            "compare" in parent.get("classes", []) for parent in _ancestors(node)
        ):
            logger.warning("tested block outside a compare block", location=node)


def _ancestors(node: nodes.Node):
    while node.parent is not None:
        node = node.parent
        yield node


def setup(app):
    app.add_directive("compare", Compare)
    app.connect("doctree-read", check_tested_blocks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
