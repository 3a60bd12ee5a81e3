"""The `tf` and `torch` roles: API names link to the official reference pages."""

import pytest

from api_links import tf_url, torch_url
from conftest import add_chapter, sphinx


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("reshape", "https://www.tensorflow.org/api_docs/python/tf/reshape"),
        ("nn.relu", "https://www.tensorflow.org/api_docs/python/tf/nn/relu"),
        ("GradientTape", "https://www.tensorflow.org/api_docs/python/tf/GradientTape"),
        ("Variable.assign", "https://www.tensorflow.org/api_docs/python/tf/Variable#assign"),
        ("compat.v1.Session", "https://www.tensorflow.org/api_docs/python/tf/compat/v1/Session"),
    ],
)
def test_tensorflow_urls(name, url):
    assert tf_url(name) == url


def test_pytorch_urls():
    base = "https://docs.pytorch.org/docs/stable/generated/"
    assert torch_url("reshape") == base + "torch.reshape.html"
    assert torch_url("nn.Linear") == base + "torch.nn.Linear.html"
    assert torch_url("Tensor.view") == base + "torch.Tensor.view.html"


@pytest.mark.slow
def test_the_roles_make_links_and_index_entries(book_copy, tmp_path):
    text = "# X\n\nUse {tf}`reshape`, {torch}`tf.nope <reshape>` and {torch}`torch.nn.Linear`.\n"
    add_chapter(book_copy, "99-x.md", text)
    assert sphinx("html", book_copy, tmp_path).returncode == 0
    page = (tmp_path / "html" / "chapters" / "99-x.html").read_text()
    code = '"><code class="docutils literal notranslate"><span class="pre">'
    assert f"https://www.tensorflow.org/api_docs/python/tf/reshape{code}tf.reshape" in page
    assert f"torch.reshape.html{code}tf.nope" in page  # a title of the writer's own
    assert f"torch.nn.Linear.html{code}torch.nn.Linear" in page
    index = (tmp_path / "html" / "genindex.html").read_text()
    assert "tf.reshape" in index and "torch.nn.Linear" in index
