"""The moderation queue as a moderator sees and uses it: tabs, search, pages, rows, row and bulk actions."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event

from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus
from blog.moderation import queue as queue_module
from scripts.live import form_token
from tests.actions import act, bulk, events_of, login, queue, status_of
from tests.factories import make_article, make_comment, make_moderator

pytestmark = pytest.mark.usefixtures("fast_hashing")

P, A, S, T = CommentStatus.PENDING, CommentStatus.APPROVED, CommentStatus.SPAM, CommentStatus.TRASH


@pytest.fixture
def article_id(app):
    with app.app_context():
        make_moderator()
        return make_article("a-fine-article", "A Fine Article").id


@pytest.fixture
def mod_client(client, article_id):
    assert login(client).status_code == 303
    return client


@pytest.fixture
def comment(app, article_id):
    """Make a comment in the test's database, held unless ``status`` says otherwise; returns its id."""

    def make(text="A thoughtful comment.", status=P, **kwargs):
        with app.app_context():
            return make_comment(db.session.get(Article, article_id), text, status=status, **kwargs).id

    return make


def rows(html):
    return re.findall(r'<tr id="comment-row-(\d+)"', html)


def row(html, comment_id):
    match = re.search(rf'<tr id="comment-row-{comment_id}".*?</tr>', html, re.S)
    assert match, f"no row for comment {comment_id}"
    return match.group(0)


def buttons(row_html):
    return re.findall(r'<button type="submit" form="row-action"[^>]*>([^<]+)</button>', row_html)


def status(app, comment_id):
    with app.app_context():
        return status_of(comment_id)


# -- reading ---------------------------------------------------------------------------------------------


def test_pending_is_the_default_tab(mod_client, comment):
    waiting, done = comment("waiting"), comment("done", status=A)
    page = queue(mod_client)
    assert page.status_code == 200
    assert rows(page.text) == [str(waiting)]
    assert re.search(r'<a href="/admin/comments\?status=pending" aria-current="page">Pending', page.text)
    assert rows(queue(mod_client, status="approved").text) == [str(done)]


def test_tabs_count_with_one_query(app, mod_client, comment):
    for status, n in ((P, 3), (A, 2), (S, 4), (T, 1)):
        for i in range(n):
            comment(f"{status.value} {i}", status=status)
    page = queue(mod_client).text
    for label, n in (("All", 5), ("Pending", 3), ("Approved", 2), ("Spam", 4), ("Trash", 1)):
        assert re.search(rf">{label} <span class=\"count\">\({n}\)</span>", page), label
    assert len(rows(queue(mod_client, status="all").text)) == 5  # pending and approved, as in WordPress
    assert len(rows(queue(mod_client, status="spam").text)) == 4


def test_status_tabs_are_a_nav(mod_client):
    page = queue(mod_client, status="spam").text
    assert '<nav class="status-tabs" aria-label="Comments by status">' in page
    markup = re.sub(r"<style>.*?</style>", "", page, flags=re.DOTALL)  # the CSS styles [aria-current="page"]
    assert markup.count('aria-current="page"') == 2  # the tab, and "Comments" in the admin bar
    assert '<a href="/admin/comments?status=spam" aria-current="page">' in page


def test_a_row_shows_everything_a_moderator_needs(mod_client, comment):
    parent = comment("The parent.", status=A, author="Pat Parent")
    cid = comment(
        "Held <b>text</b> with a <script>x</script>",
        author="Quinn",
        email="quinn@example.org",
        url="https://quinn.example.net/",
        ip="203.0.113.77",
        parent_id=parent,
        reasons=["2 links", "held for moderation"],
    )
    html = row(queue(mod_client).text, cid)
    assert "Quinn" in html and "quinn@example.org" in html and "203.0.113.77" in html
    assert 'href="https://quinn.example.net/" rel="external nofollow ugc noopener noreferrer"' in html
    assert "Held <b>text</b>" in html and "<script" not in html
    assert re.search(r'In reply to\s*<a href="/a-fine-article/#comment-\d+">Pat Parent</a>', html)
    assert '<a href="/a-fine-article/">A Fine Article</a>' in html
    assert '<span class="reason">2 links</span><span class="reason">held for moderation</span>' in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', html)
    assert buttons(html) == ["Approve", "Spam", "Trash"]
    assert f'href="/admin/comments/{cid}/edit?next=' in html and f'href="/admin/comments/{cid}/reply?next=' in html
    assert f'<input type="checkbox" name="ids" value="{cid}" id="select-{cid}" form="bulk">' in html
    assert f'<label for="select-{cid}" class="visually-hidden">Select the comment by Quinn</label>' in html


