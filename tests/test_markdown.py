"""The renderer: figures, heading ids and self-links, tables, footnotes, the toc, descriptions, errors."""

import hashlib
import re
from pathlib import Path

import pytest

from blog.publishing.files import ContentError
from blog.publishing.markdown import image_files, render, shorten, slugify
from blog.publishing.source import read_source
from tests.conftest import SITE

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "content"
IMAGES = FIXTURES / "images"
RED = f"/media/red.png?v={hashlib.sha256((IMAGES / 'red.png').read_bytes()).hexdigest()[:10]}"
RED_WEBP = f"/media/.sizes/red-{RED.rsplit('=', 1)[1]}-8.webp"
RED_SIZES = 'sizes="(max-width: 8px) 100vw, 8px"'
RED_ATTRS = (
    f'src="{RED}" alt="A red square" width="8" height="6" srcset="{RED} 8w" {RED_SIZES} loading="lazy" decoding="async"'
)
RED_PICTURE = f'<picture><source type="image/webp" srcset="{RED_WEBP} 8w" {RED_SIZES}><img {RED_ATTRS}></picture>'


def html_of(text: str, **kwargs) -> str:
    return render(text, path=FIXTURES / "article.md", images_dir=IMAGES, **kwargs).html


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param(
            '![A red square](images/red.png "A caption & more")',
            f'<figure class="wp-caption">{RED_PICTURE}\n'
            '<figcaption class="wp-caption-text">A caption &amp; more</figcaption></figure>\n',
            id="titled image alone in its paragraph: a figure, as SPEC §1 writes it",
        ),
        pytest.param(
            "Before ![A red square](images/red.png) after",
            f"<p>Before {RED_PICTURE} after</p>\n",
            id="untitled image: inline, still sized",
        ),
        pytest.param(
            'Text then ![A red square](images/red.png "Not a caption here")',
            f'<p>Text then <picture><source type="image/webp" srcset="{RED_WEBP} 8w" {RED_SIZES}><img src="{RED}"'
            f' alt="A red square" title="Not a caption here" width="8" height="6" srcset="{RED} 8w" {RED_SIZES}'
            ' loading="lazy" decoding="async"></picture></p>\n',
            id="titled image with text around it: inline",
        ),
        pytest.param(
            "![Elsewhere](https://example.org/a.png)",
            '<p><img src="https://example.org/a.png" alt="Elsewhere" loading="lazy" decoding="async"></p>\n',
            id="remote image: left alone",
        ),
        pytest.param(
            "## Hello, *World*",
            '<h2 id="hello-world">Hello, <em>World</em> <a class="header-anchor" href="#hello-world"'
            ' aria-label="Permalink to “Hello, World”">#</a></h2>\n',
            id="heading: id and a symbol-only self-link with a name",
        ),
        pytest.param(
            "| Left | Centre | Right | None |\n|:--|:-:|--:|---|\n| a | b | c | d |",
            '<div class="table-wrap" role="region" tabindex="0" aria-label="Table">\n'
            '<table>\n<thead>\n<tr>\n<th class="align-left">Left</th>\n<th class="align-center">Centre</th>\n'
            '<th class="align-right">Right</th>\n<th>None</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
            '<td class="align-left">a</td>\n<td class="align-center">b</td>\n<td class="align-right">c</td>\n'
            "<td>d</td>\n</tr>\n</tbody>\n</table>\n</div>\n",
            id="table: alignment as a class, never a style attribute (CSP); in a box the keyboard can scroll",
        ),
        pytest.param(
            "Said so.[^a]\n\n[^a]: A note.",
            '<p>Said so.<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup></p>\n'
            '<hr class="footnotes-sep">\n<section class="footnotes">\n<ol class="footnotes-list">\n'
            '<li id="fn1" class="footnote-item"><p>A note. <a href="#fnref1" class="footnote-backref"'
            ' aria-label="Back to reference 1">↩︎</a></p>\n</li>\n</ol>\n</section>\n',
            id="footnote: its markup survives the sanitizer",
        ),
        pytest.param(
            "```python\nprint('<hi>')\n```",
            '<div class="code-block">\n<div class="code-lang" aria-hidden="true">Python</div>\n'
            '<div class="code-wrap" role="region" tabindex="0" aria-label="Python code">\n'
            '<pre><code class="language-python"><span class="nb">print</span><span class="p">(</span>'
            '<span class="s1">\'&lt;hi&gt;\'</span><span class="p">)</span>\n</code></pre>\n</div>\n</div>\n',
            id="fenced code: highlighted with Pygments classes, labelled, in a box the keyboard can scroll",
        ),
        pytest.param(
            "```klingon\nprint('<hi>')\n```",
            '<div class="code-block">\n<div class="code-wrap" role="region" tabindex="0" aria-label="Code">\n'
            "<pre><code class=\"language-klingon\">print('&lt;hi&gt;')\n</code></pre>\n</div>\n</div>\n",
            id="fenced code in a language Pygments does not know: plain and escaped, no label",
        ),
        pytest.param(
            '<script>alert(1)</script>\n\n<p style="color: red" onclick="x()">Red</p>',
            "alert(1)\n<p>Red</p>",
            id="raw HTML passes the article allowlist: no script, no style, no handlers",
        ),
    ],
)
def test_markup(markdown, expected):
    assert html_of(markdown) == expected


