"""No reader can pass for a moderator or hide what their name and website say (issue 11, finding 9)."""

import re

import pytest
import sqlalchemy as sa

from blog.core import normalise
from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus
from blog.moderation import actions
from blog.moderation.accounts import create_moderator
from scripts.live import form_fields
from tests.actions import Tags, post_comment
from tests.factories import make_comment

SLUG = "on-embassies"
MODERATOR_NAME = "That name belongs to a moderator of this site. Please choose another."


@pytest.fixture
def moderator(ctx):
    return create_moderator("mod", "a long enough password for tests")


def stored_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(Comment.id)))


def _error_text(html: str, name: str) -> str:
    start = html.find(f'id="{name}-error"')
    assert start != -1, f"no error beside {name}"
    return html[start : html.index("</", start)]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("mod", "mod", True),
        ("mod", "MOD", True),
        ("mod", "m\u043ed", True),  # Cyrillic о
        ("mod", "\u0440\u043e\u0441", False),  # Cyrillic р, о, с: "poc", not "mod"
        ("paco", "\u0440\u0430\u0441\u043e", True),  # Cyrillic р, а, с, о
        ("mod", "m o d", True),
        ("mod", "m\u200bod", True),
        ("mod", "\uff4d\uff4f\uff44", True),  # full-width
        ("mod", "Mod.", True),
        ("mod", "m\u00f6d", True),  # a diacritic
        ("mod", "m0d", True),
        ("alice", "a1ice", True),
        ("alice", "AL\u0399CE", True),  # Greek capital iota
        ("modern", "mod", False),
        ("Ana", "Anna", False),
    ],
)
def test_name_skeleton(a, b, same):
    assert (normalise.name_skeleton(a) == normalise.name_skeleton(b)) is same


@pytest.mark.parametrize("name", ["mod", "MOD", "m\u043ed", "m o d", "m\u200bod", "\uff4d\uff4f\uff44", "Mod."])
def test_a_name_confusable_with_a_moderators_is_refused_beside_the_field(client, article, moderator, name):
    response = post_comment(client, comment="Trust me, I run this site.", author=name)
    assert response.status_code == 422
    assert MODERATOR_NAME in _error_text(response.text, "author")
    assert form_fields(response.text)["comment"] == "Trust me, I run this site."
    assert stored_count() == 0


def test_a_name_merely_like_a_moderators_is_taken(client, article, moderator):
    assert post_comment(client, author="Modesty Blaise").status_code == 303


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("\u202eretsinimda", "Your name contains characters that change the direction of text. Please remove them."),
        ("Ada\u200f", "Your name contains characters that change the direction of text. Please remove them."),
        ("\u2066Ada\u2069", "Your name contains characters that change the direction of text. Please remove them."),
        ("\u200b", "Please enter your name."),
        ("\u200b \u2060\u3164", "Please enter your name."),
    ],
)
def test_a_name_with_direction_controls_or_nothing_visible_is_refused(client, article, name, message):
    response = post_comment(client, comment="Hello.", author=name)
    assert response.status_code == 422
    assert message in _error_text(response.text, "author")
    assert stored_count() == 0


@pytest.mark.parametrize("url", ["https://example.org/\u202egpj.exe", "https://exa\u200bmple.org/", "https://\u200b/"])
def test_a_website_with_invisible_or_direction_characters_is_refused(client, article, url):
    response = post_comment(client, comment="Hello.", url=url)
    assert response.status_code == 422
    assert "Please enter a valid website address (http or https)." in _error_text(response.text, "url")
    assert stored_count() == 0


def test_an_international_website_is_stored_and_shown_in_punycode(client, app, article):
    app.config["COMMENT_MODERATION"] = "none"
    assert post_comment(client, comment="Books!", url="https://b\u00fccher.example/katalog").status_code == 303
    db.session.expire_all()
    comment = db.session.scalars(sa.select(Comment)).one()
    assert comment.author_url == "https://xn--bcher-kva.example/katalog"
    html = client.get(f"/{SLUG}/").text
    assert 'href="https://xn--bcher-kva.example/katalog"' in html
    assert "b\u00fccher" not in html


def test_a_confusable_international_website_shows_what_it_is(client, app, article):
    app.config["COMMENT_MODERATION"] = "none"
    # Cyrillic а in "pаypal": the punycode shows it is not the real site.
    assert post_comment(client, comment="Pay here.", url="https://p\u0430ypal.com/").status_code == 303
    db.session.expire_all()
    assert db.session.scalars(sa.select(Comment)).one().author_url == "https://xn--pypal-4ve.com/"


def test_a_moderators_reply_carries_a_badge_no_reader_can_get(client, article, moderator):
    reader = make_comment(article, "A question.", author="Moderator")
    impostor = make_comment(article, "I am in charge here.", author="mod")
    answer = actions.reply(reader, "An answer.", moderator)
    html = client.get(f"/{SLUG}/").text
    badges = Tags(html).find("span", class_="comment-badge")
    assert len(badges) == 1

    def li(comment_id):
        start = html.index(f'<li id="comment-{comment_id}"')
        return html[start : html.index("</footer>", start)]

    assert 'class="comment-badge">Moderator</span>' in li(answer.id)
    assert "comment-badge" not in li(reader.id) and "comment-badge" not in li(impostor.id)
    assert db.session.get(Comment, answer.id).status is CommentStatus.APPROVED


@pytest.mark.parametrize(("byline", "author_badge"), [("Mod", True), ("The Editors", False)])
def test_a_moderators_reply_is_marked_author_when_the_byline_is_theirs(
    client, article, moderator, byline, author_badge
):
    """Added beside "Moderator" (from the moderator id), when the moderator's name is the article's byline."""
    article.author = byline
    db.session.commit()
    reader = make_comment(article, "A question.", author=byline)  # the byline's name, typed by a reader
    answer = actions.reply(reader, "An answer.", moderator)
    html = client.get(f"/{SLUG}/").text

    def badges(comment_id):
        start = html.index(f'<li id="comment-{comment_id}"')
        return re.findall(r'class="comment-badge">([^<]*)</span>', html[start : html.index("</footer>", start)])

    assert badges(answer.id) == (["Moderator", "Author"] if author_badge else ["Moderator"])
    assert badges(reader.id) == []
