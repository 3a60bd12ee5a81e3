"""The `tf` and `torch` roles: API names in the text link to the frameworks' reference pages.

    {tf}`reshape`             tf.reshape             tensorflow.org/api_docs/python/tf/reshape
    {tf}`Variable.assign`     tf.Variable.assign     .../python/tf/Variable#assign
    {torch}`nn.Linear`        torch.nn.Linear        docs.pytorch.org/.../torch.nn.Linear.html
    {torch}`the view method <Tensor.view>`   a title of your own

The URL is computed from the name; nothing is fetched at build time (no intersphinx), so a
misspelled name makes a dead link, not a build error. Each use also adds an index entry.
"""

from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import ReferenceRole

TF_API = "https://www.tensorflow.org/api_docs/python/tf/"
TORCH_API = "https://docs.pytorch.org/docs/stable/generated/torch."


def tf_url(name: str) -> str:
    parts = name.split(".")
    # A method is an anchor on its class's page: tf.Variable.assign -> tf/Variable#assign.
    if len(parts) > 1 and parts[-2][:1].isupper() and not parts[-1][:1].isupper():
        return TF_API + "/".join(parts[:-1]) + "#" + parts[-1]
    return TF_API + "/".join(parts)


def torch_url(name: str) -> str:
    return f"{TORCH_API}{name}.html"


URLS = {"tf": tf_url, "torch": torch_url}


class ApiRole(ReferenceRole):
    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        framework = self.name.split(":")[-1]
        name = self.target.removeprefix(f"{framework}.")
        full = f"{framework}.{name}"
        title = self.title if self.has_explicit_title else full
        target_id = f"api-{self.env.new_serialno('api')}"
        index = addnodes.index(entries=[("single", full, target_id, "", None)])
        target = nodes.target("", "", ids=[target_id])
        link = nodes.reference("", "", nodes.literal(title, title), refuri=URLS[framework](name))
        return [index, target, link], []


def setup(app):
    for framework in URLS:
        app.add_role(framework, ApiRole())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