@pytest.mark.parametrize(
    ("status", "labels"),
    [
        (P, ["Approve", "Spam", "Trash"]),
        (A, ["Unapprove", "Spam", "Trash"]),
        (S, ["Not spam", "Delete permanently"]),
        (T, ["Restore", "Delete permanently"]),
    ],
)
def test_row_buttons_are_those_that_apply(mod_client, comment, status, labels):
    cid = comment(status=status)
    html = row(queue(mod_client, status=status.value).text, cid)
    assert buttons(html) == labels
    for label in labels:
        slug = label.lower().replace(" permanently", "").replace(" ", "-")
        assert f'formaction="/admin/comments/{cid}/{slug}"' in html
    assert ("Edit</a>" in html) == (status in (P, A))


def test_no_form_is_nested_in_another(mod_client, comment):
    comment()
    page = queue(mod_client).text
    depth = 0
    for tag in re.findall(r"<(/?)form\b", page):
        depth += 1 if tag == "" else -1
        assert depth in (0, 1)
    assert '<form id="row-action"' in page and '<form id="bulk"' in page


def test_the_audit_trail_is_on_the_row(mod_client, comment):
    cid = comment()
    act(mod_client, cid, "approve")
    act(mod_client, cid, "unapprove")
    html = row(queue(mod_client).text, cid)
    assert "Unapproved by mod" in html
    assert re.search(r"<strong>mod</strong> approved <span class=\"transition\">\(pending → approved\)", html)
    assert re.search(r"<strong>mod</strong> unapproved <span class=\"transition\">\(approved → pending\)", html)


@pytest.mark.parametrize("needle", ["quinn", " QUINN@Example.org ", "203.0.113", "needle in", "Needle In A"])
def test_search_covers_name_email_ip_and_text(mod_client, comment, needle):
    # An email is found whole (it is stored encrypted: its blind index finds it), in any letter case.
    hit = comment("A needle in a haystack.", author="Quinn", email="quinn@example.org", ip="203.0.113.77")
    comment("Nothing to see.", author="Other", email="other@example.org", ip="198.51.100.1")
    page = queue(mod_client, q=needle)
    assert rows(page.text) == [str(hit)]
    assert "matching “" in page.text


def test_search_treats_wildcards_as_text(mod_client, comment):
    comment("100% sure")
    other = comment("1000 times")
    assert len(rows(queue(mod_client, q="100%").text)) == 1
    assert rows(queue(mod_client, q="0_t").text) == []
    assert rows(queue(mod_client, q="1000").text) == [str(other)]


def test_a_word_search_pages_through_every_match_newest_first(mod_client, comment):
    matches = []
    for i in range(45):
        comment(f"plain words {i}", age=timedelta(minutes=100 - 2 * i))
        matches.append(comment(f"the orchard, visit {i}", age=timedelta(minutes=99 - 2 * i)))
    comment("the orchard, but in the trash", status=T)
    first = queue(mod_client, q="orchard")
    assert rows(first.text) == [str(i) for i in reversed(matches[-20:])]
    second = follow(mod_client, link(first.text, "Older comments"))
    third = follow(mod_client, link(second.text, "Older comments"))
    assert rows(second.text) + rows(third.text) == [str(i) for i in reversed(matches[:-20])]
    assert link(third.text, "Older comments") is None
    assert rows(follow(mod_client, link(third.text, "Newer comments")).text) == rows(second.text)


