"""An organisation's quality-assurance evidence, kept once for every bid."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal import clock
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role
from portal.auth import roles, safe_next
from portal.db import get_session
from portal.downloads import attachment
from portal.errors import NotPermitted, RuleViolation
from portal.forms import handle_form
from portal.providers import evidence as services
from portal.providers.forms import EvidenceForm
from portal.providers.models import EvidenceKind

bp = Blueprint("evidence", __name__, url_prefix="/organisation/evidence")


def _return_to() -> str | None:
    """Where the provider came from (their bid's evidence page), to go back to once they
    have added a document: a path on this site only (``safe_next``, as at sign-in)."""
    return safe_next(request.args.get("next"))


def _own(evidence_id: int):
    try:
        return services.evidence_for(get_session(), current_user, evidence_id)
    except NotPermitted:
        abort(404)


@bp.route("")
@roles(Role.PROVIDER)
def index():
    today = clock.today()
    documents = services.current_evidence(get_session(), current_user.organisation_id)
    rows = [
        {"evidence": e, "flag": services.evidence_flags(e, today), "soon": services.expires_soon(e, today)}
        for e in documents
    ]
    return render_template(
        "providers/evidence/index.html",
        rows=rows,
        archive_form=ConfirmForm(),
        soon_label=services.EXPIRES_SOON,
        return_to=_return_to(),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def new():
    form = EvidenceForm()

    def add():
        upload = form.file.data
        return services.add_evidence(
            get_session(),
            current_user,
            EvidenceKind[form.kind.data],
            form.title.data,
            upload.filename,
            upload.read(current_app.config["MAX_FILE_BYTES"] + 1),
            form.expires_on.data,
            clock.now(),
        )

    return_to = _return_to()
    return handle_form(
        form,
        add,
        template="providers/evidence/new.html",
        # Back to the bid they came from, where the new document can be ticked at once.
        redirect_to=return_to or url_for("evidence.index"),
        success=lambda evidence: f"\u201c{evidence.title}\u201d has been saved. You can include it in your bids.",
        context={"return_to": return_to},
    )


@bp.route("/<int:evidence_id>/file")
@roles(Role.PROVIDER)
def download(evidence_id):
    return attachment(_own(evidence_id).file, private=True)


@bp.route("/<int:evidence_id>/archive", methods=["POST"])
@roles(Role.PROVIDER)
def archive(evidence_id):
    evidence = _own(evidence_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.archive_evidence(get_session(), current_user, evidence, clock.now())
    except RuleViolation as violation:
        return render_template(
            "errors/page.html", title="The document cannot be archived", description=violation.message
        ), 400
    flash(f"\u201c{evidence.title}\u201d has been archived. Bids already submitted with it keep it.", "success")
    return redirect(url_for("evidence.index"))
