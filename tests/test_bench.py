"""The pure helpers of `make bench` (scripts/bench.py): the bench itself is run by hand, not here."""

import argparse

import pytest

from scripts.bench import SCENARIOS, scenario_list, through_page_cache
from tests.conftest import app_with_tables, drop_app
from tests.factories import make_article


def test_only_takes_scenario_names_separated_by_commas():
    assert scenario_list("search,listings") == {"search", "listings"}
    assert scenario_list(" publish , ") == {"publish"}
    assert set(SCENARIOS) == {"pages", "publish", "listings", "search"}


@pytest.mark.parametrize("text", ["serch", "search,nope", "", ","])
def test_only_refuses_an_unknown_or_empty_list_naming_the_choices(text):
    with pytest.raises(argparse.ArgumentTypeError, match="choose from pages, publish, listings, search"):
        scenario_list(text)


def test_through_page_cache_names_the_pages_answered_without_flask(app):
    with app.app_context():
        make_article(slug="on-embassies", title="On Embassies")
    kept = through_page_cache(app, ["/on-embassies/", "/search/?q=embassies", "/comments/feed/", "/", "/nowhere/"])
    assert kept == {
        "/on-embassies/": True,
        "/search/?q=embassies": False,
        "/comments/feed/": False,
        "/": False,
        "/nowhere/": False,
    }
    # The app is left as it was: the article is still answered from the cache, and it is right.
    assert through_page_cache(app, ["/on-embassies/"]) == {"/on-embassies/": True}
    assert b"On Embassies" in app.test_client().get("/on-embassies/").data


def test_through_page_cache_says_no_everywhere_when_the_cache_is_off(app_config):
    app = app_with_tables({**app_config, "PAGE_CACHE": False})
    try:
        with app.app_context():
            make_article(slug="on-embassies", title="On Embassies")
        assert through_page_cache(app, ["/on-embassies/", "/comments/feed/"]) == {
            "/on-embassies/": False,
            "/comments/feed/": False,
        }
    finally:
        drop_app(app)
