"""The search page: ``GET /search/?q=WORDS`` shows what blog/reading/search.py finds."""

from flask import Blueprint, render_template, request

from blog.reading import search

bp = Blueprint("search", __name__)


@bp.get("/search/")
def page():
    """Show the public articles that hold the reader's words, best first; with no query, the form alone."""
    query = search.reader_query(request.args.get("q", ""))
    words = search.words(query)
    results = search.search(query) if words else []
    return render_template(
        "search.html",
        query=query,
        words=words,
        results=results,
        max_query=search.MAX_QUERY,
        max_results=search.MAX_RESULTS,
    )
