"""The book's doctest groups: which framework each one shows, and which are legacy.

Every tested block names one of these groups (```{doctest} tf```). A group is one namespace
per chapter, so names never leak from one framework to the other; only the `port` group,
for code that converts between them, sees both. Legacy groups hold APIs a
reader still meets in old code; they may emit DeprecationWarning, modern groups may not.
"""

from typing import NamedTuple


class Group(NamedTuple):
    framework: str  # the pane the code goes in: "tf" or "torch"
    label: str  # what the reader sees above the code
    legacy: bool


GROUPS = {
    "tf": Group("tf", "TensorFlow", legacy=False),
    "tf1": Group("tf", "TensorFlow 1 (legacy)", legacy=True),
    "torch": Group("torch", "PyTorch", legacy=False),
    "torch-legacy": Group("torch", "PyTorch (legacy)", legacy=True),
    # Porting code holds both frameworks in one namespace, to move weights and compare outputs.
    "port": Group("port", "TensorFlow and PyTorch together", legacy=False),
}

# What modern groups may not emit about their own calls (legacy groups may).
MODERN_ERRORS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)

# Panes are shown in this order.
FRAMEWORKS = ("tf", "torch", "port")
