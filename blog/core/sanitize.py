"""Every HTML policy of the blog, in one place: what comments and articles may contain.

bleach is in security-fix-only mode upstream; nothing outside this module imports it, so moving to
another sanitizer (nh3, justhtml) is a change to this file alone.

What one comment may cost is bounded, because html5lib (under bleach) is pure Python and superlinear on
some shapes (deep nesting, long runs of word characters before linkifying, many attributes). A comment is
cleaned as markup only up to its first 256 markup units (a ``<``, ``>`` or ``&``, a line break, a
dot before a word character) and 4,096 characters inside tags; a run of 256 word characters also ends the
markup. From that point on, the rest of the comment is shown as the commenter typed it: escaped text in
paragraphs of its own, no tags, no links. Nothing typed is lost or refused, and a real comment (a few
dozen tags, links and lines) never comes near the bound; a hostile 64 KB comment costs a few
milliseconds (tests/test_comment_cost.py).
"""

import re
import unicodedata
from functools import partial
from html import escape, unescape
from html.entities import html5

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
    "picture",  # an image's resized copies in WebP beside its own format (blog/publishing/images.py)
    "source",
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
    "source": ["type", "srcset", "sizes"],
    "ol": [*_COMMON, "start", "reversed"],
    "th": [*_COMMON, "scope", "colspan", "rowspan"],
    "td": [*_COMMON, "colspan", "rowspan"],
    "time": [*_COMMON, "datetime"],
    "blockquote": [*_COMMON, "cite"],
    "q": [*_COMMON, "cite"],
    "del": [*_COMMON, "datetime"],
    "ins": [*_COMMON, "datetime"],
    "details": [*_COMMON, "open"],
    "div": [*_COMMON, "tabindex"],  # the scrolling box around a table or code (blog/publishing/markdown.py)
}

# Control characters have no place in a comment; they are dropped before anything else looks at it.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BLANK_LINE = re.compile(r"\n\s*\n")
# A blockquote tag as the cleaner writes it (attribute values always double-quoted).
_BLOCK_TAG = re.compile(r'</?blockquote(?:\s+[a-z-]+="[^"]*")*\s*>')
# In a name, C1 controls (terminal escapes in logs) go too; line breaks and tabs become spaces (one_line).
_LINE_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")


# What a URL may not hold as typed (the URL Standard's), and a "%" that starts no escape.
_URL_INVALID = re.compile(r'[\x00-\x20"<>`{}|\\^\x7f]|%(?![0-9A-Fa-f]{2})')


def _ugc_link(attrs, new=False):
    """Mark every link in a comment as user-generated and unendorsed (Google's rel="ugc")."""
    href = attrs.get((None, "href"), "")
    if not re.match(r"(?i)^(https?:|mailto:)", href):
        # A linkified "example.com" has no scheme yet; anything else without one is dropped.
        if new and not href.startswith(("/", "#")):
            href = "http://" + href
        else:
            return None
    # Percent-encoded, as a browser would send it, so that the page stays valid HTML.
    attrs[(None, "href")] = _URL_INVALID.sub(lambda m: f"%{ord(m.group()[0]):02X}", href)
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


MAX_MARKUP_UNITS = 256
MAX_MARKUP_CHARS = 4096
MAX_WORD_RUN = 256
# What costs the cleaner work: a tag (or comment), a character to escape or reference, a line break (a <br>
# after autop), a dot the linkifier looks at; and a long run of word characters, which its URL pattern
# rescans from every position.
_UNIT = re.compile(rf"(?P<tag><[A-Za-z/!?])|[<>&\n]|\.\w|(?P<run>[\w-]{{{MAX_WORD_RUN}}})")


def _split_at_bound(text: str) -> tuple[str, str]:
    """Split the text where its markup passes the bounds (see the module docstring); O(len(text))."""
    markup = 0
    for units, match in enumerate(_UNIT.finditer(text), 1):
        start = match.start()
        if match.lastgroup == "tag":
            end = text.find(">", start, start + MAX_MARKUP_CHARS - markup + 1)
            markup = MAX_MARKUP_CHARS + 1 if end < 0 else markup + end - start
        if units > MAX_MARKUP_UNITS or markup > MAX_MARKUP_CHARS or match.lastgroup == "run":
            return text[:start], text[start:]
    return text, ""


