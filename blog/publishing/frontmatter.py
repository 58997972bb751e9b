"""Front matter: the YAML block at the top of an article file, parsed with the lines of its fields.

Only plain YAML is accepted: anchors, aliases (a 1 KB alias bomb grows to gigabytes) and deep nesting
are refused at their line, and dates and YAML 1.1's yes/no/on/off stay text for the field table to check.
"""

from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from blog.publishing.files import ContentError, clip

# Only the front-matter rule matters here; "zero" keeps the rest of the parse to bare paragraphs.
_front_matter_md = MarkdownIt("zero").use(front_matter_plugin)
# Front matter is a flat list of fields; nothing real nests deeper, and PyYAML recurses per level.
MAX_YAML_DEPTH = 20


def split_front_matter(text: str) -> tuple[str, int, str, int] | None:
    """Return (yaml, yaml_first_line, body, body_first_line) with 1-based lines, or None without front matter."""
    tokens = _front_matter_md.parse(text)
    if not tokens or tokens[0].type != "front_matter":
        return None
    token = tokens[0]
    assert token.map is not None
    body_line = token.map[1]  # 0-based index of the first body line
    body = "".join(text.splitlines(keepends=True)[body_line:])
    return token.content, 2, body, body_line + 1


class _Refused(yaml.composer.ComposerError):
    """YAML that is valid but that front matter does not accept, at the line where it appears."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, except that dates stay text, and anchors, aliases and deep nesting are refused.

    The stock loader turns ``2024-13-45`` into a bare ValueError with no line, and a date-time without
    seconds into a string; parsing every date ourselves gives one rule and a ``path:line`` for each error.
    An alias repeats a whole value, so seven levels of nine in a 1 KB file expand to millions of strings
    (and a message quoting them to 72 MB); front matter has no use for them. Each nesting level costs
    PyYAML a recursion, so a few thousand brackets would end in a RecursionError.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                None,
                None,
                "uses a YAML anchor or alias (&name or *name); write each value out instead",
                event.start_mark,
            )
        if self._depth >= MAX_YAML_DEPTH:
            raise _Refused(None, None, f"nests deeper than {MAX_YAML_DEPTH} levels", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# No field takes a boolean, and `status: no` read as False could only be reported as `not False`: the
# field table gets the word as written.
_AS_TEXT = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _AS_TEXT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(yaml_text: str, first_line: int) -> tuple[Any, list[tuple[str, int]]]:
    """Return the front matter's data and the file line of each top-level key, so errors can point at it.

    :raise yaml.YAMLError: when the text is not YAML.
    """
    loader = _Loader(yaml_text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    if not isinstance(node, yaml.MappingNode):
        return data, []
    return data, [(str(k.value), first_line + k.start_mark.line) for k, _ in node.value]


def yaml_error(e: yaml.YAMLError, path: Path, yaml_line: int) -> ContentError:
    """Report broken YAML on the line YAML names, with where its context began when that helps."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = clip(getattr(e, "problem", None) or str(e))
    context, context_mark = getattr(e, "context", None), getattr(e, "context_mark", None)
    if context and context_mark is not None and mark is not context_mark:
        # YAML notices the problem where it gives up; the cause is often where the context began.
        problem += f" ({context} that starts on line {yaml_line + context_mark.line})"
    line = yaml_line + mark.line if mark is not None else 1
    if isinstance(e, _Refused):
        return ContentError(path, line, f"front matter {problem}")
    return ContentError(path, line, f"front matter is not valid YAML: {problem}")
