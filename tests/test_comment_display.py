"""The comments section as readers see it: heading, threads, pages, Reply without JavaScript, avatars."""

import hashlib
import json
import random
import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from blog.comments import avatars, threads
from blog.comments import section as comments
from blog.core.extensions import db
from blog.core.models import CommentStatus
from scripts.live import form_fields
from tests.actions import Tags, post_comment
from tests.factories import make_article, make_comment

SLUG = "on-embassies"


def reply_title(html: str) -> str:
    title = re.search(r'<h3 id="reply-title"[^>]*>(.*?)</h3>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", title).split())


def ids_in_order(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li id="comment-(\d+)"', html)]


def li_depths(html: str) -> dict[int, int]:
    """Return each comment's nesting depth, counted from the <ol> elements that hold it."""
    depth, result = 0, {}
    for match in re.finditer(r'<ol class="(?:comment-list|children)">|</ol>|<li id="comment-(\d+)"', html):
        token = match.group(0)
        if token.startswith("<ol"):
            depth += 1
        elif token == "</ol>":
            depth -= 1
        else:
            result[int(match.group(1))] = depth
    return result


# --- the heading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, ""),
        (1, "One thought on “On Embassies”"),
        (2, "2 thoughts on “On Embassies”"),
        (51, "51 thoughts on “On Embassies”"),
    ],
)
def test_heading_wording(count, expected):
    assert comments.heading(count, "On Embassies") == expected


def test_no_heading_without_approved_comments(client, article):
    make_comment(article, "Held.", status=CommentStatus.PENDING)
    make_comment(article, "Spam.", status=CommentStatus.SPAM)
    html = client.get(f"/{SLUG}/").text
    assert "thought" not in html
    assert 'class="comment-list"' not in html
    assert 'id="respond"' in html


def test_heading_counts_approved_comments_only(client, article):
    make_comment(article, "One.")
    make_comment(article, "Held.", status=CommentStatus.PENDING)
    assert "One thought on “On Embassies”" in client.get(f"/{SLUG}/").text
    make_comment(article, "Two.")
    assert "2 thoughts on “On Embassies”" in client.get(f"/{SLUG}/").text


def test_title_in_heading_is_escaped(client, ctx):
    make_comment(make_article(SLUG, "<i>Tags</i> & titles"), "Hi.")
    assert "One thought on “&lt;i&gt;Tags&lt;/i&gt; &amp; titles”" in client.get(f"/{SLUG}/").text


# --- each comment's markup -----------------------------------------------------------------------------


def test_comment_markup(client, article):
    with_url = make_comment(article, "Linked.", author="Site Owner", url="https://owner.example.org/")
    without = make_comment(article, "Plain.", author="No Site")
    bad = make_comment(article, "Bad url.", author="Sneaky", url="javascript:alert(1)")
    html = client.get(f"/{SLUG}/").text
    tags = Tags(html)
    assert tags.find("li", id=f"comment-{with_url.id}")
    link = tags.find("a", href="https://owner.example.org/")[0]
    assert link["rel"] == "external nofollow ugc"
    assert '<b class="fn">No Site</b>' in html
    assert '<b class="fn">Sneaky</b>' in html and "javascript:" not in html
    permalink = tags.find("a", href=f"/{SLUG}/#comment-{without.id}")
    assert permalink
    time = re.search(rf'href="/{SLUG}/#comment-{without.id}"><time datetime="([^"]+)">([^<]+)</time>', html)
    assert datetime.fromisoformat(time.group(1)).tzinfo is not None
    assert re.fullmatch(r"\w+ \d{1,2}, \d{4} at \d{1,2}:\d\d [ap]m", time.group(2))
    reply = tags.find("a", class_="comment-reply-link")[0]
    assert reply["href"] == f"/{SLUG}/?replytocom={with_url.id}#respond"
    assert reply["data-commentid"] == str(with_url.id)
    assert "<p>Plain.</p>" in html
    assert bad.id in ids_in_order(html)


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (datetime(2025, 1, 5, 15, 7, tzinfo=UTC), "January 5, 2025 at 3:07 pm"),
        (datetime(2025, 12, 31, 0, 30, tzinfo=UTC), "December 31, 2025 at 12:30 am"),
        (datetime(2025, 6, 1, 12, 0, tzinfo=UTC), "June 1, 2025 at 12:00 pm"),
    ],
)
def test_comment_date_reads_like_wordpress(when, text):
    assert comments.comment_date(when) == text


