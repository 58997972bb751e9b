"""Render an article's Markdown to the HTML we store: CommonMark plus our few extensions.

markdown-it-py is a faithful CommonMark port (the spec's examples are our test) that lets us add
rules on its token stream instead of post-processing HTML with regular expressions. The extensions:
heading ids with a self-link, footnotes, tables (alignment as a class: the CSP forbids style
attributes; each in a focusable box it can scroll in), captioned figures in WordPress's markup, and a table of contents.
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.footnote.index import render_footnote_anchor

from blog.core.sanitize import clean_article
from blog.publishing import highlight, images
from blog.publishing.files import ContentError, ContentErrors, clip

# Part of every article's content hash: bump it when the markup we produce changes, so the next
# publish re-renders every article instead of calling them unchanged.
RENDERER_VERSION = "3"
DESCRIPTION_LENGTH = 160
TOC_MIN_SECTIONS = 3

# Ids the article page itself uses (comments, the reply form, the toc, footnotes): a heading must
# never take one, or its self-link and the page's own anchors would point at each other.
_RESERVED_IDS = re.compile(
    r"^(?:comments|respond|reply-title|commentform|cancel-comment-reply-link|toc-title|content|main"
    r"|comment-\d+|fn\d+|fnref\d+)$"
)


def slugify(title: str) -> str:
    """Return a stable id for a heading: lowercase words joined by hyphens (Unicode letters kept)."""
    text = unicodedata.normalize("NFKC", title).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    slug = re.sub(r"[\s_-]+", "-", text).strip("-") or "section"
    return f"{slug}-section" if _RESERVED_IDS.match(slug) else slug


def _inline_text(tokens: list[Token] | None) -> str:
    """Return the plain text of inline tokens (image alt text included, markup dropped)."""
    parts = []
    for token in tokens or []:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image":
            parts.append(_inline_text(token.children))
    return "".join(parts)


# -- core rules: run by every parse, and pure (no files read), so the CommonMark test sees them --


def _self_links(state: StateCore) -> None:
    """Give each heading with an id a symbol-only link to itself, named for screen readers."""
    for idx, token in enumerate(state.tokens):
        slug = token.attrGet("id")
        if token.type != "heading_open" or not slug:
            continue
        inline = state.tokens[idx + 1]
        title = _inline_text(inline.children).strip()
        token.meta["title"] = title
        link_open = Token("link_open", "a", 1)
        link_open.attrs = {"class": "header-anchor", "href": f"#{slug}", "aria-label": f"Permalink to “{title}”"}
        inline.children = [
            *(inline.children or []),
            Token("text", "", 0, content=" "),
            link_open,
            Token("text", "", 0, content="#"),
            Token("link_close", "a", -1),
        ]


def _table_alignment(state: StateCore) -> None:
    """Turn the table plugin's ``style="text-align:right"`` into ``class="align-right"``."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and (style := token.attrGet("style")):
            del token.attrs["style"]
            match = re.fullmatch(r"text-align:(left|center|right)", str(style))
            if match:
                token.attrJoin("class", f"align-{match[1]}")


def _captioned_image(tokens: list[Token], idx: int) -> Token | None:
    """Return the image if ``tokens[idx:idx + 3]`` is a paragraph holding only an image with a title."""
    window = tokens[idx : idx + 3]
    if [t.type for t in window] != ["paragraph_open", "inline", "paragraph_close"]:
        return None
    children = window[1].children or []
    if len(children) == 1 and children[0].type == "image" and children[0].attrGet("title"):
        return children[0]
    return None


def _figures(state: StateCore) -> None:
    """Turn a paragraph holding only an image with a title into a captioned figure."""
    tokens, out, idx = state.tokens, [], 0
    while idx < len(tokens):
        image = _captioned_image(tokens, idx)
        if image is None:
            out.append(tokens[idx])
            idx += 1
            continue
        caption = str(image.attrGet("title"))
        del image.attrs["title"]  # the caption says it; a tooltip repeating it is noise
        opening = tokens[idx]
        out.append(
            Token(
                "figure",
                "figure",
                0,
                map=opening.map,
                level=opening.level,
                block=True,
                children=[image],
                meta={"caption": caption},
            )
        )
        idx += 3
    state.tokens[:] = out


