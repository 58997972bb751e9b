"""What a request may carry in, and what every response carries out.

In: the client's address from a trusted proxy's X-Forwarded-For, and the mount path (SCRIPT_NAME), each
used only when it is well formed. Out: the headers every page carries (CSP, nosniff, referrer policy,
framing), the CSP allowing the readers' inline stylesheet by its hash and nothing else inline.
"""

import ipaddress
import logging
import re

from werkzeug.middleware.proxy_fix import ProxyFix

from blog.core import assets

log = logging.getLogger(__name__)
# A mount path as an operator sets it (the SCRIPT_NAME environment variable): "/blog", "/sites/notes".
_MOUNT_PATH = re.compile(r"(?:/(?!\.{1,2}(?:/|$))[A-Za-z0-9._~-]+)*/?", re.ASCII)


def content_security_policy(*style_sources: str) -> str:
    """Return the policy: only the site's own files, plus the inline styles named by their hash."""
    styles = " ".join(("'self'", *style_sources))
    return (
        f"default-src 'self'; script-src 'self'; style-src {styles}; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "object-src 'none'; frame-ancestors 'none'"
    )


HEADERS = {
    "Content-Security-Policy": content_security_policy(),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "interest-cohort=(), camera=(), microphone=(), geolocation=()",
}


def header_adder(headers: dict[str, str]):
    """Return an ``after_request`` hook that gives each response these headers (unless it set its own)."""

    def add_headers(response):
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    return add_headers


class CheckedEnviron:
    """WSGI middleware: use the client address and mount path the server hands on only when well formed.

    A forwarded client address that is no IP address (``unknown``, ``1.2.3.4:80``, anything a client
    wrote into the header before the proxy appended its own hop) would be stored with comments and key
    the flood rule and the login throttle: the proxy's peer address is used instead. A mount path that
    is not a plain path (``..``, ``//host``, control characters) would end up in links and ``Location``
    headers: the blog answers at the root instead. Each is logged once per process, not once per request,
    so a client cannot flood the log.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.warned = set()

    def __call__(self, environ, start_response):
        original = environ.get("werkzeug.proxy_fix.orig")  # set by ProxyFix, which put the hop in REMOTE_ADDR
        if original is not None and environ.get("REMOTE_ADDR") != original["REMOTE_ADDR"]:
            environ["REMOTE_ADDR"] = self._client_address(environ["REMOTE_ADDR"], original["REMOTE_ADDR"])
        script_name = environ.get("SCRIPT_NAME", "")
        if not _MOUNT_PATH.fullmatch(script_name):
            self._warn_once("SCRIPT_NAME %.100r is not a plain path; answering at the root", script_name)
            environ["SCRIPT_NAME"] = ""
        return self.wsgi_app(environ, start_response)

    def _client_address(self, forwarded: str, peer: str) -> str:
        try:
            return str(ipaddress.ip_address(forwarded.strip()))  # one spelling per address, for the flood rule
        except ValueError:
            self._warn_once(
                "X-Forwarded-For hop %.100r is not an IP address; using the peer address %s", forwarded, peer
            )
            return peer

    def _warn_once(self, message: str, *values) -> None:
        if message in self.warned:
            return
        self.warned.add(message)
        log.warning(message + " (logged once per process)", *values)


def trust_proxies(app):
    """Wrap the app in ProxyFix for FLASK_TRUSTED_PROXIES proxies, checking what they forward."""
    app.wsgi_app = CheckedEnviron(app.wsgi_app)
    if proxies := app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def init_app(app):
    # Built once: the readers' inline CSS is allowed by its hash (blog/core/assets.py), not 'unsafe-inline'.
    csp = content_security_policy(assets.style_source(app))
    app.after_request(header_adder({**HEADERS, "Content-Security-Policy": csp}))