def test_heading_ids_are_unique_and_avoid_the_page_own_ids():
    html = html_of("## Notes\n\n## Notes\n\n### Notes\n\n## Comments\n\n## Respond")
    assert re.findall(r'<h\d id="([^"]+)"', html) == [
        "notes",
        "notes-1",
        "notes-2",
        "comments-section",
        "respond-section",
    ]


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("A History of Diplomatic Ties", "a-history-of-diplomatic-ties"),
        ("The Future of North Korea-Pakistan Relations", "the-future-of-north-korea-pakistan-relations"),
        ("Hello,   World!", "hello-world"),
        ("Café au lait", "café-au-lait"),
        ("snake_case -- and dashes", "snake-case-and-dashes"),
        ("!!!", "section"),
        ("Comments", "comments-section"),
        ("fn1", "fn1-section"),
        ("Comment 12", "comment-12-section"),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug


@pytest.mark.parametrize(
    ("sections", "toc"),
    [
        (2, False),
        (3, True),
    ],
)
def test_toc_needs_three_sections(sections, toc):
    text = "\n\n".join(f"## Part {i}\n\n### Detail {i}\n\nText." for i in range(1, sections + 1))
    result = render(text, path=FIXTURES / "article.md", images_dir=IMAGES)
    assert bool(result.toc_html) is toc
    if toc:
        assert result.toc_html.startswith(
            '<nav class="toc" aria-labelledby="toc-title">\n<h2 id="toc-title">Contents</h2>'
        )
        assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', result.toc_html) == [
            ("part-1", "Part 1"),
            ("part-2", "Part 2"),
            ("part-3", "Part 3"),
        ]


@pytest.mark.parametrize(
    ("text", "summary", "description"),
    [
        ("First *para*, with [a link](/x).\n\nSecond.", "", "First para, with a link."),
        ('![A red square](images/red.png "Caption")\n\nThe text.', "", "The text."),
        ("Body.", "The summary wins.", "The summary wins."),
        ("## Only a heading", "", ""),
    ],
)
def test_description(text, summary, description):
    assert render(text, path=FIXTURES / "a.md", images_dir=IMAGES, summary=summary).description == description


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short enough", 160, "short enough"),
        ("  spaces\n  and\tbreaks  ", 160, "spaces and breaks"),
        ("one two three four", 12, "one two…"),
        ("one two, three", 13, "one two…"),
        ("abcdefghijklmnop", 10, "abcdefghi…"),
        ("word " * 100, 160, ("word " * 31).strip() + "…"),
    ],
)
def test_shorten_on_a_word_boundary(text, limit, expected):
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_first_figure_is_the_image():
    text = 'Intro ![inline](images/red.png)\n\n![A red square](images/red.png "Caption")'
    assert render(text, path=FIXTURES / "a.md", images_dir=IMAGES).image == RED


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Para.\n\nText and\n![x](images/nope.png)", 7, "image not found: images/nope.png"),
        ("| a |\n|---|\n| ![x](images/nope.png) |", 6, "image not found: images/nope.png"),
        ("![x](images/not-an-image.png)", 4, "not an image (Pillow cannot read it): images/not-an-image.png"),
        ("![x](../test_markdown.py)", 4, "image ../test_markdown.py is not in "),
    ],
)
def test_image_errors_name_the_file_line(text, line, message):
    with pytest.raises(ContentError) as caught:
        render(text, path=FIXTURES / "a.md", images_dir=IMAGES, first_line=4)
    assert (caught.value.path.name, caught.value.line) == ("a.md", line)
    assert caught.value.message.startswith(message)


def test_image_files_for_the_hash():
    text = "![a](images/red.png) ![b](images/nope.png) ![c](https://example.org/c.png) ![d](/static/d.png)"
    assert image_files(text, FIXTURES / "a.md") == [IMAGES / "red.png", IMAGES / "nope.png"]


def test_seed_article():
    """The issue's definition of done, on the rendered seed article."""
    source = read_source(SITE / "diplomatic-meeting-between-north-korea-and-pakistan.md")
    result = render(
        source.body,
        path=source.path,
        images_dir=source.path.parent / "images",
        first_line=source.body_start_line,
        summary=source.metadata["summary"],
    )
    html = result.html
    sections = re.findall(r'<h2 id="([^"]+)">(.*?) <a class="header-anchor"', html)
    assert [title for _, title in sections] == [
        "A History of Diplomatic Ties",
        "The Role of the North Korea Embassy in Islamabad",
        "Economic and Trade Relations",
        "The Nuclear Issue and International Pressure",
        "The Future of North Korea-Pakistan Relations",
        "Conclusion",
    ]
    figures = re.findall(
        r'<figure class="wp-caption"><picture><source type="image/webp" srcset="[^"]+\.webp 1200w" sizes="[^"]+">'
        r'<img src="/media/[^"]+\.jpg\?v=\w+" alt="[^"]+" width="1200" height="675" srcset="[^"]+" sizes="[^"]+"'
        r' loading="lazy" decoding="async"></picture>\n'
        r'<figcaption class="wp-caption-text">([^<]+)</figcaption></figure>',
        html,
    )
    assert figures == [
        "Diplomatic Meeting Between North Korea and Pakistan",
        "North Korea Embassy in Islamabad, Pakistan",
        "The Future of North Korea-Pakistan Relations",
    ]
    lists = re.findall(r"<ul>(.*?)</ul>", html, re.S)
    assert len(lists) == 1 and lists[0].count("<li>") == 3
    for lead in (
        "Representing North Korean interests:",
        "Facilitating diplomatic communication:",
        "Providing consular services:",
    ):
        assert f"<li><strong>{lead}</strong>" in lists[0]
    assert re.findall(r'<li><a href="#([^"]+)">', result.toc_html) == [slug for slug, _ in sections]
    assert "Leave a Reply" not in html
    assert result.image.startswith("/media/diplomatic-meeting.jpg?v=")
    assert len(result.images) == 3
