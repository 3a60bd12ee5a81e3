# Sphinx settings for the book. Sources live in book/; run through the Makefile.
import doctest
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent

# -- The book ----------------------------------------------------------------------------
project = "TensorFlow and PyTorch, Side by Side"
author = "The tf-torch-book authors"
copyright = "2026, " + author
release = version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
root_doc = "index"
exclude_patterns = ["_ext", "_static"]

# -- Extensions: Sphinx's, then the book's own (book/_ext, one job a file) -------------------
sys.path.insert(0, str(ROOT / "book" / "_ext"))
extensions = [
    "myst_parser",
    "sphinx_copybutton",
    "sphinx_design",
    "compare",  # the side-by-side construct, and the rule that every example uses it
    "doctest_rules",  # sphinx.ext.doctest, made strict
    "versions",  # prints the pins from pyproject.toml
    "api_links",  # {tf}`reshape` and {torch}`reshape` link to the reference pages
    "notebooks",  # each chapter as a Jupyter notebook per framework
    "figures",  # book/figures/*.dot drawn by Graphviz (sphinx.ext.graphviz), for every format
    "concordance",  # the appendix of API pairs from book/concordance/pairs.toml, with its filter
]

# -- MyST: colon fences let a `compare` block hold code fences -------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- Doctest: every printed value compared (no global ELLIPSIS), errors compared in full -----
doctest_default_flags = doctest.DONT_ACCEPT_TRUE_FOR_1
doctest_global_setup = """
__name__ = "__main__"  # as in a script: AutoGraph and the deprecation rule rely on it
import numpy as np
import torch
import tensorflow as tf
from child_process import run_script  # examples that need a fresh process (book/preface.md)
"""
doctest_show_successes = False

# -- HTML ---------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["book/_static"]
templates_path = ["book/_templates"]
html_css_files = ["book.css", "header.css"]
html_js_files = [
    "framework-choice.js",  # in <head>: the reader's choice applies before paint
    "contents-button.js",
]
html_theme_options = {
    "repository_url": "",
    "use_download_button": False,
    "use_fullscreen_button": False,  # leaves room in a phone's header for the framework choice
    "show_toc_level": 2,
    "article_header_end": [
        "framework-choice.html",
        "notebook-download.html",
        "article-header-buttons.html",
    ],
}

# -- Figures: SVG in HTML and EPUB, PDF in the PDF; one style for all (the sources' own) ---
graphviz_output_format = "svg"
graphviz_dot_args = [
    *("-Gfontname=DejaVu Sans", "-Nfontname=DejaVu Sans", "-Efontname=DejaVu Sans"),
    *("-Gfontsize=10", "-Nfontsize=10", "-Efontsize=9"),  # the PDF's text is 10pt
    *("-Ecolor=#666666", "-Earrowsize=0.7"),
    "-Gbgcolor=transparent",  # dark mode inverts the drawing (book.css), not a white box
]

# -- Copy button: copy the code only, never prompts or outputs ------------------------------
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# -- LaTeX (make pdf): Debian's TeX Live, lualatex for Unicode in text and outputs ---------
latex_engine = "lualatex"
latex_use_xindy = False  # makeindex ships with TeX Live; the index entries are ASCII names
latex_documents = [("index", "tf-torch-book.tex", project, author, "manual")]
latex_elements = {
    "extraclassoptions": "openany,oneside",  # read on screens: no blank pages between chapters
    # 90 characters (the book's longest code line) fit the text width at this size, so no
    # code line is wrapped; DejaVu Sans Mono reads better than the default FreeMono.
    "fvset": r"\fvset{fontsize=\small}",
    "figure_align": "H",  # a figure stays where the text refers to it, as in the HTML
    "preamble": r"""
\setmonofont{DejaVu Sans Mono}[Scale=0.85]
% A framework's label stays on the page of its code's first lines; side by side, in a
% minipage (compare.py), a pane cannot break at all.
\newenvironment{sphinxclasscompare-pane}{\par\ifinner\else\needspace{6\baselineskip}\fi}{}
""",
}

# -- EPUB (make epub), checked by epubcheck --------------------------------------------------
epub_basename = "tf-torch-book"
epub_show_urls = "no"  # API names stay links; printed URLs would interrupt every sentence
epub_css_files = ["book.css"]  # no header in an e-book: it shows both frameworks
epub_exclude_files = [
    "_static/framework-choice.js",
    "_static/contents-button.js",
    "_static/header.css",
]