# --- threads -------------------------------------------------------------------------------------------


def test_threads_nest_oldest_first(client, article):
    a = make_comment(article, "A")
    b = make_comment(article, "B")
    a1 = make_comment(article, "A1", parent=a)
    a1x = make_comment(article, "A1x", parent=a1)
    a2 = make_comment(article, "A2", parent=a)
    html = client.get(f"/{SLUG}/").text
    assert ids_in_order(html) == [a.id, a1.id, a1x.id, a2.id, b.id]
    assert li_depths(html) == {a.id: 1, a1.id: 2, a1x.id: 3, a2.id: 2, b.id: 1}


def test_replies_below_depth_five_attach_to_their_depth_five_ancestor(client, article):
    chain = [make_comment(article, "Level 1")]
    for level in range(2, 10):
        chain.append(make_comment(article, f"Level {level}", parent=chain[-1]))
    side = make_comment(article, "Reply to level 5", parent=chain[4])
    html = client.get(f"/{SLUG}/").text
    depths = li_depths(html)
    assert [depths[c.id] for c in chain] == [1, 2, 3, 4, 5, 5, 5, 5, 5]
    assert depths[side.id] == 5
    # Shown right after the depth-5 ancestor, in thread order (WordPress's Walker_Comment).
    assert ids_in_order(html) == [c.id for c in chain] + [side.id]
    # No Reply link at the deepest level, as WordPress.
    assert f"replytocom={chain[3].id}#" in html and f"replytocom={chain[4].id}#" not in html


@pytest.mark.parametrize("depth", [1, 2, 3, 10])
def test_thread_depth_setting(client, app, article, depth):
    app.config["THREAD_DEPTH"] = depth
    chain = [make_comment(article, "Level 1")]
    for level in range(2, 8):
        chain.append(make_comment(article, f"Level {level}", parent=chain[-1]))
    depths = li_depths(client.get(f"/{SLUG}/").text)
    assert [depths[c.id] for c in chain] == [min(level, depth) for level in range(1, 8)]


def test_reply_to_an_unapproved_parent_is_shown_as_a_thread_of_its_own(client, article):
    held = make_comment(article, "Held parent.", status=CommentStatus.PENDING)
    orphan = make_comment(article, "Approved reply.", parent=held)
    html = client.get(f"/{SLUG}/").text
    assert ids_in_order(html) == [orphan.id]
    assert "Held parent." not in html


def test_build_survives_a_cycle():
    a = SimpleNamespace(id=1, parent_id=2)
    b = SimpleNamespace(id=2, parent_id=1)
    c = SimpleNamespace(id=3, parent_id=None)
    built = threads.build([a, b, c], 5)
    assert [t[0].id for t in built] == [3]  # the cycle has no root; it is dropped, not looped over


# --- pages ---------------------------------------------------------------------------------------------


def test_top_level_threads_are_paginated_oldest_first(client, app, article):
    app.config["COMMENTS_PER_PAGE"] = 3
    tops = [make_comment(article, f"Thread {n}") for n in range(7)]
    reply = make_comment(article, "Reply on page one", parent=tops[0])
    first = client.get(f"/{SLUG}/").text
    assert ids_in_order(first) == [tops[0].id, reply.id, tops[1].id, tops[2].id]
    assert "8 thoughts on" in first
    assert f'href="/{SLUG}/comment-page-2/#comments"' in first
    assert f'href="/{SLUG}/comment-page-3/#comments"' in first
    assert "Older comments" not in first and "Newer comments" in first
    with app.test_request_context(f"/{SLUG}/comment-page-3/"):
        context = comments.section_context(article, comment_page=3)
    assert [n.id for n in context["comment_section"].shown] == [tops[6].id]
    with app.test_request_context(f"/{SLUG}/comment-page-2/"):
        section = comments.section_context(article, comment_page=2)["comment_section"]
        html = app.jinja_env.get_template("comments/_section.html").render(comment_section=section)
    assert ids_in_order(html) == [t.id for t in tops[3:6]]
    assert f'href="/{SLUG}/#comments"' in html and "Older comments" in html
    assert f'href="/{SLUG}/comment-page-2/#comment-{tops[3].id}"' in html
    assert f'href="/{SLUG}/comment-page-2/?replytocom={tops[3].id}#respond"' in html


