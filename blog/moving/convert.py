"""A WordPress post's HTML, as WordPress stores it, becomes our Markdown.

WordPress keeps a post as HTML without its paragraphs (``wpautop`` adds them when it shows the post)
and with shortcodes. So: shortcodes first (``[caption]`` → a captioned figure, ``[gallery]`` → one
figure per image, any other kept as text and reported), then paragraphs, then markdownify, which says
headings, lists, links, emphasis, quotes, code and tables in Markdown. What Markdown cannot say (an
embedded video, a definition list, superscript) stays HTML: the publish pipeline's cleaning decides
what of it is shown. Images go through ``media`` (blog/moving/media.py), which finds the uploaded file
or reports it missing.
"""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from markdownify import ATX, MarkdownConverter

from blog.core.sanitize import plain_text
from blog.publishing.markdown import shorten

# The attributes of a shortcode: name="value", name='value', name=value or a bare value.
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*"([^"]*)"|([\w-]+)\s*=\s*'([^']*)'|([\w-]+)\s*=\s*([^\s'"]+)""")
_CAPTION = re.compile(r"\[(caption|wp_caption)([^\]]*)\](.*?)\[/\1\]", re.S | re.I)
_GALLERY = re.compile(r"\[gallery([^\]]*)\]", re.I)
# A shortcode we cannot carry: a known name, or any [name ...][/name] pair. "[sic]" in a sentence is text.
_KNOWN = (
    "audio|video|playlist|embed|wpvideo|youtube|vimeo|soundcloud|gist|googlemaps|contact-form|"
    "sourcecode|code|source|instagram|twitter|tweet|slideshow|portfolio|recipe|polldaddy|archives"
)
_OTHER = re.compile(rf"\[({_KNOWN})(?=[\s\]/])[^\]]*\]|\[([a-z][\w-]*)(?:\s[^\]]*)?\].*?\[/\2\]", re.S | re.I)
_MORE = re.compile(r"<!--more(.*?)?-->", re.I)
_PRE = re.compile(r"<pre\b.*?</pre>", re.S | re.I)
# WordPress's wpautop's block elements: a paragraph never wraps one, and each stands apart.
_BLOCKS = (
    "table|thead|tfoot|caption|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|blockquote|address|"
    "math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header|footer|nav|figure|figcaption|"
    "details|menu|summary|iframe|video|audio|object|embed"
)
_BLOCK_EDGE = re.compile(rf"(<(?:{_BLOCKS})\b[^>]*>)|(</(?:{_BLOCKS})>)", re.I)
_BLOCK = re.compile(rf"^\s*</?(?:{_BLOCKS}|!--)\b", re.I)
# Kept as HTML: Markdown has no word for them; the article cleaning keeps what it allows.
_KEEP_BLOCK = ("iframe", "video", "audio", "object", "embed", "dl", "details")
_KEEP_INLINE = ("sup", "sub", "kbd", "abbr", "ins", "mark", "small", "cite", "q")


def attributes(text: str) -> dict[str, str]:
    """Return a shortcode's attributes: ``id="a" width=3`` → ``{"id": "a", "width": "3"}``."""
    found = {}
    for m in _ATTRIBUTE.finditer(text):
        name = m.group(1) or m.group(3) or m.group(5)
        found[name.lower()] = m.group(2) if m.group(1) else m.group(4) if m.group(3) else m.group(6)
    return found


@dataclass
class Image:
    """An image the gallery shows: its address, alternative text and caption."""

    url: str
    alt: str = ""
    caption: str = ""


@dataclass
class Converted:
    markdown: str
    summary: str
    shortcodes: list[str] = field(default_factory=list)  # the names kept as text, for the report


