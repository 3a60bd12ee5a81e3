"""The versions the book prints are the pins, and the pins are what runs the examples."""

import tomllib
from importlib.metadata import version

from packaging.requirements import Requirement

from conftest import ROOT
from versions import pinned_versions

PYPROJECT = ROOT / "pyproject.toml"


def test_pins_are_read_from_pyproject():
    rows = pinned_versions(PYPROJECT)
    assert ("examples", "torch", "2.15.0", "all") in rows
    assert ("frameworks", "tensorflow-cpu", "2.21.0", "sys_platform == 'linux'") in rows
    assert ("docs", "sphinx", "9.0.4", "all") in rows


def test_the_book_prints_every_framework_pin(html):
    page = (html / "preface.html").read_text()
    for _, package, pinned, _ in pinned_versions(PYPROJECT):
        assert f"<p>{package}</p>" in page and f"<p>{pinned}</p>" in page


def test_installed_frameworks_are_the_pinned_ones():
    groups = tomllib.loads(PYPROJECT.read_text())["dependency-groups"]
    for line in groups["frameworks"] + groups["examples"] + groups["docs"]:
        if isinstance(line, dict):  # {include-group = ...}
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate():
            assert requirement.specifier.contains(version(requirement.name)), requirement
