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

from conftest import CHAPTERS, ROOT, doctest_blocks, missing_tool

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


@pytest.mark.parametrize("name", ["index", FIRST.stem, "glossary"])
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