def test_comment_page_past_the_last_is_404(app, article):
    from werkzeug.exceptions import NotFound

    make_comment(article, "Only one.")
    with app.test_request_context(f"/{SLUG}/comment-page-2/"), pytest.raises(NotFound):
        comments.section_context(article, comment_page=2)


def test_approved_post_on_a_later_page_redirects_there(client, app, article):
    app.config["COMMENTS_PER_PAGE"] = 2
    app.config["COMMENT_MODERATION"] = "none"
    make_comment(article, "One")
    make_comment(article, "Two")
    response = post_comment(client, comment="Three, on page two.")
    assert re.fullmatch(rf"/{SLUG}/comment-page-2/#comment-\d+", response.headers["Location"])


@pytest.mark.parametrize("seed", range(6))
def test_the_page_after_a_post_is_the_page_that_shows_the_comment(app, article, seed):
    """thread_page (two queries) and the feed's comment_pages agree with threads.page_of (every comment
    read) on any forest:
    replies at and past the depth limit, replies whose parent is held or trashed, equal times."""
    rng = random.Random(seed)
    app.config["COMMENTS_PER_PAGE"] = rng.choice([1, 2, 3])
    app.config["THREAD_DEPTH"] = rng.choice([1, 2, 5])
    same_minute = datetime(2025, 1, 1, tzinfo=UTC)
    made = []
    for i in range(30):
        parent = rng.choice(made) if made and rng.random() < 0.6 else None
        status = rng.choices([CommentStatus.APPROVED, CommentStatus.PENDING, CommentStatus.TRASH], [8, 1, 1])[0]
        created = same_minute if rng.random() < 0.2 else None
        made.append(make_comment(article, f"C{i}", parent=parent, status=status, created_at=created))
    forest = threads.build(threads.approved_comments(article.id), app.config["THREAD_DEPTH"])
    per_page = app.config["COMMENTS_PER_PAGE"]
    feed_pages = threads.comment_pages(article.id, per_page)
    for comment in made:
        expected = threads.page_of(forest, comment.id, per_page)
        assert threads.thread_page(db.session.connection(), article.id, comment.id, per_page) == expected, (
            comment.raw_text
        )
        assert feed_pages.get(comment.id) == expected, comment.raw_text
    db.session.rollback()


# --- Reply without JavaScript --------------------------------------------------------------------------


def test_replytocom_puts_the_form_under_the_comment(client, article):
    first = make_comment(article, "First.", author="Grace <Hopper>")
    second = make_comment(article, "Second.")
    html = client.get(f"/{SLUG}/?replytocom={first.id}").text
    assert reply_title(html) == "Leave a Reply to Grace &lt;Hopper&gt; Cancel reply"
    tags = Tags(html)
    cancel = tags.find("a", id="cancel-comment-reply-link")[0]
    assert "hidden" not in cancel and cancel["href"] == f"/{SLUG}/#respond"
    assert form_fields(html)["comment_parent"] == str(first.id)
    # The form sits inside the comment's <li>, before the next comment.
    assert html.index(f'id="comment-{first.id}"') < html.index('id="respond"') < html.index(f'id="comment-{second.id}"')
    response = post_comment(client, comment="My answer.", page=f"/{SLUG}/?replytocom={first.id}")
    assert response.status_code == 303


@pytest.mark.parametrize("target", ["pending", "other", "junk", "missing"])
def test_replytocom_only_for_an_approved_comment_of_this_article(client, article, target):
    other = make_article("elsewhere", "Elsewhere")
    make_comment(article, "Visible.")
    value = {
        "pending": lambda: make_comment(article, "Held.", status=CommentStatus.PENDING).id,
        "other": lambda: make_comment(other, "Other.").id,
        "junk": lambda: "<script>",
        "missing": lambda: 999,
    }[target]()
    html = client.get(f"/{SLUG}/?replytocom={value}").text
    assert reply_title(html) == "Leave a Reply Cancel reply"
    assert form_fields(html)["comment_parent"] == "0"
    assert "Held." not in html and "<script>" not in html


def test_form_without_replytocom_has_hidden_cancel_link(client, article):
    tags = Tags(client.get(f"/{SLUG}/").text)
    assert "hidden" in tags.find("a", id="cancel-comment-reply-link")[0]


# --- JSON-LD -------------------------------------------------------------------------------------------


