"""Sign-in, sign-out, email verification, password reset, invitations, own account."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal import clock
from portal.accounts import services
from portal.accounts.forms import AcceptInvitationForm, ChangePasswordForm, EmailOnlyForm, ResetPasswordForm, SignInForm
from portal.accounts.tokens import TokenInvalid
from portal.auth import current_session_key, public, redirect_home, safe_next, signed_in
from portal.db import allow_write_on_get, get_session
from portal.forms import form_page, handle_form

bp = Blueprint("accounts", __name__)


def start_session(user) -> None:
    # A fresh session on sign-in: nothing from before survives, so it cannot be fixed.
    next_url = session.get("next_after_sign_in")
    session.clear()
    session.permanent = True
    user.new_session()  # a key of its own, so that signing out ends this session alone
    login_user(user)
    if next_url:
        session["next_after_sign_in"] = next_url


def _link_invalid(error: TokenInvalid, retry_url: str | None = None, retry_text: str | None = None):
    return render_template(
        "accounts/link_invalid.html", expired=error.expired, retry_url=retry_url, retry_text=retry_text
    ), 400


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect_home()
    form = SignInForm()
    status = 200
    if request.method == "GET" and safe_next(request.args.get("next")):
        session["next_after_sign_in"] = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                get_session(), form.email.data, form.password.data, request.remote_addr, clock.now()
            )
        except services.SignInRefused as refusal:
            if refusal.unverified_user is not None:
                return redirect(url_for("accounts.resend_verification"))
            form.form_errors.append(refusal.message)
            status = 429 if refusal.locked else 400
        else:
            # The sign-in time and its audit row commit with this response.
            start_session(user)
            return redirect(safe_next(session.pop("next_after_sign_in", None)) or url_for("pages.dashboard"))
    return form_page("accounts/sign_in.html", form, status)


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    key = current_session_key()
    if key is not None:
        # Ended server-side too: a copy of the cookie taken before now signs nobody in.
        services.end_session(get_session(), current_user, key, clock.now())
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/verify-email/<token>")
@public
def verify_email(token):
    try:
        services.verify_email(get_session(), token, clock.now())
    except TokenInvalid as error:
        return _link_invalid(error, url_for("accounts.resend_verification"), "Send a new confirmation link")
    # The link is emailed, so it can only be a GET; following it is what confirms the address.
    allow_write_on_get()
    flash("Your email address is confirmed. You can now sign in.", "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/verify-email", methods=["GET", "POST"])
@public
def resend_verification():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.resend_verification(get_session(), form.email.data)
        return render_template("accounts/check_email.html", email=form.email.data, purpose="verify")
    return form_page("accounts/resend_verification.html", form)


@bp.route("/password-reset", methods=["GET", "POST"])
@public
def request_password_reset():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(get_session(), form.email.data)
        return render_template("accounts/check_email.html", email=form.email.data, purpose="reset")
    return form_page("accounts/request_password_reset.html", form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token):
    db = get_session()
    try:
        services.user_for_token(db, "reset", token)
    except TokenInvalid as error:
        return _link_invalid(error, url_for("accounts.request_password_reset"), "Request a new password reset link")
    form = ResetPasswordForm()

    def reset():
        services.reset_password(db, token, form.password.data, clock.now())
        logout_user()
        session.clear()

    return handle_form(
        form,
        reset,
        template="accounts/reset_password.html",
        redirect_to=url_for("accounts.sign_in"),
        success="Your password has been changed. Sign in with your new password.",
    )


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token):
    db = get_session()
    try:
        invited = services.invitation_user(db, token)
    except TokenInvalid as error:
        return _link_invalid(error)
    form = AcceptInvitationForm()
    if request.method == "GET":
        form.full_name.data = invited.full_name

    def accept():
        start_session(services.accept_invitation(db, token, form.full_name.data, form.password.data, clock.now()))

    return handle_form(
        form,
        accept,
        template="accounts/accept_invitation.html",
        redirect_to=url_for("pages.dashboard"),
        success="Your account is ready.",
        context={"invited": invited},
    )


@bp.route("/account")
@signed_in
def account():
    return render_template("accounts/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()

    def change():
        services.change_password(get_session(), current_user, form.current_password.data, form.password.data)
        # Other devices are signed out by the new session version; this one carries on.
        start_session(current_user)

    return handle_form(
        form,
        change,
        template="accounts/change_password.html",
        redirect_to=url_for("accounts.account"),
        success="Your password has been changed. You have been signed out everywhere else.",
    )
