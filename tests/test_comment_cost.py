"""What one comment may cost the server (issue 11, finding 1): a forged post is refused before any of
its text is cleaned, and cleaning any 64 KB comment, however hostile its shape, takes little CPU.

Budgets are CPU time of this thread (``time.thread_time``), not wall-clock time, so a loaded machine
does not make them flaky; each shape is the worst case of one part of the cleaner.
"""

import time

import pytest

from blog import sanitize
from tests.comment_actions import form_fields, make_article

SLUG = "costly"


@pytest.fixture
def article(app):
    with app.app_context():
        yield make_article(SLUG, "Costly")


def test_a_post_without_token_is_refused_before_its_text_is_cleaned(app, article, monkeypatch):
    cleaned = []
    real = sanitize.clean_comment
    monkeypatch.setattr(sanitize, "clean_comment", lambda text: cleaned.append(text) or real(text))
    text = "<b>" * 21841
    forger = app.test_client()  # no cookie, no token: a cross-site post
    started = time.thread_time()
    response = forger.post(f"/{SLUG}/comments", data={"author": "x", "email": "x@example.com", "comment": text})
    spent = time.thread_time() - started
    assert response.status_code == 400
    assert "Your session expired. Please submit your comment again." in response.text
    assert cleaned == []
    assert spent < 1.0, f"{spent:.2f} s"  # 7.4 s before the fix
    kept = form_fields(response.text)
    assert (kept["comment"], kept["author"], kept["email"]) == (text, "x", "x@example.com")
