"""A blog with something on every page, built through the app's own paths, for the standards tests.

The real content is published; sixty comments (threads five deep, a website here and there, quotes,
code and links) are posted through the Leave a Reply form and approved by a moderator; one comment
waits, one is spam (its honeypot filled), one is in the trash.
"""

import random
import shutil
from dataclasses import dataclass, field

import sqlalchemy as sa

from blog.core.extensions import db
from blog.core.models import Moderator
from blog.moderation import actions
from blog.moderation.accounts import create_moderator
from blog.publishing.publish import publish
from tests.actions import location_ids, post_comment
from tests.conftest import PAGES, SITE, app_with_tables, settings_for
from tests.factories import PASSWORD

SLUG = "how-this-blog-is-built"  # the real article with a table, code, a footnote-free body and figures
OTHER_SLUGS = ("diplomatic-meeting-between-north-korea-and-pakistan", "writing-for-the-web", "a-wide-table")
WIDE_SLUG = "a-wide-table"
APPROVED = 60
# Beside the real content: a table no phone can show whole, so it scrolls in its own box.
WIDE_TABLE = """---
title: A Wide Table
date: 2024-01-02T09:00:00Z
summary: Eight columns of figures, wider than any phone.
---

Quarterly visits by delegation, with the notes the protocol office kept.

| Delegation | Q1 2023 | Q2 2023 | Q3 2023 | Q4 2023 | Q1 2024 | Q2 2024 | Protocol office notes |
|:-----------|--------:|--------:|--------:|--------:|--------:|--------:|:----------------------|
| Trade | 12 | 9 | 14 | 11 | 16 | 13 | Two visits moved to the consulate in Karachi |
| Culture | 4 | 6 | 5 | 7 | 8 | 6 | The film week doubled the usual numbers |
| Defence | 2 | 1 | 3 | 2 | 2 | 4 | Figures include the attaché's own travel |
"""

NAMES = [
    "Amara Okafor",
    "Bertrand Lefèvre",
    "Chen Wei",
    "Dagny Holm",
    "Eitan Shapiro",
    "Fatima Zahra",
    "Gus O'Neill",
    "Hana Kobayashi",
    "Ines Duarte",
    "Jonas Berg",
    "Kofi Mensah",
    "Lena Novak",
    "Mateo Ruiz",
    "Nadia Rahman",
    "Olu Adeyemi",
    "Priya Raman",
    "Quentin Blake",
    "Rosa Martínez",
    "Sven Lindqvist",
    "Tomás Herrera",
    "Uma Patel",
    "Viktor Petrov",
    "Wen Li",
    "Xavier Dubois",
    "Yara Haddad",
    "Zoë van Dijk",
]
TEXTS = [
    "Thanks for writing this up. The part about rendering once at publish time is what sold me.",
    "Does the publish command handle renamed files? I moved an article and it showed up as withdrawn and created.",
    "I tried the same approach with Hugo years ago.\n\nThe big difference here is the comments: a static site "
    "can't take them without a third party.",
    "<blockquote>Pages are never rendered from Markdown per request.</blockquote>\nThis should be the first rule "
    "of every blog engine.",
    "Small nit: the table in the publish section could use a caption. Otherwise lovely.",
    "How do you keep the <code>version</code> column honest when two moderators act at once?",
    "Bookmarked. https://commonmark.org is worth a read for anyone who wonders why their lists break.",
    "The <em>one transaction</em> publish is underrated. Half-published sites are a special kind of pain.",
    "Would you consider an RSS feed for comments per article? Oh wait, there is one. Never mind!",
    "I run something similar on a Raspberry Pi behind a cheap VPS and it holds up fine.",
    "What about images? Do you resize them, or serve what the author dropped in the folder?",
    "Great read, and the dark mode is easy on the eyes at this hour.",
    "I'm not sure I agree that files beat a database for drafts. Collaboration gets harder.",
    "Good point above. <strong>Git</strong> handles the collaboration though, pull requests and all.",
    "Is the sanitizer applied to the article HTML as well, or only to comments?",
    "Both, from what the post says: articles go through an allowlist too, just a wider one.",
    'Typo in the third paragraph: "it\'s" should be "its". Feel free to delete this comment.',
    "The moderation queue looks just like WordPress's. My hands already know where everything is.",
    "Have you measured the page cache under load? I'd love to see numbers.",
    "Love that avatars are drawn locally. No more leaking every reader's email hash to a third party.",
    "Pneumonoultramicroscopicsilicovolcanoconiosis is the longest word I know, and it wraps nicely here.",
    "Could the table of contents stick to the side on wide screens?",
    'A question from a newcomer: what does <abbr title="Post/Redirect/Get">PRG</abbr> buy me here?',
    "It means a reload after posting never posts twice. The browser only repeats the GET.",
]


@dataclass
class Site:
    app: object
    approved: list[int] = field(default_factory=list)
    pending: int = 0
    pending_location: str = ""
    spam: int = 0
    trash: int = 0


def make_app(database_url: str | None, tmp_path, **settings):
    """A test app on its own database with the tests' site and its pages copied in (as ``seed_content`` does)."""
    content = tmp_path / "content"
    shutil.copytree(SITE, content)
    shutil.copytree(PAGES, content, dirs_exist_ok=True)
    (content / f"{WIDE_SLUG}.md").write_text(WIDE_TABLE)
    url = database_url or f"sqlite:///{tmp_path / 'blog.sqlite3'}"
    return app_with_tables({**settings_for(url, content), **settings})


def build(app) -> Site:
    """Publish the content, sign up a moderator and fill the comments of SLUG as readers would."""
    site = Site(app)
    # These readers' texts and websites are the page's fixture, not a test of the spam filter (one of them,
    # with its website, reads as spam to the starting model): every reply is held for the moderator.
    app.config["SPAM_THRESHOLD"] = 1.0
    client = app.test_client()
    rng = random.Random(5)
    with app.app_context():
        publish(app.config["CONTENT_DIR"])
        create_moderator("mod", PASSWORD, "mod@example.org")

        def post(n, parent=None, text=None, **extra):
            name = NAMES[n % len(NAMES)]
            response = post_comment(
                client,
                SLUG,
                text or TEXTS[n % len(TEXTS)],
                author=name,
                email=name.split()[0].lower().replace("ë", "e") + "@example.org",
                url=f"https://{name.split()[-1].lower()}.example.net/" if n % 4 == 1 else "",
                comment_parent=str(parent or 0),
                **extra,
            )
            assert response.status_code == 303, response.text
            return location_ids(response)[0], response.headers["Location"]

        def approve(comment_id):
            moderator = db.session.scalar(sa.select(Moderator))
            assert actions.apply([comment_id], "approve", moderator).changed == [comment_id]
            site.approved.append(comment_id)
            return comment_id

        # A thread five deep, and one more reply to its deepest comment (shown at depth five).
        parent = None
        for n in range(6):
            parent = approve(post(n, parent)[0])
        # Then top-level comments and replies to earlier ones, in a stable random order.
        while len(site.approved) < APPROVED:
            n = len(site.approved)
            reply_to = rng.choice(site.approved) if rng.random() < 0.4 else None
            approve(post(n, reply_to)[0])

        # Two links hold it whatever the setting, with that reason shown in the queue.
        site.pending, site.pending_location = post(APPROVED, text="See https://a.example and https://b.example")
        site.spam = post(APPROVED + 1, phone="555-0100")[0]
        site.trash = post(APPROVED + 2)[0]
        moderator = db.session.scalar(sa.select(Moderator))
        actions.apply([site.trash], "trash", moderator)
    return site
