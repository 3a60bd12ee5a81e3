"""The built book in a real browser: Debian's Chromium driven by Playwright, the pages served
on localhost and opened from file://, with every request that leaves the machine blocked."""

import doctest
import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from concordance import load
from conftest import CHAPTERS, ROOT, doctest_blocks, missing_tool
from test_figures import figures

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
# As root Chromium needs --no-sandbox; the others stop it from calling home on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WIDE_SCREENS = (1280, 1440, 1920)
SCREENSHOTS = ROOT / os.environ.get("BUILDDIR", "_build") / "screenshots"
FIRST, SECOND = CHAPTERS[0], CHAPTERS[1]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        missing_tool(
            f"the browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def server(html):
    """The built book on http://127.0.0.1:PORT, served from a thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=html)
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(params=["http", "file"])
def base(request, html, server) -> str:
    """Where the book is opened: served on localhost, or from disk."""
    return server if request.param == "http" else html.as_uri()


class Offline:
    """A browser context that lets only local requests through, and logs the others."""

    def __init__(self, browser, base: str, **options):
        self.context = browser.new_context(**options)
        # Playwright's 30 s is not enough on a loaded CI machine, where the other pytest
        # worker runs the book's examples: the 700 kB concordance page once took longer.
        self.context.set_default_timeout(120_000)
        self.blocked: list[str] = []
        self.broken: list[str] = []
        local = urlparse(base)

        def route(route):
            url = urlparse(route.request.url)
            if url.scheme in ("file", "data", "blob") or url.netloc == local.netloc:
                return route.continue_()
            self.blocked.append(route.request.url)
            return route.abort()

        self.context.route("**/*", route)
        self.context.on(
            "response", lambda r: r.status >= 400 and self.broken.append(f"{r.status} {r.url}")
        )

    def page(self, url: str):
        page = self.context.new_page()
        page.goto(url)
        return page


@pytest.fixture
def offline(browser):
    contexts = []

    def make(base, **options) -> Offline:
        contexts.append(Offline(browser, base, **options))
        return contexts[-1]

    yield make
    for context in contexts:
        context.context.close()


def page_url(base: str, source: Path) -> str:
    return f"{base}/{source.relative_to(ROOT / 'book').with_suffix('.html').as_posix()}"


def visible(page, selector: str) -> int:
    return page.locator(selector).evaluate_all(
        "nodes => nodes.filter(n => n.getClientRects().length > 0).length"
    )


# The first .compare and the data-framework value at the moment it is parsed: set before
# the first paint only if it is already there then.
RECORD_CHOICE_AT_FIRST_PANE = """
new MutationObserver((_, observer) => {
  if (document.querySelector(".compare")) {
    window.choiceAtFirstPane = document.documentElement.dataset.framework || "unset";
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def test_the_framework_choice_persists_across_pages_and_visits(offline, base):
    book = offline(base, viewport=DESKTOP)
    book.context.add_init_script(RECORD_CHOICE_AT_FIRST_PANE)
    page = book.page(page_url(base, FIRST))
    tf_panes, torch_panes = visible(page, ".compare-tf"), visible(page, ".compare-torch")
    assert tf_panes > 0 and torch_panes > 0, "both frameworks are shown by default"
    tf, torch = (
        page.locator(f".compare:has(.compare-tf + .compare-torch) .{name}").first
        for name in ("compare-tf", "compare-torch")
    )
    assert tf.bounding_box()["x"] < torch.bounding_box()["x"], "side by side on a wide screen"

    page.get_by_role("radio", name="PyTorch").click()
    assert visible(page, ".compare-torch") == torch_panes
    assert visible(page, ".compare-tf") == page.locator(".compare-tf:only-child").count()
    compare = page.locator(".compare:has(.compare-tf + .compare-torch)").first
    assert torch.bounding_box()["width"] == pytest.approx(compare.bounding_box()["width"], abs=1)

    page.goto(page_url(base, SECOND))  # a later page, then a later visit
    for _ in range(2):
        assert page.evaluate("window.choiceAtFirstPane") == "torch", "set before first paint"
        assert page.locator('input[value="torch"]').is_checked()
        assert visible(page, ".compare-tf") == page.locator(".compare-tf:only-child").count()
        page.reload()

    # The keyboard alone moves the choice: the radio group takes the arrow keys.
    page.locator('input[value="torch"]').focus()
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.documentElement.dataset.framework") == "tf"
    assert visible(page, ".compare-torch") == page.locator(".compare-torch:only-child").count()
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.documentElement.dataset.framework") == "both"
    assert book.blocked == [] and book.broken == []


def first_block_code(source: Path) -> str:
    """The code of the first example block of a chapter, as a reader would paste it."""
    _, block = doctest_blocks(source)[0]
    examples = doctest.DocTestParser().get_examples(block)
    return "\n".join(example.source.rstrip("\n") for example in examples)


def test_the_copy_button_copies_only_the_code(offline, server):
    book = offline(server, viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    page = book.page(page_url(server, FIRST))
    block = page.locator(".compare-pane div.highlight").first
    block.hover()
    block.locator("xpath=..").locator("button.copybtn").first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == first_block_code(FIRST)
    assert ">>>" not in copied


def test_search_finds_a_term_offline(offline, base):
    book = offline(base)
    page = book.page(f"{base}/search.html?q=GradientTape")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for()
    assert "glossary" in [
        urlparse(href).path.rsplit("/", 1)[-1].removesuffix(".html")
        for href in results.evaluate_all("links => links.map(a => a.href)")
    ]
    assert book.blocked == []


def every_page(html: Path) -> list[Path]:
    """The book's pages; _static/ holds the theme's template fragments, not pages."""
    return sorted(p for p in html.glob("**/*.html") if p.relative_to(html).parts[0] != "_static")


def test_no_page_asks_for_the_network(offline, base, html):
    book = offline(base)
    pages = every_page(html)
    assert len(pages) >= len(CHAPTERS) + 3  # chapters, index, search, genindex at least
    page = book.context.new_page()
    for path in pages:
        page.goto(f"{base}/{path.relative_to(html).as_posix()}")
        page.wait_for_load_state("networkidle")
    assert book.blocked == [], "pages asked for the network"
    assert book.broken == [], "pages asked for files that are not there"


@pytest.mark.parametrize("name", ["index", FIRST.stem, figures()[0]["chapter"].stem, "glossary"])
def test_no_serious_accessibility_violation(offline, server, name):
    from axe_playwright_python.sync_playwright import Axe

    path = next(p for p in [ROOT / "book" / f"{name}.md", *CHAPTERS] if p.stem == name)
    page = offline(server, viewport=DESKTOP).page(page_url(server, path))
    violations = Axe().run(page).response["violations"]
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']}; {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_and_layout(offline, server, width, viewport):
    """Screenshots to look at; and the layout facts a reader would see in them."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    book = offline(server, viewport=viewport, is_mobile=width == "phone")
    page = book.page(page_url(server, FIRST))
    tf, torch = (
        page.locator(f".compare:has(.compare-tf + .compare-torch) .{name}").first
        for name in ("compare-tf", "compare-torch")
    )
    tf_box, torch_box = tf.bounding_box(), torch.bounding_box()
    if width == "phone":
        assert torch_box["y"] >= tf_box["y"] + tf_box["height"], "stacked on a narrow screen"
    else:
        assert torch_box["x"] >= tf_box["x"] + tf_box["width"], "side by side on a wide screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shots = [
        SCREENSHOTS / f"{width}-{FIRST.stem}.png",
        SCREENSHOTS / f"{width}-{FIRST.stem}-torch.png",
    ]
    compare = page.locator(".compare:has(.compare-tf + .compare-torch)").nth(1)
    compare.scroll_into_view_if_needed()
    page.screenshot(path=shots[0])
    before = compare.bounding_box()["y"]
    box = page.get_by_role("radio", name="PyTorch").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # no scrolling
    assert compare.bounding_box()["y"] == pytest.approx(before, abs=2), "the text stays put"
    page.screenshot(path=shots[1])
    page.goto(page_url(server, ROOT / "book" / "index.md"))
    page.screenshot(path=SCREENSHOTS / f"{width}-index.png", full_page=True)
    for shot in shots:
        assert shot.stat().st_size > 10_000


CHOICE = {"both": "Both", "tf": "TensorFlow", "torch": "PyTorch"}  # the header's radio buttons

# Per view and viewport width: the most code panes that may scroll sideways, and the fewest
# two-framework blocks that must stay side by side (stacking every block would also stop
# the scrolling, and lose what the book is for).
PANE_LIMITS = [
    ("both", 1280, 0.10, 0.25),
    ("both", 1440, 0.05, 0.40),
    ("both", 1920, 0.02, 0.75),
    ("tf", 1280, 0.02, None),
    ("torch", 1280, 0.02, None),
]

MEASURE_PANES = """() => {
  const shown = (node) => node.getClientRects().length > 0;
  const blocks = [...document.querySelectorAll(".compare-pane pre")].filter(shown);
  const pairs = [...document.querySelectorAll(".compare")]
    .map((block) => [...block.querySelectorAll(":scope > .compare-pane")].filter(shown))
    .filter((panes) => panes.length === 2);
  return {
    panes: blocks.length,
    scrolling: blocks.filter((pre) => pre.scrollWidth > pre.clientWidth)
      .map((pre) => pre.textContent.split("\\n")[0]),
    pairs: pairs.length,
    sideBySide: pairs.filter(([first, second]) =>
      second.getBoundingClientRect().left >= first.getBoundingClientRect().right).length,
    widestProse: Math.max(...[...document.querySelectorAll("article section > p")]
      .map((p) => p.getBoundingClientRect().width)),
  };
}"""


@pytest.mark.parametrize(
    ("framework", "width", "most_scrolling", "fewest_side_by_side"),
    PANE_LIMITS,
    ids=[f"{framework}-{width}" for framework, width, *_ in PANE_LIMITS],
)
def test_code_panes_fit_their_code(
    offline, server, framework, width, most_scrolling, fewest_side_by_side
):
    """Over every chapter: few panes scroll sideways, and prose keeps its measure."""
    book = offline(server, viewport={"width": width, "height": 900})
    page = book.page(page_url(server, FIRST))
    page.get_by_role("radio", name=CHOICE[framework]).check()
    panes, scrolling, pairs, side_by_side = 0, [], 0, 0
    for chapter in CHAPTERS:
        page.goto(page_url(server, chapter))
        found = page.evaluate(MEASURE_PANES)
        panes, pairs = panes + found["panes"], pairs + found["pairs"]
        scrolling += [f"{chapter.stem}: {line}" for line in found["scrolling"]]
        side_by_side += found["sideBySide"]
        rem = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert found["widestProse"] <= 42 * rem + 1, f"{chapter.stem}: prose wider than 42rem"
    print(
        f"{framework} at {width}px: {len(scrolling)} of {panes} panes scroll sideways, "
        f"{side_by_side} of {pairs} pairs side by side"
    )
    assert len(scrolling) <= most_scrolling * panes, scrolling
    if fewest_side_by_side is not None:
        assert side_by_side >= fewest_side_by_side * pairs
    assert book.blocked == [] and book.broken == []


def test_no_chapter_is_wider_than_a_phone(offline, server):
    """Code scrolls inside its pane on a phone; nothing else pushes the page sideways."""
    page = offline(server, viewport=PHONE, is_mobile=True).context.new_page()
    wide = []
    for chapter in CHAPTERS:
        page.goto(page_url(server, chapter))
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide.append(f"{chapter.stem}: {width}px")
    assert wide == []


DENSE = max(CHAPTERS, key=lambda chapter: chapter.read_text().count(":::{compare}"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDE_SCREENS)
def test_screenshots_of_a_dense_page(offline, server, width, scheme):
    """The chapter with the most compare blocks, in both color schemes, to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    book = offline(server, viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = book.page(page_url(server, DENSE))
    assert page.evaluate("document.documentElement.dataset.theme") == scheme
    pairs = page.locator(".compare-pair")
    pairs.nth(pairs.count() // 3).scroll_into_view_if_needed()
    shot = SCREENSHOTS / f"{width}-{DENSE.stem}-{scheme}.png"
    page.screenshot(path=shot)
    assert shot.stat().st_size > 10_000
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_contents_open_from_the_header_where_the_code_takes_their_column(offline, server):
    page = offline(server, viewport=DESKTOP).page(page_url(server, FIRST))
    assert visible(page, ".bd-sidebar-secondary") == 0, "the code has the right-hand column"
    button = page.get_by_role("button", name="Toggle secondary sidebar")
    box = button.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    links = page.locator("dialog[open] nav.page-toc a")
    sections = page.locator("article section > h2").count()
    assert sections > 5 and links.count() >= sections
    target = links.nth(2).get_attribute("href")
    links.nth(2).click()
    assert page.locator("dialog[open]").count() == 0, "a followed link closes the contents"
    assert page.evaluate("location.hash") == target


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_figures_draw_in_light_and_dark_mode(offline, server, scheme):
    """Each figure's SVG loads, fits the prose, and is inverted in dark mode; screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    book = offline(server, viewport=DESKTOP, color_scheme=scheme)
    chapters = sorted({figure["chapter"] for figure in figures()})
    for chapter in chapters:
        page = book.page(page_url(server, chapter))
        shown = page.locator("figure:has(div.graphviz)")
        for number in range(shown.count()):
            figure, drawing = shown.nth(number), shown.nth(number).locator("object")
            drawing.scroll_into_view_if_needed()
            root = drawing.evaluate("o => o.contentDocument?.documentElement.tagName")
            assert root == "svg", f"{chapter.stem}: figure {number + 1} does not load"
            box = drawing.bounding_box()
            assert box["height"] > 100 and box["width"] <= 42 * 16 + 1
            inverted = "invert" in drawing.evaluate("o => getComputedStyle(o).filter")
            assert inverted == (scheme == "dark")
            figure.screenshot(path=SCREENSHOTS / f"figure-{chapter.stem}-{number + 1}-{scheme}.png")
        page.close()
    assert book.blocked == [] and book.broken == []


def test_typing_a_name_narrows_the_rows_from_file(html, offline):
    context = offline(html.as_uri())
    page = context.page((html / "concordance.html").as_uri())
    rows = page.locator("table.concordance-table tbody tr")
    total = rows.count()
    assert total == len(load()[1])  # every row of book/concordance/pairs.toml
    assert visible(page, "table.concordance-table tbody tr") == total
    page.fill(".concordance-filter input", "torch.cat")
    shown = visible(page, "table.concordance-table tbody tr")
    assert 0 < shown < total
    assert page.locator("#row-ten-017").is_visible()
    assert not page.locator("#row-rnd-001").is_visible()
    assert page.locator("#concordance-count").text_content() == f"{shown} of {total} rows"
    page.fill(".concordance-filter input", "reduce_std")  # TensorFlow's name finds the row too
    assert visible(page, "table.concordance-table tbody tr") == 1
    page.fill(".concordance-filter input", "")
    assert visible(page, "table.concordance-table tbody tr") == total
    assert context.blocked == [] and context.broken == []
