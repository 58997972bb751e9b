"""The Email field against Dominic Sayers' is_email() test cases (tests/corpora/isemail-tests/).

The form accepts the categories a comment form should accept (ISEMAIL_VALID_CATEGORY, ISEMAIL_DNSWARN: the
syntax is fine) and refuses the rest (see that folder's SOURCE.md). Where the form disagrees, the case is
listed below with the reason; any other disagreement fails.
"""

import csv
import json

import pytest
from werkzeug.datastructures import MultiDict

from blog import create_app
from blog.comments.form import CommentForm
from tests.conftest import corpus

TSV = corpus("isemail-tests", "derived-email-validator-2.4.0-verdicts.tsv")

# Surrounding whitespace, CR and LF are trimmed first, as a browser's <input type=email> does before it
# submits; what is left is a plain valid address. (is_email judges the exact string as a mail header would.)
TRIMMED = "surrounding whitespace or CR/LF trimmed, as a browser does; the address inside is valid"
TOO_LONG = "over 100 characters, WordPress's column size for the email (the form says it is too long)"
DOTLESS = "email-validator refuses a domain without a dot (ICANN bans dotless mail domains)"
TLD = "email-validator refuses a top-level domain that is not a valid one (digits, bad punycode)"

DISAGREEMENTS = {
    ("tests.xml", 5): DOTLESS,  # test@io
    ("tests.xml", 37): TOO_LONG,
    ("tests.xml", 38): TOO_LONG,
    ("tests-original.xml", 8): TOO_LONG,  # and a TLD with a digit, which email-validator refuses too
    ("tests-original.xml", 9): TOO_LONG,
    ("tests-original.xml", 96): TLD,  # test@123.123.123.x123
    ("tests-original.xml", 279): TLD,  # test@xn--example.com
    **{("tests.xml", n): TRIMMED for n in [88, 89, 99, 127, 128, 132, *range(141, 159)]},
    ("tests-original.xml", 278): TRIMMED,  # "test@example.com\n"
}


def cases():
    with TSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [pytest.param(row, id=f"{row['file']}#{row['id']}") for row in rows]


@pytest.fixture(scope="module")
def form_app():
    # Field validation needs settings and a request, not a database.
    return create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def accepts(app, address: str) -> bool:
    with app.test_request_context():
        form = CommentForm(MultiDict({"email": address}))
        return form.email.validate(form)


def test_corpus_is_here():
    assert len(cases()) == 443


@pytest.mark.parametrize("row", cases())
def test_form_verdict_matches_the_category(form_app, row):
    address = json.loads(row["address_json"])
    expected = row["form_verdict_by_category"] == "valid"
    key = (row["file"], int(row["id"]))
    if key in DISAGREEMENTS:
        expected = not expected
    assert accepts(form_app, address) is expected, (row["category"], row["diagnosis"], DISAGREEMENTS.get(key))


def test_every_listed_disagreement_is_a_case():
    keys = {(row.values[0]["file"], int(row.values[0]["id"])) for row in cases()}
    assert set(DISAGREEMENTS) <= keys


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("test@iana.org", 303),
        (" test@iana.org ", 303),
        ("test@nominet.org.uk", 303),
        ("a@iana.org", 303),
        ('"test"@iana.org', 422),
        ("test@[255.255.255.255]", 422),
        ("test@iana.123", 422),
        ("(comment)test@iana.org", 422),
        ("test..iana.org", 422),
        ("test\\@test@iana.org", 422),
    ],
)
def test_through_the_form(client, app, address, status):
    from tests.actions import post_comment
    from tests.factories import make_article

    with app.app_context():
        make_article("s")
        assert post_comment(client, "s", f"Address {address!r}", email=address).status_code == status


def test_deliverability_check_is_a_setting(form_app, monkeypatch):
    import email_validator

    seen = []
    real = email_validator.validate_email

    def spy(address, **kwargs):
        seen.append(kwargs.get("check_deliverability"))
        return real(address, **{**kwargs, "check_deliverability": False})

    monkeypatch.setattr("blog.comments.form.validate_email", spy)
    accepts(form_app, "a@iana.org")
    form_app.config["COMMENT_CHECK_DELIVERABILITY"] = True
    accepts(form_app, "a@iana.org")
    form_app.config["COMMENT_CHECK_DELIVERABILITY"] = False
    assert seen == [False, True]
