"""Sign-in, sign-out, email verification, password reset, invitations, own account."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.accounts import services
from portal.accounts.forms import (AcceptInvitationForm, ChangePasswordForm, EmailOnlyForm,
                                   ResetPasswordForm, SignInForm)
from portal.accounts.tokens import TokenInvalid
from portal.auth import public, redirect_home, safe_next, signed_in
from portal.db import commit, get_session
from portal.errors import RuleViolation
from portal.forms import form_page

bp = Blueprint("accounts", __name__)


def start_session(user) -> None:
    # A fresh session on sign-in: nothing from before survives, so it cannot be fixed.
    next_url = session.get("next_after_sign_in")
    session.clear()
    session.permanent = True
    login_user(user)
    if next_url:
        session["next_after_sign_in"] = next_url


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
        db = get_session()
        try:
            user = services.authenticate(db, form.email.data, form.password.data, request.remote_addr)
        except services.SignInRefused as refusal:
            if refusal.unverified_user is not None:
                return redirect(url_for("accounts.resend_verification"))
            form.form_errors.append(refusal.message)
            status = 429 if refusal.locked else 400
        else:
            start_session(user)
            commit()
            return redirect(safe_next(session.pop("next_after_sign_in", None)) or url_for("pages.dashboard"))
    return form_page("accounts/sign_in.html", form, status)


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/verify-email/<token>")
@public
def verify_email(token):
    db = get_session()
    try:
        services.verify_email(db, token)
    except TokenInvalid as error:
        return render_template("accounts/link_invalid.html", expired=error.expired,
                               retry_url=url_for("accounts.resend_verification"),
                               retry_text="Send a new confirmation link"), 400
    commit()
    flash("Your email address is confirmed. You can now sign in.", "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/verify-email", methods=["GET", "POST"])
@public
def resend_verification():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.resend_verification(get_session(), form.email.data)
        commit()
        return render_template("accounts/check_email.html", email=form.email.data, purpose="verify")
    return form_page("accounts/resend_verification.html", form)


@bp.route("/password-reset", methods=["GET", "POST"])
@public
def request_password_reset():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(get_session(), form.email.data)
        commit()
        return render_template("accounts/check_email.html", email=form.email.data, purpose="reset")
    return form_page("accounts/request_password_reset.html", form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token):
    db = get_session()
    form = ResetPasswordForm()
    try:
        services._user_for_token(db, "reset", token)
        if form.validate_on_submit():
            services.reset_password(db, token, form.password.data)
            commit()
            logout_user()
            session.clear()
            flash("Your password has been changed. Sign in with your new password.", "success")
            return redirect(url_for("accounts.sign_in"))
    except TokenInvalid as error:
        return render_template("accounts/link_invalid.html", expired=error.expired,
                               retry_url=url_for("accounts.request_password_reset"),
                               retry_text="Request a new password reset link"), 400
    except RuleViolation as violation:
        form.add_violation(violation)
    return form_page("accounts/reset_password.html", form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token):
    db = get_session()
    form = AcceptInvitationForm()
    try:
        invited = services.invitation_user(db, token)
        if request.method == "GET":
            form.full_name.data = invited.full_name
        if form.validate_on_submit():
            user = services.accept_invitation(db, token, form.full_name.data, form.password.data)
            start_session(user)
            commit()
            flash("Your account is ready.", "success")
            return redirect(url_for("pages.dashboard"))
    except TokenInvalid as error:
        return render_template("accounts/link_invalid.html", expired=error.expired, retry_url=None,
                               retry_text=None), 400
    except RuleViolation as violation:
        form.add_violation(violation)
    return form_page("accounts/accept_invitation.html", form, invited=invited)


@bp.route("/account")
@signed_in
def account():
    return render_template("accounts/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(get_session(), current_user, form.current_password.data, form.password.data)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            # Other devices are signed out by the new session version; this one carries on.
            start_session(current_user)
            commit()
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("accounts.account"))
    return form_page("accounts/change_password.html", form)
