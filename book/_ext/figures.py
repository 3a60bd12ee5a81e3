"""The figures (book/figures/*.dot) as sphinx.ext.graphviz draws them, made accessible in
the HTML and fit for the EPUB.

- The HTML shows an SVG figure as an `<object>`, whose alt text Sphinx puts inside it as
  fallback content, which assistive technology skips while the SVG shows. The object is
  given `role="img"` and the alt text as its `aria-label`.
- Graphviz opens each SVG with a DOCTYPE that points to the SVG 1.1 DTD. epubcheck refuses
  a document that declares external entities, and browsers and e-readers ignore the DTD, so
  the DOCTYPE is dropped from every drawn SVG before the book is packed (the HTML builders'
  event `html-collect-pages` comes after the pages are written and before the EPUB is
  zipped).
"""

import re
from pathlib import Path

from sphinx.ext.graphviz import graphviz, html_visit_graphviz

DOCTYPE = re.compile(r"<!DOCTYPE svg[^>]*>\s*")


def visit_labeled(self, node: graphviz) -> None:
    start = len(self.body)
    try:
        html_visit_graphviz(self, node)  # writes the figure and skips the node's children
    finally:
        label = f'<object role="img" aria-label="{self.attval(node.get("alt", ""))}" '
        self.body[start:] = [part.replace("<object ", label, 1) for part in self.body[start:]]


def drop_doctypes(app) -> list:
    for svg in Path(app.outdir, app.builder.imagedir).glob("graphviz-*.svg"):
        text = svg.read_text()
        if DOCTYPE.search(text):
            svg.write_text(DOCTYPE.sub("", text, count=1))
    return []  # no pages of its own


def setup(app):
    app.setup_extension("sphinx.ext.graphviz")
    app.add_node(graphviz, override=True, html=(visit_labeled, None))
    app.connect("html-collect-pages", drop_doctypes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
