"""Every HTML policy of the blog, in one place: what comments and articles may contain.

bleach is in security-fix-only mode upstream; nothing outside this module imports it, so moving to
another sanitizer (nh3, justhtml) is a change to this file alone.
"""

import re
import unicodedata
from functools import lru_cache, partial
from html import unescape

import bleach
from bleach.linkifier import LinkifyFilter

# WordPress's $allowedtags for comments (wp-includes/kses.php).
COMMENT_TAGS = frozenset(
    {
        "a",
        "abbr",
        "acronym",
        "b",
        "blockquote",
        "cite",
        "code",
        "del",
        "em",
        "i",
        "q",
        "s",
        "strike",
        "strong",
    }
)
COMMENT_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "abbr": ["title"],
    "acronym": ["title"],
    "blockquote": ["cite"],
    "del": ["datetime"],
    "q": ["cite"],
}
PROTOCOLS = frozenset({"http", "https", "mailto"})

ARTICLE_TAGS = COMMENT_TAGS | {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "pre",
    "kbd",
    "samp",
    "var",
    "sub",
    "sup",
    "mark",
    "small",
    "span",
    "div",
    "section",
    "nav",
    "figure",
    "figcaption",
    "img",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "details",
    "summary",
    "time",
    "ins",
}
_COMMON = [
    "id",
    "class",
    "title",
    "lang",
    "dir",
    "aria-label",
    "aria-hidden",
    "aria-labelledby",
    "aria-describedby",
    "role",
]
ARTICLE_ATTRIBUTES = {
    "*": _COMMON,
    "a": [*_COMMON, "href", "rel", "hreflang"],
    "img": [*_COMMON, "src", "alt", "width", "height", "loading", "decoding", "srcset", "sizes"],
    "ol": [*_COMMON, "start", "reversed"],
    "th": [*_COMMON, "scope", "colspan", "rowspan"],
    "td": [*_COMMON, "colspan", "rowspan"],
    "time": [*_COMMON, "datetime"],
    "blockquote": [*_COMMON, "cite"],
    "q": [*_COMMON, "cite"],
    "del": [*_COMMON, "datetime"],
    "ins": [*_COMMON, "datetime"],
    "details": [*_COMMON, "open"],
    "div": [*_COMMON, "tabindex"],  # the scrolling box around a table (blog/markdown.py)
}

# Control characters have no place in a comment; they are dropped before anything else looks at it.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BLANK_LINE = re.compile(r"\n\s*\n")
# A blockquote tag as the cleaner writes it (attribute values always double-quoted).
_BLOCK_TAG = re.compile(r'</?blockquote(?:\s+[a-z-]+="[^"]*")*\s*>')
# In a name, C1 controls (terminal escapes in logs) go too; line breaks and tabs become spaces (one_line).
_LINE_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")


def _ugc_link(attrs, new=False):
    """Mark every link in a comment as user-generated and unendorsed (Google's rel="ugc")."""
    href = attrs.get((None, "href"), "")
    if not re.match(r"(?i)^(https?:|mailto:)", href):
        # A linkified "example.com" has no scheme yet; anything else without one is dropped.
        if new and not href.startswith(("/", "#")):
            attrs[(None, "href")] = "http://" + href
        else:
            return None
    attrs[(None, "rel")] = "nofollow ugc"
    attrs.pop((None, "target"), None)
    return attrs


_comment_cleaner = bleach.sanitizer.Cleaner(
    tags=COMMENT_TAGS,
    attributes=COMMENT_ATTRIBUTES,
    protocols=PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_ugc_link], skip_tags={"code"}, parse_email=False)],
)
# The second pass only repairs the nesting that adding paragraphs may have broken.
_paragraph_cleaner = bleach.sanitizer.Cleaner(
    tags=COMMENT_TAGS | {"p", "br"},
    attributes=COMMENT_ATTRIBUTES,
    protocols=PROTOCOLS,
    strip=True,
    strip_comments=True,
)
_article_cleaner = bleach.sanitizer.Cleaner(
    tags=ARTICLE_TAGS,
    attributes=ARTICLE_ATTRIBUTES,
    protocols=PROTOCOLS,
    strip=True,
    strip_comments=True,
)


def normalise_text(text: str) -> str:
    """Return the text with Unix newlines and without control characters or lone surrogates."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str) -> str:
    """Return a name or other short field on one line: no control characters, whitespace runs as one space."""
    return " ".join(_LINE_CONTROL.sub("", text).split())


def has_visible_text(html: str) -> bool:
    """Tell whether cleaned HTML shows anything to read (not only tags, spaces or invisible characters)."""
    return any(not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf") for ch in plain_text(html))


def autop(html: str) -> str:
    """Make paragraphs from blank lines and line breaks from single newlines, as WordPress's wpautop.

    A quotation is a block of its own, as wpautop has it: its text gets paragraphs inside it, and the
    text around it is never left outside a paragraph or given a stray <br>.
    """
    html = _BLOCK_TAG.sub(lambda m: f"\n\n{m.group()}\n\n", html.strip())
    paragraphs = [p.strip() for p in _BLANK_LINE.split(html) if p.strip()]
    return "\n".join(p if _BLOCK_TAG.fullmatch(p) else "<p>" + p.replace("\n", "<br>\n") + "</p>" for p in paragraphs)


# A comment is cleaned for the moderation rules (its links) and for storing: once is enough.
@lru_cache(maxsize=32)
def clean_comment(text: str) -> str:
    """Return the comment as safe HTML: WordPress's comment tags, safe links, paragraphs."""
    cleaned = _comment_cleaner.clean(normalise_text(text))
    paragraphs = autop(cleaned)
    if "<" not in cleaned:
        # Plain text (most comments): the only tags are autop's own <p> and <br>, whose nesting
        # cannot be wrong, so the second pass would return it unchanged (tests/test_sanitize.py).
        return paragraphs.replace("<p></p>", "")
    return _paragraph_cleaner.clean(paragraphs).replace("<p></p>", "")


def count_links(text: str) -> int:
    """Count the links a comment would show, bare URLs included."""
    return clean_comment(text).count("<a ")


_TAG = re.compile(r"<[^>]*>")


def plain_text(html: str) -> str:
    """Return cleaned HTML as plain text (for JSON-LD and feeds): tags dropped, entities decoded.

    Only for HTML this module has already cleaned: bleach's serialiser escapes every ``<`` and ``>``
    in text and attribute values, so each tag is one ``<…>`` run and a pattern can drop it (a second
    parse per comment per render would cost more than the rest of the page).
    """
    text = _TAG.sub("", html.replace("<br>", "\n").replace("</p>", "</p>\n"))
    return re.sub(r"\n{3,}", "\n\n", unescape(text)).strip()


def clean_article(html: str) -> str:
    """Return rendered article HTML restricted to the article allowlist (no script, no style)."""
    return _article_cleaner.clean(html)
