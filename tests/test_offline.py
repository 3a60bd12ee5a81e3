"""The HTML book loads nothing from the network: every asset a page or stylesheet names is a
file of the book. (The browser tests check the same while the pages run.)"""

import re

REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)  # a scheme, or protocol-relative
ASSET = re.compile(
    r"<(?:script|link|img|iframe|source|audio|video)\b[^>]*?\b(?:src|href)=\"([^\"]+)\""
)
CSS_URL = re.compile(r"(?:url\(\s*['\"]?|@import\s+['\"])([^'\")]+)")


def remote(urls) -> list[str]:
    return [url for url in urls if REMOTE.match(url) and not url.startswith("data:")]


def test_the_checks_see_remote_assets():
    page = '<script src="https://cdn.example/mathjax.js"></script><link href="//fonts.x/y.css">'
    assert remote(ASSET.findall(page)) == ["https://cdn.example/mathjax.js", "//fonts.x/y.css"]
    assert remote(CSS_URL.findall("a{background:url('http://x/y.png')} @import 'https://z';")) == [
        "http://x/y.png",
        "https://z",
    ]
    assert remote(ASSET.findall('<a href="https://www.tensorflow.org/">link</a>')) == []


def test_no_page_or_stylesheet_names_a_remote_asset(html):
    found = []
    for page in html.glob("**/*.html"):
        found += [f"{page.name}: {url}" for url in remote(ASSET.findall(page.read_text()))]
    for sheet in html.glob("_static/**/*.css"):
        found += [f"{sheet.name}: {url}" for url in remote(CSS_URL.findall(sheet.read_text()))]
    assert found == []
