"""Fenced code blocks, highlighted once at publish time by Pygments.

The colours are classes (Pygments' short token names, ``<span class="k">``), never style attributes,
so the Content-Security-Policy stays strict; static/css/code.css gives them a light and a dark palette
(scripts/make_code_css.py). A block names its language above the code, and scrolls inside its own
box, reachable from the keyboard as a table's is, so that a long line never widens the page. A
language Pygments does not know is shown as plain, escaped text.
"""

from markupsafe import Markup
from pygments import highlight as pygmentize
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_formatter = HtmlFormatter(nowrap=True)


def lexer_for(language: str) -> Lexer | None:
    """Return the Pygments lexer for a fence's language name, or None for an unknown or missing one."""
    if not language:
        return None
    try:
        # stripnl=False: the block shows its blank lines as written.
        return get_lexer_by_name(language, stripnl=False)
    except ClassNotFound:
        return None


def highlight(code: str, language: str, _attrs: str) -> str:
    """Return the code as highlighted HTML spans, or "" for markdown-it to escape it as plain text."""
    lexer = lexer_for(language)
    return pygmentize(code, lexer, _formatter) if lexer else ""


def render_fence(self, tokens, idx, options, env) -> str:
    """Render a fenced block in a focusable box it scrolls in, under its language's name."""
    lexer = lexer_for(tokens[idx].info.split(maxsplit=1)[0] if tokens[idx].info.strip() else "")
    name = lexer.name if lexer else ""
    label = Markup('<div class="code-lang" aria-hidden="true">{}</div>\n').format(name) if name else ""
    return Markup(
        '<div class="code-block">\n{}<div class="code-wrap" role="region" tabindex="0" aria-label="{}">\n'
        "{}</div>\n</div>\n"
    ).format(label, f"{name} code" if name else "Code", Markup(self.fence(tokens, idx, options, env)))