def _render_figure(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    image = self.renderInline(token.children, options, env)
    caption = escapeHtml(token.meta["caption"])
    return f'<figure class="wp-caption">{image}\n<figcaption class="wp-caption-text">{caption}</figcaption></figure>\n'


# A table too wide for a phone scrolls inside this box, which must then be reachable from the keyboard
# (WCAG 2.1.1): focusable, and a named region so a screen reader says what has the focus.
TABLE_WRAP = '<div class="table-wrap" role="region" tabindex="0" aria-label="Table">\n'


def _render_table_open(self, tokens, idx, options, env) -> str:
    return TABLE_WRAP + self.renderToken(tokens, idx, options, env)


def _render_table_close(self, tokens, idx, options, env) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def _render_image(self, tokens, idx, options, env) -> str:
    # An image with resized copies offers them in WebP to the browsers that take it, its own format to the rest.
    img = self.image(tokens, idx, options, env)
    picture = tokens[idx].meta.get("picture")
    if picture is None or picture.format == "WEBP":
        return img
    webp = f'<source type="image/webp" srcset="{escapeHtml(picture.srcset("WEBP"))}" sizes="{picture.sizes}">'
    return f"<picture>{webp}{img}</picture>"


def _render_footnote_anchor(self, tokens, idx, options, env) -> str:
    # The plugin's ↩︎ alone is read out as "leftwards arrow with hook"; say where it goes instead.
    html = render_footnote_anchor(self, tokens, idx, options, env)
    n = tokens[idx].meta["id"] + 1
    return html.replace('class="footnote-backref"', f'class="footnote-backref" aria-label="Back to reference {n}"')


def make_parser() -> MarkdownIt:
    """Return the markdown-it instance every article goes through."""
    md = (
        MarkdownIt("commonmark", {"highlight": highlight.highlight})
        .enable("table")
        .use(footnote_plugin)
        .use(anchors_plugin, min_level=1, max_level=6, slug_func=slugify)
    )
    md.core.ruler.after("anchor", "self_links", _self_links)
    md.core.ruler.push("table_alignment", _table_alignment)
    md.core.ruler.push("figures", _figures)
    md.add_render_rule("figure", _render_figure)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("fence", highlight.render_fence)
    md.add_render_rule("code_block", highlight.render_fence)
    md.add_render_rule("footnote_anchor", _render_footnote_anchor)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    return md


md = make_parser()


# -- the publish-time steps: resolve images (reads files), render, sanitize, describe --


@dataclass(frozen=True)
class Rendered:
    html: str
    toc_html: str = ""
    description: str = ""
    image: str = ""  # the first figure's src, for Open Graph
    images: tuple[Path, ...] = field(default=())


def _walk_images(tokens: list[Token]) -> Iterator[tuple[Token, int]]:
    """Yield each image token with its 0-based line in the parsed text."""
    line = 0
    for token in tokens:
        if token.map:  # inline tokens of table cells have none: they use their row's line
            line = token.map[0]
        breaks = 0
        for child in token.children or []:  # flat: only an image has children (its alt text)
            if child.type in ("softbreak", "hardbreak"):
                breaks += 1
            elif child.type == "image":
                yield child, line + breaks


def _local_path(src: str, path: Path) -> Path | None:
    """Return the file a relative image src names, or None for a URL or a site path."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or src.startswith("/") or not parts.path:
        return None
    return (path.parent / unquote(parts.path)).resolve()


def image_files(body: str, path: Path) -> list[Path]:
    """Return the local image files the body refers to (existing or not), for the content hash."""
    sources = (str(token.attrGet("src") or "") for token, _ in _walk_images(md.parse(body)))
    return [file for src in sources if (file := _local_path(src, path))]


def _resolve_images(tokens: list[Token], path: Path, images_dir: Path, first_line: int, *, write: bool) -> list[Path]:
    """Point each local image at /media/, sized from its file and with its resized copies; return the files.

    :raise ContentErrors: with every image that is missing, outside ``images_dir`` or not an image.
    """
    images_dir = images_dir.resolve()
    files = []
    errors = []
    for token, line in _walk_images(tokens):
        src = token.attrGet("src") or ""
        file = _local_path(src, path)
        if file is not None:
            try:
                picture = images.resolve(file, images_dir, (path, first_line + line), clip(src), write=write)
            except ContentError as e:
                errors.append(e)
                continue
            token.attrSet("src", picture.src)
            token.attrSet("width", str(picture.width))
            token.attrSet("height", str(picture.height))
            if picture.variants:
                token.attrSet("srcset", picture.srcset(picture.format))
                token.attrSet("sizes", picture.sizes)
                token.meta["picture"] = picture
            files.append(file)
        token.attrSet("loading", "lazy")
        token.attrSet("decoding", "async")
    if errors:
        raise ContentErrors(errors)
    return files


def shorten(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """Return the text on one line, cut on a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-–—") + "…"


def _first_paragraph(tokens: list[Token]) -> str:
    for idx, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0:
            return _inline_text(tokens[idx + 1].children)
    return ""


def _toc(tokens: list[Token]) -> str:
    """Return the table of contents (every ``##`` heading), or "" for fewer than three of them."""
    sections = [(t.attrGet("id"), t.meta["title"]) for t in tokens if t.type == "heading_open" and t.tag == "h2"]
    if len(sections) < TOC_MIN_SECTIONS:
        return ""
    items = Markup("").join(Markup('<li><a href="#{}">{}</a></li>\n').format(slug, title) for slug, title in sections)
    return Markup(
        '<nav class="toc" aria-labelledby="toc-title">\n<h2 id="toc-title">Contents</h2>\n<ol>\n{}</ol>\n</nav>\n'
    ).format(items)


def render(
    body: str, *, path: Path, images_dir: Path, first_line: int = 1, summary: str = "", write_images: bool = False
) -> Rendered:
    """Render an article body to sanitized HTML, its table of contents and its description.

    :param path: the article file (relative image paths start from its folder; errors name it).
    :param images_dir: the folder /media/ serves; every local image must be in it.
    :param first_line: the file line the body starts on, so errors give the file's line numbers.
    :param write_images: write the images' resized copies (publishing does; a preview need not).
    :raise ContentErrors: with every image that is missing, outside ``images_dir`` or not an image.
    """
    env: dict = {}
    tokens = md.parse(body, env)
    files = _resolve_images(tokens, path, images_dir, first_line, write=write_images)
    html = md.renderer.render(tokens, md.options, env)
    figure = next((t for t in tokens if t.type == "figure"), None)
    return Rendered(
        html=clean_article(html),
        toc_html=clean_article(_toc(tokens)),
        description=shorten(summary or _first_paragraph(tokens)),
        image=figure.children[0].attrGet("src") if figure and figure.children else "",
        images=tuple(files),
    )
