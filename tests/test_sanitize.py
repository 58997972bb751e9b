"""The comment HTML policy (blog/core/sanitize.py): WordPress's comment tags, safe links, paragraphs."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blog.core import sanitize
from blog.core.sanitize import clean_article, clean_comment, links_in, plain_text


@pytest.mark.parametrize(
    ("text", "html"),
    [
        # Paragraphs from blank lines, line breaks kept.
        ("Line one\nline two\n\nPara two", "<p>Line one<br>\nline two</p>\n<p>Para two</p>"),
        ("Windows\r\nnewlines\r\n\r\nhere", "<p>Windows<br>\nnewlines</p>\n<p>here</p>"),
        ("  \n\n  lead", "<p>lead</p>"),
        # WordPress's comment tags survive, with their attributes.
        (
            '<abbr title="t">a</abbr> <acronym title="x">b</acronym> <b>c</b> <cite>d</cite> <code>e</code> '
            '<del datetime="2020-01-01">f</del> <em>g</em> <i>h</i> <q cite="http://q.org">i</q> <s>j</s> '
            "<strike>k</strike> <strong>l</strong>",
            # acronym and strike are obsolete in HTML: written as their successors, abbr and s.
            '<p><abbr title="t">a</abbr> <abbr title="x">b</abbr> <b>c</b> <cite>d</cite> '
            "<code>e</code> "
            '<del datetime="2020-01-01">f</del> <em>g</em> <i>h</i> <q cite="http://q.org">i</q> <s>j</s> '
            "<s>k</s> <strong>l</strong></p>",
        ),
        (
            '<blockquote cite="https://x.com">quoted</blockquote>',
            '<blockquote cite="https://x.com">\n<p>quoted</p>\n</blockquote>',
        ),
        # A quotation is a block (wpautop): paragraphs inside it, none around it, no stray <br> after it.
        (
            "I agree with this:\n<blockquote>Pages are\nrendered once.</blockquote>\nSo do I.",
            "<p>I agree with this:</p>\n<blockquote>\n<p>Pages are<br>\nrendered once.</p>\n</blockquote>\n"
            "<p>So do I.</p>",
        ),
        # Everything else is stripped to its text.
        ("<h1>Head</h1>", "<p>Head</p>"),
        ('<span class="x">span</span>', "<p>span</p>"),
        ("<b>unclosed", "<p><b>unclosed</b></p>"),
        ("a < b > c & d", "<p>a &lt; b &gt; c &amp; d</p>"),
        # Links: http, https and mailto only; always rel="nofollow ugc"; no target; no other attributes.
        (
            '<a href="https://x.com" target="_blank" rel="dofollow">x</a>',
            '<p><a href="https://x.com" rel="nofollow ugc">x</a></p>',
        ),
        ('<a href="mailto:a@b.com">m</a>', '<p><a href="mailto:a@b.com" rel="nofollow ugc">m</a></p>'),
        (
            '<a title="x" href="https://x.com" onclick="y">x</a>',
            '<p><a title="x" href="https://x.com" rel="nofollow ugc">x</a></p>',
        ),
        ('<a href="ftp://x.com">f</a>', "<p>f</p>"),
        # Characters a URL may not hold are percent-encoded (valid HTML, same link).
        (
            '<a href="http://foo.bar/#x=`y z">u</a> http://a.org/%zz',
            '<p><a href="http://foo.bar/#x=%60y%20z" rel="nofollow ugc">u</a> '
            '<a href="http://a.org/%25zz" rel="nofollow ugc">http://a.org/%zz</a></p>',
        ),
        ('<a href="javascript:alert(1)">j</a>', "<p>j</p>"),
        ('<a href="/relative">r</a>', "<p>r</p>"),
        # Bare URLs become links, but not inside code, and email addresses are left as text.
        (
            "see https://example.com/page ok",
            '<p>see <a href="https://example.com/page" rel="nofollow ugc">https://example.com/page</a> ok</p>',
        ),
        ("www.example.com", '<p><a href="http://www.example.com" rel="nofollow ugc">www.example.com</a></p>'),
        ("<code>https://x.com</code>", "<p><code>https://x.com</code></p>"),
        ("email me a@b.com", "<p>email me a@b.com</p>"),
        # Control characters are dropped.
        ("bell\x07 and nul\x00", "<p>bell and nul</p>"),
        # An ampersand that starts no reference a browser knows is escaped (valid HTML); known ones stay.
        ("&x; &#0; &#x110000; &#128; &#xD800;", "<p>&amp;x; &amp;#0; &amp;#x110000; &amp;#128; &amp;#xD800;</p>"),
        ("&amp; &eacute; &#233; &#x6A; &#10;", "<p>&amp; &eacute; &#233; &#x6A; &#10;</p>"),
        # An unclosed tag at the end is shown as typed (in a paragraph of its own), not swallowed.
        ("if x <y then", "<p>if x</p>\n<p>&lt;y then</p>"),
    ],
)
def test_clean_comment(text, html):
    assert clean_comment(text) == html


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("no links", 0),
        ("https://a.com", 1),
        ("https://a.com and www.b.org", 2),
        ('<a href="https://a.com">a</a> <a href="javascript:x">b</a>', 1),
        ("<code>https://a.com</code>", 0),
    ],
)
def test_links_in(text, links):
    assert links_in(clean_comment(text)) == links


def test_plain_text():
    assert plain_text(clean_comment("Fish &amp; <b>chips</b>\n\nand peas")) == "Fish & chips\n\nand peas"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<",
                ">",
                "/",
                "=",
                '"',
                "'",
                " ",
                "\n",
                "&",
                "#",
                ":",
                "a",
                "script",
                "img",
                "svg",
                "on",
                "error",
                "href",
                "src",
                "javascript",
                "data",
                "style",
                "b",
                "<a ",
                "</",
                "<!--",
                "-->",
                "\t",
                "\x00",
                "http://x.com",
                "&#x6A;",
                "&colon;",
                "onload",
                "iframe",
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_random_markup_never_survives_as_live_html(text):
    from tests.test_xss_corpus import problems_in_comment_html

    assert problems_in_comment_html(clean_comment(text)) == []


_PIECES = st.sampled_from(
    [
        "<b>",
        "</b>",
        "<script>",
        "</script>",
        "<!-- x -->",
        "<blockquote>",
        "</blockquote>",
        "&",
        "&amp;",
        ">",
        "\n",
        "\n\n",
        "\r\n",
        " ",
        "\u00a0",
        "\u200b",
        "example.com",
        "https://x.org/a?b=1&c=2",
        "mail@example.org",
        "word",
        "\ufffe",
        "\x00",
    ]
)


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=200), st.lists(st.one_of(_PIECES, st.text(max_size=5))).map("".join)))
def test_the_second_pass_is_skipped_only_where_it_would_change_nothing(text):
    text = sanitize.normalise_text(text)
    cleaned = sanitize._comment_cleaner.clean(text)
    both_passes = sanitize._paragraph_cleaner.clean(sanitize.autop(cleaned)).replace("<p></p>", "")
    assert sanitize._clean_markup(text) == sanitize._valid_html(both_passes)


def test_markup_past_the_bound_is_shown_as_typed():
    # Each "<b>bold</b> " is four markup units (two "<", two ">"): the first 64 are markup, the rest text.
    html = clean_comment("<b>bold</b> " * 200)
    assert html.count("<b>bold</b>") == 64
    assert html.count("&lt;b&gt;bold&lt;/b&gt;") == 136
    assert plain_text(html).count("bold") == 200


def test_article_pictures_keep_only_their_sources_formats():
    """The article allowlist takes a <picture>'s <source> (type, srcset, sizes) and nothing else on it."""
    html = (
        '<picture><source type="image/webp" srcset="/media/a.webp 480w" sizes="100vw" src="javascript:x"'
        ' onerror="x()" style="color:red"><img src="/media/a.jpg" alt=""></picture>'
        '<pre><code><span class="k" style="color:red" onclick="x()">def</span></code></pre>'
    )
    assert clean_article(html) == (
        '<picture><source type="image/webp" srcset="/media/a.webp 480w" sizes="100vw">'
        '<img src="/media/a.jpg" alt=""></picture><pre><code><span class="k">def</span></code></pre>'
    )
