"""The one way mail leaves the blog: one SMTP conversation per message, under the MAIL_* settings.

The moderators' notices (blog/moderation/notices.py) and the commenters' (blog/comments/notices.py)
both send through here; neither is ever sent from a request's own thread.
"""

import smtplib
from email.message import EmailMessage

SMTP_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT")


def configured(config) -> bool:
    """Whether the blog can send mail at all: a server and a sender."""
    return bool(config.get("MAIL_SERVER") and config.get("MAIL_FROM"))


def smtp_settings(config) -> dict:
    """Return the settings a sending thread needs, copied out of the app's config."""
    return {key: config[key] for key in SMTP_SETTINGS}


def deliver(message: EmailMessage, settings: dict) -> None:
    """Hand one message to the SMTP server.

    :raise OSError, smtplib.SMTPException: when the server cannot be reached or refuses it.
    """
    with smtplib.SMTP(settings["MAIL_SERVER"], settings["MAIL_PORT"], timeout=settings["MAIL_TIMEOUT"]) as smtp:
        smtp.send_message(message)
