"""The pure helpers of `make bench`, `make bench-servers` and `make lighthouse` (scripts/): the
benchmarks themselves are run by hand, not here."""

import argparse
import importlib.util

import pytest

from scripts import bench_servers
from scripts.bench import SCENARIOS, scenario_list, through_page_cache
from scripts.lighthouse import summary
from scripts.live import BIN, ROOT
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


def lighthouse_report(score=1.0, compression=None, blocking=None):
    """A Lighthouse JSON report as far as `make lighthouse` reads it."""
    categories = {name: {"score": score} for name in ("performance", "accessibility", "best-practices", "seo")}
    return {
        "categories": categories,
        "audits": {
            "uses-text-compression": compression or {"score": 1, "scoreDisplayMode": "metricSavings"},
            "render-blocking-resources": blocking or {"score": None, "scoreDisplayMode": "notApplicable"},
        },
    }


def test_lighthouse_summary_gives_each_category_out_of_100_and_passes_what_found_nothing():
    assert summary(lighthouse_report(0.97)) == {
        "performance": 97,
        "accessibility": 97,
        "best-practices": 97,
        "seo": 97,
        "uses-text-compression": "pass",
        "render-blocking-resources": "pass",
    }


def test_lighthouse_summary_names_what_a_finding_would_save():
    found = {
        "score": 0.5,
        "scoreDisplayMode": "metricSavings",
        "details": {"overallSavingsMs": 170, "overallSavingsBytes": 186368},
    }
    result = summary(lighthouse_report(compression=found, blocking=found))
    assert result["uses-text-compression"] == result["render-blocking-resources"] == "170 ms, 182 KiB"


def test_bench_servers_runs_the_preloaded_granian_with_this_venvs_python_on_its_own_port(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object() if name == "granian" else None)
    server = bench_servers.Server([bench_servers.PRELOADED, "--workers", "2"], env={})
    assert server.argv == [
        str(BIN / "python"),
        str(ROOT / "scripts" / "granian_preloaded.py"),
        "--workers",
        "2",
        "--host",
        "127.0.0.1",
        "--port",
        str(server.port),
    ]


def test_bench_servers_reports_the_preloaded_granian_missing_without_granian(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert bench_servers.Server([bench_servers.PRELOADED, "--workers", "1"], env={}).argv is None