def _escape_title(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


def _figure_html(src: str, alt: str, caption: str) -> str:
    return (
        f'<figure><img src="{html.escape(src)}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _captions(text: str) -> str:
    def figure(m: re.Match) -> str:
        attrs, inner = attributes(m.group(2)), m.group(3)
        img = re.search(r"<img\b[^>]*>", inner, re.I)
        caption = attrs.get("caption") or re.sub(r"<img\b[^>]*>", "", inner, flags=re.I)
        caption = " ".join(html.unescape(re.sub(r"<[^>]*>", "", caption)).split())
        if img is None:
            return f"<p>{html.escape(caption)}</p>"
        img_attrs = attributes(img.group())
        return "\n\n" + _figure_html(img_attrs.get("src", ""), img_attrs.get("alt", ""), caption) + "\n\n"

    return _CAPTION.sub(figure, text)


def _galleries(text: str, gallery: Callable[[dict[str, str]], list[Image]]) -> str:
    def figures(m: re.Match) -> str:
        images = gallery(attributes(m.group(1)))
        shown = "\n\n".join(
            _figure_html(i.url, i.alt, i.caption)
            if i.caption
            else f'<p><img src="{html.escape(i.url)}" alt="{html.escape(i.alt)}"></p>'
            for i in images
        )
        return f"\n\n{shown}\n\n"

    return _GALLERY.sub(figures, text)


def autop(text: str) -> str:
    """Add the paragraphs WordPress adds when it shows a post: blank lines part them, a newline is a break."""
    kept: list[str] = []

    def keep(m: re.Match) -> str:
        kept.append(m.group())
        return f"\n\n\0{len(kept) - 1}\0\n\n"

    text = _PRE.sub(keep, text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _BLOCK_EDGE.sub(lambda m: f"\n\n{m.group()}" if m.group(1) else f"{m.group()}\n\n", text)
    out = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if re.fullmatch(r"\0\d+\0", chunk):
            out.append(kept[int(chunk.strip("\0"))])
        elif _BLOCK.match(chunk):
            out.append(chunk)
        else:
            out.append("<p>" + chunk.replace("\n", "<br>\n") + "</p>")
    return "\n\n".join(out)


class _Converter(MarkdownConverter):
    """markdownify, saying our captioned figures, mapping image addresses, and keeping what Markdown cannot say."""

    def __init__(self, image_url: Callable[[str], str], **options):
        super().__init__(**options)
        self.image_url = image_url

    def convert_figure(self, el, text, parent_tags):
        img = el.find("img")
        caption = el.find("figcaption")
        caption_text = " ".join(caption.get_text().split()) if caption else ""
        if img is None:
            return f"\n\n{text.strip()}\n\n"
        src = _destination(self.image_url(img.get("src", "")))
        alt = " ".join((img.get("alt") or "").split()).replace("]", "\\]")
        if not caption_text:
            return f"\n\n![{alt}]({src})\n\n"
        return f'\n\n![{alt}]({src} "{_escape_title(caption_text)}")\n\n'

    def convert_img(self, el, text, parent_tags):
        alt = " ".join((el.get("alt") or "").split()).replace("]", "\\]")
        if "_inline" in parent_tags:
            return alt
        # No title: an image alone in a paragraph with a title is a captioned figure, and a WordPress
        # image's title is a tooltip, not a caption.
        return f"![{alt}]({_destination(self.image_url(el.get('src', '')))})"

    def convert_picture(self, el, text, parent_tags):
        img = el.find("img")
        return self.convert_img(img, "", parent_tags) if img is not None else ""

    def convert_source(self, el, text, parent_tags):
        return ""

    def convert_dl(self, el, text, parent_tags):
        # WordPress's old caption markup: the image in a <dt>, its caption in a <dd>.
        if "wp-caption" in (el.get("class") or []) and el.find("img") is None:
            return f"\n\n{text.strip()}\n\n"  # a caption box left empty: only its words, if any
        if "wp-caption" in (el.get("class") or []):
            caption = el.find("dd")
            figure = BeautifulSoup("<figure></figure>", "html.parser").figure
            figure.append(el.find("img"))
            if caption is not None:
                figcaption = BeautifulSoup("<figcaption></figcaption>", "html.parser").figcaption
                figcaption.string = caption.get_text()
                figure.append(figcaption)
            return self.convert_figure(figure, "", parent_tags)
        return self._keep(el, text, parent_tags)

    def _keep(self, el, text, parent_tags):
        return f"\n\n{el}\n\n" if el.name in _KEEP_BLOCK else str(el)

    def get_conv_fn(self, tag_name):
        if tag_name != "dl" and (tag_name in _KEEP_BLOCK or tag_name in _KEEP_INLINE):
            return self._keep
        return super().get_conv_fn(tag_name)


def _destination(src: str) -> str:
    """Return an image address as a Markdown link destination (in <> when it has spaces or brackets)."""
    if re.search(r"[\s()<>]", src):
        return "<" + src.replace("<", "%3C").replace(">", "%3E").replace("\n", "") + ">"
    return src


_HEADING = re.compile(r"<h([1-6])\b([^>]*)>(.*?)</h\1\s*>", re.I | re.S)


def _headings_below_the_title(text: str) -> str:
    """Renumber the post's headings from level 2, each at most one level below the one before.

    The article's title is the page's only h1, and a heading that skips a level (an h4 after an h2)
    leaves screen reader users wondering what they missed; WordPress themes often start posts at h3.
    """
    previous = 1

    def renumber(m: re.Match) -> str:
        nonlocal previous
        previous = level = max(2, min(int(m.group(1)), previous + 1))
        return f"<h{level}{m.group(2)}>{m.group(3)}</h{level}>"

    return _HEADING.sub(renumber, text)


def _strip_self_links(text: str) -> str:
    # Our own export's headings carry a "#" link to themselves; markdownify would write it out as text.
    return re.sub(r'\s*<a class="header-anchor"[^>]*>#</a>', "", text)


def convert(
    content: str,
    excerpt: str = "",
    *,
    image_url: Callable[[str], str] = lambda url: url,
    gallery: Callable[[dict[str, str]], list[Image]] = lambda attrs: [],
) -> Converted:
    """Return the post's Markdown body, its summary, and the shortcodes that stayed text.

    :param image_url: maps an image address in the post to the one the Markdown gives (a local copy).
    :param gallery: returns the images of a ``[gallery]`` from its attributes.
    """
    shortcodes = []
    more = _MORE.search(content)
    summary_html = excerpt.strip() or (content[: more.start()] if more else "")
    text = _MORE.sub("", content)
    text = _captions(text)
    text = _galleries(text, gallery)
    for m in _OTHER.finditer(_PRE.sub("", text)):
        shortcodes.append((m.group(1) or m.group(2)).lower())
    text = autop(_headings_below_the_title(_strip_self_links(text)))
    markdown = _Converter(
        image_url,
        heading_style=ATX,
        bullets="-",
        escape_misc=False,
        strip_document=None,
        newline_style="backslash",
        code_language_callback=_code_language,
    ).convert(text)
    markdown = re.sub(r"[ \t]+\n", "\n", markdown)  # trailing spaces: noise, and a hard break in Markdown
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
    summary = shorten(plain_text(_captions(_GALLERY.sub("", summary_html))), 500) if summary_html else ""
    return Converted(markdown, summary, shortcodes)


def _code_language(el) -> str:
    classes = " ".join(el.get("class") or [])
    code = el.find("code")
    if code is not None:
        classes += " " + " ".join(code.get("class") or [])
    m = re.search(r"(?:language|lang|brush)[-:]\s*([\w+#-]+)", classes)
    return m.group(1) if m else ""


def plain(text: str) -> str:
    """Return a title or a name as plain text: tags dropped, entities decoded, one line."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", text or "")).split())