# An ampersand the cleaner kept that starts no reference a browser knows ("&x;", "&#0;") is an error
# in HTML: it is escaped, so the text shows as typed.
_REFERENCE = re.compile(r"&(?:(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});)?")


def _valid_reference(name: str) -> bool:
    if not name.startswith("#"):
        return name + ";" in html5
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    return not (
        code == 0
        or code > 0x10FFFF
        or 0xD800 <= code <= 0xDFFF
        or 0xFDD0 <= code <= 0xFDEF
        or code & 0xFFFE == 0xFFFE  # the last two code points of every plane are noncharacters
        or (code < 0x20 and code not in (0x09, 0x0A, 0x0C))
        or 0x7F <= code <= 0x9F
    )


def _escape_stray_ampersands(html: str) -> str:
    return _REFERENCE.sub(
        lambda m: m.group() if m.group(1) and _valid_reference(m.group(1)) else "&amp;" + m.group()[1:], html
    )


# WordPress allows acronym and strike, which HTML has made obsolete: they are written as their
# successors, abbr and s (the same meaning and look). Cleaned HTML has "<" only where a tag starts.
_OBSOLETE = re.compile(r"<(/?)(acronym|strike)\b")
_SUCCESSOR = {"acronym": "abbr", "strike": "s"}


def _valid_html(html: str) -> str:
    """Return cleaned HTML as valid HTML: stray ampersands escaped, obsolete elements renamed."""
    html = _OBSOLETE.sub(lambda m: f"<{m.group(1)}{_SUCCESSOR[m.group(2)]}", html)
    return _escape_stray_ampersands(html)


def _clean_markup(text: str) -> str:
    cleaned = _comment_cleaner.clean(text)
    paragraphs = autop(cleaned)
    if "<" not in cleaned:
        # Plain text (most comments): the only tags are autop's own <p> and <br>, whose nesting
        # cannot be wrong, so the second pass would return it unchanged (tests/test_sanitize.py).
        return _valid_html(paragraphs.replace("<p></p>", ""))
    return _valid_html(_paragraph_cleaner.clean(paragraphs).replace("<p></p>", ""))


def clean_comment(text: str) -> str:
    """Return the comment as safe, valid HTML: WordPress's comment tags, safe links, paragraphs.

    Past the bounds of the module docstring, the rest of the comment follows as escaped text.
    """
    markup, rest = _split_at_bound(normalise_text(text))
    html = _clean_markup(markup)
    if rest:
        html = "\n".join(part for part in (html, autop(escape(rest, quote=False))) if part)
    return html


def links_in(html: str) -> int:
    """Count the links a cleaned comment shows, bare URLs made links included."""
    return html.count("<a ")


_TAG = re.compile(r"<[^>]*>")


def plain_text(html: str) -> str:
    """Return cleaned HTML as plain text (for JSON-LD and feeds): tags dropped, entities decoded.

    Only for HTML this module has already cleaned: bleach's serialiser escapes every ``<`` and ``>``
    in text and attribute values, so each tag is one ``<…>`` run and a pattern can drop it (a second
    parse per comment per render would cost more than the rest of the page).
    """
    text = _TAG.sub("", html.replace("<br>", "\n").replace("</p>", "</p>\n"))
    return re.sub(r"\n{3,}", "\n\n", unescape(text)).strip()


def visible_text(html: str) -> str:
    """Return the words a reader sees in cleaned or rendered HTML (search, reading time): each tag a
    space, entities decoded. The same one-run-per-tag reasoning as ``plain_text`` holds."""
    return unescape(_TAG.sub(" ", html))


def clean_article(html: str) -> str:
    """Return rendered article HTML restricted to the article allowlist (no script, no style)."""
    return _article_cleaner.clean(html)
