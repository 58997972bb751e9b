"""The admin's Privacy screen (/admin/privacy): what is held about an address, exported or erased, each
confirmed by POST so the address stays out of URLs and logs. The work is blog/moderation/privacy.py's."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired, Length

from blog.comments.form import failure_status
from blog.moderation import privacy
from blog.moderation.signin import moderator_required
from blog.moderation.views import bp, checked


class PrivacyForm(FlaskForm):
    """A privacy request: the address it is about."""

    email = StringField(
        "Email address",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[InputRequired("Enter the email address the request is about."), Length(max=254)],
    )


class EraseForm(PrivacyForm):
    confirm = BooleanField(
        "Yes, erase this person's name, email, website, IP address and user agent from their comments",
        validators=[InputRequired("Tick the box to confirm the erasure.")],
    )
    delete_text = BooleanField("Delete the text of their comments too")


@bp.route("/privacy", methods=["GET", "POST"])
@moderator_required
def privacy_request():
    """Find what is held about an address (asked by POST, so the address stays out of URLs and logs)."""
    form = PrivacyForm()
    found = None
    if request.method == "POST" and checked(form, keep_typing=True):
        found = privacy.comments_of(form.email.data)
    status = failure_status(form) if request.method == "POST" and found is None else 200
    erase_form = EraseForm(formdata=None, email=form.email.data)
    return render_template("admin/privacy.html", form=form, erase_form=erase_form, found=found), status


@bp.post("/privacy/export")
@moderator_required
def privacy_export():
    """Hand over everything held about an address, as a JSON file."""
    form = PrivacyForm()
    if not checked(form):
        return redirect(url_for("admin.privacy_request"), 303)
    response = current_app.response_class(privacy.as_json(privacy.export(form.email.data)), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="personal-data.json"'
    return response


@bp.post("/privacy/erase")
@moderator_required
def privacy_erase():
    """Erase the personal data of an address's comments, once the moderator has confirmed it."""
    form = EraseForm()
    if not checked(form, keep_typing=True):
        found = privacy.comments_of(form.email.data) if form.email.data else None
        html = render_template(
            "admin/privacy.html", form=PrivacyForm(formdata=None, email=form.email.data), erase_form=form, found=found
        )
        return html, failure_status(form)
    done = privacy.erase(form.email.data, current_user._get_current_object(), delete_text=form.delete_text.data)
    flash(f"Erased the personal data of {done.comments} comment{'' if done.comments == 1 else 's'}.", "success")
    return redirect(url_for("admin.privacy_request"), 303)