def sqlite_only(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite-specific: this run tests PostgreSQL")  # whose planner picks its own way


def first_page_and_plan(app, search: str, *marks: str) -> tuple[list, list[str]]:
    """Read the All tab's first page for ``search``; return its rows and SQLite's plan for the page's
    statement (the last one with a LIMIT that names any of ``marks``)."""
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "LIMIT" in statement and any(mark in statement for mark in marks):
            statements.append((statement, parameters))

    with app.app_context():
        sa_event.listen(db.engine, "before_cursor_execute", keep)
        try:
            page = queue_module.page("all", search, after=None)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", keep)
        statement, parameters = statements[-1]
        explained = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return page.items, [step[3] for step in explained]


def test_on_sqlite_a_word_search_reads_its_page_from_the_index_in_order(app, comment):
    """A page of the commonest words costs what a page of the rarest does: the full-text index is walked
    in its own order and stops at the page's end, with no match read beyond it and nothing sorted."""
    sqlite_only(app)
    for i in range(5):
        comment(f"the orchard {i}")
    items, plan = first_page_and_plan(app, "orchard", "comment_search")
    assert len(items) == 5
    assert plan[0].startswith("SCAN comment_search VIRTUAL TABLE"), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


@pytest.mark.parametrize(
    ("search", "index"),
    [("10.0.16.", "ix_comment_ip_created_status"), ("Reader@Example.org", "ix_comment_email_key_created_status")],
    ids=["an IP beginning", "an email"],
)
def test_on_sqlite_a_search_by_address_keeps_the_tabs_matches_from_its_index(app, comment, search, index):
    """An IP beginning may match thousands of comments in other tabs: the status is in the address's index,
    so only the page's rows are read from the table (118 ms a page at 1,000,000 comments without it, over
    the queue's 100 ms; scripts/bench_queue.py)."""
    sqlite_only(app)
    for i in range(3):
        comment(f"From a neighbour {i}.", ip=f"10.0.16.{i + 1}", email="reader@example.org")
    items, plan = first_page_and_plan(app, search, "author_ip", "author_email_key")
    assert len(items) == 3
    assert plan[0].startswith(f"SEARCH comment USING INDEX {index} "), plan


def test_search_stays_in_the_tab(mod_client, comment):
    comment("findme pending")
    spam = comment("findme spam", status=S)
    assert rows(queue(mod_client, status="spam", q="findme").text) == [str(spam)]


def link(html, label):
    """Return the query string of the page link with this aria-label, or None when it is not a link."""
    match = re.search(rf'href="/admin/comments\?([^"]*)" aria-label="{label}"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def follow(client, query):
    return client.get(f"/admin/comments?{query}")


def test_twenty_per_page_newest_first_with_older_and_newer_links(mod_client, comment):
    ids = [comment(f"comment {i}", age=timedelta(minutes=50 - i)) for i in range(45)]
    first = queue(mod_client)
    assert rows(first.text) == [str(i) for i in reversed(ids[-20:])]
    assert "45 comments" in first.text
    assert link(first.text, "Newer comments") is None and link(first.text, "First page") is None
    # Each page continues from the last row of the one before: keyset pages, no page numbers.
    assert link(first.text, "Older comments") == f"status=pending&after={ids[25]}"
    second = follow(mod_client, link(first.text, "Older comments"))
    assert rows(second.text) == [str(i) for i in reversed(ids[5:25])]
    third = follow(mod_client, link(second.text, "Older comments"))
    assert rows(third.text) == [str(i) for i in reversed(ids[:5])]
    assert link(third.text, "Older comments") is None
    assert rows(follow(mod_client, link(third.text, "Newer comments")).text) == rows(second.text)
    assert rows(follow(mod_client, link(third.text, "First page")).text) == rows(first.text)
    assert "45 comments" in third.text  # the tab's count, on every page


def test_a_page_whose_rows_moved_away_shows_the_last_rows(app, mod_client, comment):
    ids = [comment(f"comment {i}", age=timedelta(minutes=50 - i)) for i in range(25)]
    second = link(queue(mod_client).text, "Older comments")
    bulk(mod_client, ids[:5], "approve", next=f"/admin/comments?{second}")
    # The second page held the five oldest; they are approved, so it shows the tab's last twenty instead.
    assert rows(follow(mod_client, second).text) == [str(i) for i in reversed(ids[5:])]


@pytest.mark.parametrize("cursor", ["after=x", "after=99999", "before=-1", "after=99999999999", "before=１"])
def test_a_cursor_that_names_no_comment_shows_the_first_page(mod_client, comment, cursor):
    newest = comment("newest")
    assert rows(follow(mod_client, cursor).text)[0] == str(newest)


def test_pages_follow_the_likely_ham_order_across_scored_and_unscored(app, mod_client, comment):
    scored = [comment(f"scored {i}", spam_score=i / 100) for i in range(15)]
    unscored = [comment(f"unscored {i}", age=timedelta(minutes=30 - i)) for i in range(15)]
    first = queue(mod_client).text
    assert rows(first) == [str(i) for i in scored + unscored[::-1][:5]]
    second = follow(mod_client, link(first, "Older comments")).text
    assert rows(second) == [str(i) for i in unscored[::-1][5:]]
    assert rows(follow(mod_client, link(second, "Newer comments")).text) == rows(first)


def test_empty_queue(mod_client):
    assert "No comments awaiting moderation." in queue(mod_client).text


def test_admin_pages_link_their_css_and_script_and_nothing_inline(mod_client, comment):
    comment()
    page = queue(mod_client).text
    assert re.search(r'<link rel="stylesheet" href="/static/css/admin\.[0-9a-f]{10}\.css">', page)
    assert re.search(r'<script src="/static/js/admin\.[0-9a-f]{10}\.js" defer></script>', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "inline script"
    assert not re.search(r"\sstyle=", page), "style attribute"
    assert "noindex" in page


def test_admin_pages_are_not_cached(mod_client):
    assert queue(mod_client).headers["Cache-Control"] == "no-store"


# -- acting ----------------------------------------------------------------------------------------------


def test_a_row_action_flashes_and_goes_back_to_the_same_page(app, mod_client, comment):
    cid = comment()
    back = "/admin/comments?status=pending&q=thought&page=2"
    response = act(mod_client, cid, "approve", next=back)
    assert response.status_code == 303
    assert response.location == back
    assert status(app, cid) is A
    assert "1 comment approved." in queue(mod_client).text
    with app.app_context():
        assert [(e.action, e.moderator_name) for e in events_of(cid)] == [("approve", "mod")]


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example", "/admin/logout", "/elsewhere/"])
def test_after_an_action_only_the_queue(mod_client, comment, back):
    assert act(mod_client, comment(), "approve", next=back).location == "/admin/comments"


@pytest.mark.parametrize(
    ("start", "action", "end", "message"),
    [
        (P, "approve", A, "1 comment approved."),
        (A, "unapprove", P, "1 comment unapproved."),
        (P, "spam", S, "1 comment marked as spam."),
        (S, "not-spam", P, "1 comment restored from the spam."),
        (A, "trash", T, "1 comment moved to the Trash."),
        (T, "restore", P, "1 comment restored from the Trash."),
        (S, "delete", None, "1 comment permanently deleted."),
    ],
)
def test_each_row_action(app, mod_client, comment, start, action, end, message):
    cid = comment(status=start)
    response = act(mod_client, cid, action)
    assert response.status_code == 303
    assert status(app, cid) is end
    assert message in mod_client.get(response.location).text


def test_an_action_that_no_longer_applies_says_so(app, mod_client, comment):
    cid = comment(status=A)
    act(mod_client, cid, "approve")
    page = queue(mod_client).text
    assert "1 comment left as it was: “Approve” does not apply to its status now." in page
    with app.app_context():
        assert events_of(cid) == []


def test_a_row_action_on_a_missing_comment_is_404(mod_client):
    assert act(mod_client, 424242, "approve").status_code == 404


def test_unknown_action_is_404(mod_client, comment):
    assert act(mod_client, comment(), "publish").status_code == 404


def test_bulk_approve_three_and_spam_one(app, mod_client, comment):
    three = [comment(f"good {i}") for i in range(3)]
    bad = comment("bad")
    response = bulk(mod_client, three, "approve", next="/admin/comments?status=pending")
    assert response.status_code == 303 and response.location == "/admin/comments?status=pending"
    assert "3 comments approved." in mod_client.get(response.location).text
    bulk(mod_client, [bad], "spam")
    assert [status(app, c) for c in three] == [A, A, A]
    assert status(app, bad) is S
    with app.app_context():
        assert all(events_of(c)[-1].action == "approve" for c in three)


@pytest.mark.parametrize(
    ("ids", "action", "message"),
    [
        ([], "approve", "Select at least one comment."),
        (["1"], "", "Choose a bulk action."),
        (["1"], "publish", "Choose a bulk action."),
    ],
)
def test_bulk_needs_comments_and_an_action(mod_client, comment, ids, action, message):
    comment()
    response = bulk(mod_client, ids, action)
    assert response.status_code == 303
    assert message in queue(mod_client).text


def test_bulk_options_fit_the_tab(mod_client, comment):
    spam_page = queue(mod_client, status="spam").text
    options = re.findall(r'<option value="([^"]*)">', spam_page)
    assert options == ["", "not-spam", "delete"]
    options = re.findall(r'<option value="([^"]*)">', queue(mod_client, status="all").text)
    assert options == ["", "approve", "unapprove", "spam", "trash"]


# -- edit and reply --------------------------------------------------------------------------------------


def test_edit_shows_the_raw_text_and_saves_it_cleaned(app, mod_client, comment):
    cid = comment("Original <i>text</i>", author="Ada", email="ada@example.org")
    page = mod_client.get(f"/admin/comments/{cid}/edit?next=/admin/comments?status=pending")
    assert page.status_code == 200
    assert "Original &lt;i&gt;text&lt;/i&gt;</textarea>" in page.text
    response = mod_client.post(
        f"/admin/comments/{cid}/edit",
        data={
            "csrf_token": form_token(page.text),
            "next": "/admin/comments?status=pending",
            "comment": "Edited <script>alert(1)</script><em>text</em>",
            "author": "Ada L.",
            "email": "ada@example.org",
            "url": "",
        },
    )
    assert response.status_code == 303 and response.location == "/admin/comments?status=pending"
    with app.app_context():
        edited = db.session.get(Comment, cid)
        assert edited.html == "<p>Edited alert(1)<em>text</em></p>"
        assert edited.author_name == "Ada L."
        assert [(e.action, e.detail) for e in events_of(cid)] == [("edit", "changed text, name")]
    assert "Comment updated." in queue(mod_client).text


def test_edit_stores_email_and_website_as_the_public_form_does(app, mod_client, comment):
    """The same checks as Leave a Reply: a domain is lower-cased, a bare host gets http://."""
    cid = comment("Keep the words", author="Ada", email="ada@example.org")
    page = mod_client.get(f"/admin/comments/{cid}/edit")
    data = {"comment": "Keep the words", "author": "Ada", "email": " Ada@Example.ORG ", "url": " example.com/ada "}
    response = mod_client.post(f"/admin/comments/{cid}/edit", data={"csrf_token": form_token(page.text), **data})
    assert response.status_code == 303
    with app.app_context():
        edited = db.session.get(Comment, cid)
        assert (edited.author_email, edited.author_url) == ("Ada@example.org", "http://example.com/ada")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("comment", "", "Please type your comment text."),
        ("author", "", "Please enter your name."),
        ("email", "not an email", "Please enter a valid email address."),
        ("url", "javascript:alert(1)", "Please enter a valid website address (http or https)."),
        ("author", "x" * 246, "Your name is too long."),
    ],
)
def test_edit_validates_and_keeps_what_was_typed(app, mod_client, comment, field, value, message):
    cid = comment("Keep me")
    data = {"comment": "Typed text", "author": "Ada", "email": "ada@example.org", "url": "", field: value}
    token = form_token(mod_client.get(f"/admin/comments/{cid}/edit").text)
    response = mod_client.post(f"/admin/comments/{cid}/edit", data={"csrf_token": token, **data})
    assert response.status_code == 422
    assert message in response.text
    assert re.search(r'<[^>]*aria-invalid="true"', response.text)  # in a tag: the page's CSS names it too
    with app.app_context():
        assert db.session.get(Comment, cid).raw_text == "Keep me"


def test_edit_with_an_expired_token_keeps_the_text(mod_client, comment):
    cid = comment()
    response = mod_client.post(
        f"/admin/comments/{cid}/edit", data={"comment": "All this typing", "author": "Ada", "email": "", "url": ""}
    )
    assert response.status_code == 400
    assert "Your session expired" in response.text and "All this typing</textarea>" in response.text


def test_reply_from_the_admin_approves_a_pending_parent(app, mod_client, comment):
    parent = comment("Is this on?", author="Quinn")
    page = mod_client.get(f"/admin/comments/{parent}/reply")
    assert page.status_code == 200
    assert "Approve and Reply" in page.text and "Is this on?" in page.text
    response = mod_client.post(
        f"/admin/comments/{parent}/reply",
        data={"csrf_token": form_token(page.text), "next": "/admin/comments", "comment": "Loud and clear."},
    )
    assert response.status_code == 303
    assert status(app, parent) is A
    with app.app_context():
        reply = db.session.scalar(db.select(Comment).where(Comment.parent_id == parent))
        assert (reply.status, reply.author_name, reply.html) == (A, "mod", "<p>Loud and clear.</p>")
    assert "Comment approved and reply posted." in queue(mod_client).text
    approved = queue(mod_client, status="approved").text
    assert '<span class="tag tag-moderator">Moderator</span>' in row(approved, reply.id)


def test_reply_needs_text(mod_client, comment):
    parent = comment()
    token = form_token(mod_client.get(f"/admin/comments/{parent}/reply").text)
    response = mod_client.post(f"/admin/comments/{parent}/reply", data={"csrf_token": token, "comment": ""})
    assert response.status_code == 422 and "Please type your reply." in response.text


def test_reply_to_spam_is_refused_with_a_message(app, mod_client, comment):
    parent = comment(status=S)
    token = form_token(mod_client.get(f"/admin/comments/{parent}/reply").text)
    response = mod_client.post(f"/admin/comments/{parent}/reply", data={"csrf_token": token, "comment": "Hi"})
    assert response.status_code == 303
    assert "Only pending and approved comments can be replied to." in queue(mod_client).text


def test_edit_and_reply_of_a_missing_comment_are_404(mod_client):
    assert mod_client.get("/admin/comments/999/edit").status_code == 404
    assert mod_client.get("/admin/comments/999/reply").status_code == 404


def test_admin_index_goes_to_the_queue(mod_client):
    assert mod_client.get("/admin/").location == "/admin/comments"


def test_bulk_ignores_ids_that_are_not_numbers(app, mod_client, comment):
    cid = comment()
    token = form_token(queue(mod_client).text)
    response = mod_client.post(
        "/admin/comments/bulk",
        data={"csrf_token": token, "action": "approve", "ids": [str(cid), "²", "x", "99999999999999999999"]},
    )
    assert response.status_code == 303
    assert status(app, cid) is A


@pytest.mark.parametrize("path", ["/admin/comments/99999999999999999999/edit", "/admin/comments/2147483648/reply"])
def test_ids_too_large_for_the_database_are_404(mod_client, path):
    assert mod_client.get(path).status_code == 404
    token = form_token(queue(mod_client).text)
    assert (
        mod_client.post("/admin/comments/99999999999999999999/approve", data={"csrf_token": token}).status_code == 404
    )


@pytest.mark.parametrize(
    ("status", "detail"), [("approved", "changed status"), ("spam", "changed status"), ("pending", "saved unchanged")]
)
def test_edit_sets_the_status(app, mod_client, comment, status, detail):
    """WordPress's edit screen has the status; the move is in the audit record, so Not spam knows the way back."""
    cid = comment("Held words", author="Ada", email="ada@example.org")
    page = mod_client.get(f"/admin/comments/{cid}/edit")
    assert '<input type="radio" name="status" value="pending" checked>' in page.text
    data = {"comment": "Held words", "author": "Ada", "email": "ada@example.org", "url": "", "status": status}
    response = mod_client.post(f"/admin/comments/{cid}/edit", data={"csrf_token": form_token(page.text), **data})
    assert response.status_code == 303
    with app.app_context():
        edited = db.session.get(Comment, cid)
        assert edited.status.value == status
        assert (edited.approved_at is not None) == (status == "approved")
        assert [(e.from_status, e.to_status, e.detail) for e in events_of(cid)] == [("pending", status, detail)]


def test_edit_refuses_an_unknown_status(app, mod_client, comment):
    cid = comment("Held words")
    page = mod_client.get(f"/admin/comments/{cid}/edit")
    data = {"comment": "Typed", "author": "Ada", "email": "", "url": "", "status": "published"}
    response = mod_client.post(f"/admin/comments/{cid}/edit", data={"csrf_token": form_token(page.text), **data})
    assert response.status_code == 422 and "Choose a status." in response.text
    with app.app_context():
        assert db.session.get(Comment, cid).status.value == "pending"