def test_jsonld_comments_have_no_email(app, article):
    make_comment(
        article,
        "Fish &amp; chips.",
        author="Ann",
        email="ann.secret@example.org",
        url="https://ann.example.org/",
    )
    make_comment(article, "Held.", status=CommentStatus.PENDING)
    with app.test_request_context(f"/{SLUG}/"):
        items = comments.section_context(article)["jsonld_comments"]
    assert len(items) == 1
    item = items[0]
    assert item["@type"] == "Comment"
    assert item["author"] == {"@type": "Person", "name": "Ann", "url": "https://ann.example.org/"}
    assert item["text"] == "Fish & chips."
    assert item["url"].endswith(f"/{SLUG}/#comment-1")
    datetime.fromisoformat(item["dateCreated"])
    assert "ann.secret" not in json.dumps(items)


# --- avatars -------------------------------------------------------------------------------------------


def avatar_tokens(html: str) -> dict[int, str]:
    """Return each shown comment's avatar token, by comment id."""
    found = re.findall(r'<li id="comment-(\d+)".*?<img class="avatar" src="/avatar/([0-9a-f]{32})\.svg"', html, re.S)
    return {int(cid): token for cid, token in found}


def test_avatar_is_a_keyed_hash_never_the_email_or_its_plain_hash(client, app, article):
    comment = make_comment(article, "Hi.", email="Someone@Example.org")
    html = client.get(f"/{SLUG}/").text
    token = avatar_tokens(html)[comment.id]
    for plain in [hashlib.md5, hashlib.sha1, hashlib.sha256]:
        for form in ["someone@example.org", "Someone@Example.org", str(comment.id)]:
            assert plain(form.encode()).hexdigest()[:32] != token
            assert plain(form.encode()).hexdigest() not in html
    with app.app_context():
        assert avatars.token_for(comment.id) == token
        app.config["SECRET_KEY"] = "another-key"
        assert avatars.token_for(comment.id) != token


def test_two_comments_by_one_email_have_avatars_no_reader_can_match(client, article):
    first = make_comment(article, "First.", email="same@example.org")
    second = make_comment(article, "Second.", email="same@example.org")
    tokens = avatar_tokens(client.get(f"/{SLUG}/").text)
    assert tokens[first.id] != tokens[second.id]
    assert client.get(f"/avatar/{tokens[first.id]}.svg").text != client.get(f"/avatar/{tokens[second.id]}.svg").text


@pytest.mark.parametrize("honeypot", ["", "555-0100"])
def test_the_pending_preview_cannot_be_matched_to_a_published_comment(client, article, honeypot):
    published = make_comment(article, "I wrote this.", email="victim@example.org")
    # An outsider guesses the address and posts with it, to compare the preview's avatar with the victim's.
    response = post_comment(client, comment="Guessing.", author="Outsider", email="victim@example.org", phone=honeypot)
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).text
    tokens = avatar_tokens(html)
    shown = {cid: token for cid, token in tokens.items() if cid != published.id}
    assert published.id in tokens
    assert len(shown) == (0 if honeypot else 1)  # the pending preview, with an avatar of its own
    assert tokens[published.id] not in shown.values()
    assert tokens[published.id] not in html.replace(f"/avatar/{tokens[published.id]}.svg", "", 1)


def test_avatar_route_draws_an_svg_without_style(client, article):
    response = client.get("/avatar/" + "ab" * 16 + ".svg")
    assert response.status_code == 200
    assert response.content_type == "image/svg+xml"
    assert "immutable" in response.headers["Cache-Control"]
    body = response.text
    assert body.startswith("<svg") and "style" not in body and "<script" not in body
    assert body == client.get("/avatar/" + "ab" * 16 + ".svg").text
    assert body != client.get("/avatar/" + "cd" * 16 + ".svg").text


@pytest.mark.parametrize("token", ["x" * 32, "ab" * 15, "AB" * 16, "ab" * 17])
def test_avatar_route_refuses_other_tokens(client, ctx, token):
    assert client.get(f"/avatar/{token}.svg").status_code == 404


def test_avatar_pattern_is_symmetric_and_never_empty():
    for n in range(200):
        token = hashlib.sha256(str(n).encode()).hexdigest()[:32]
        fill, cells = avatars.pattern(token)
        assert cells and fill.startswith("hsl(")
        assert {(avatars.GRID - 1 - x, y) for x, y in cells} == set(cells)
    assert avatars.pattern("0" * 32)[1] == [(2, 2)]
