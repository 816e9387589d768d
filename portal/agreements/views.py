"""The agreements register, imports, extensions, notices, dashboard and reports."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.accounts.models import Role
from portal.accounts.views import form_page
from portal.agreements import exports, importer, jobs, queries, services
from portal.agreements.forms import (CategoryForm, ExtensionForm, ImportForm, ManualNoticeForm, PeriodForm,
                                     ScheduleForm)
from portal.agreements.models import (Agreement, AgreementStatus, DeliveryMode, EndingNotice, ServiceCategory)
from portal.agreements.policies import REGISTER_ROLES, can_read_notice
from portal.accounts.forms import ConfirmForm
from portal.auth import roles
from portal.dates import financial_year_label
from portal.db import commit, get_session
from portal.errors import RuleViolation
from portal.providers.models import District

bp = Blueprint("agreements", __name__)


def _filter_from_args() -> queries.RegisterFilter:
    args = request.args

    def as_int(name):
        value = args.get(name, "")
        return int(value) if value.isdigit() else None

    def as_enum(enum, name):
        return enum.__members__.get(args.get(name, ""))

    f = queries.RegisterFilter(
        text=args.get("q", "")[:100], category_id=as_int("category"), district_id=as_int("district"),
        mode=as_enum(DeliveryMode, "mode"), status=as_enum(AgreementStatus, "status"),
        sort=args.get("sort", "end") if args.get("sort") in queries.SORTS else "end",
    )
    for name in ("ending_from", "ending_to"):
        try:
            setattr(f, name, date.fromisoformat(args.get(name, "")) if args.get(name) else None)
        except ValueError:
            setattr(f, name, None)  # a mistyped date filters nothing rather than failing
    return f


def _filter_choices(session):
    return {
        "categories": session.scalars(select(ServiceCategory).order_by(ServiceCategory.name)).all(),
        "districts": session.scalars(select(District).order_by(District.name)).all(),
        "modes": list(DeliveryMode), "statuses": list(AgreementStatus), "sorts": {
            "end": "End date", "reference": "Reference", "provider": "Provider", "value": "Annual value"},
    }


@bp.route("/agreements")
@roles(*REGISTER_ROLES)
def register():
    session = get_session()
    f = _filter_from_args()
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    today = clock.today()
    agreements, total = queries.register_page(session, f, today, page)
    pages = max(1, -(-total // queries.PAGE_SIZE))
    return render_template("agreements/register.html", agreements=agreements, total=total, page=page, pages=pages,
                           f=f, today=today, status_of=services.status_of, query_args=request.args.to_dict(),
                           **_filter_choices(session))


@bp.route("/agreements/export.<kind>")
@roles(*REGISTER_ROLES)
def export(kind):
    if kind not in ("csv", "xlsx"):
        abort(404)
    today = clock.today()
    header, body = exports.rows(queries.register_all(get_session(), _filter_from_args(), today), today)
    if kind == "csv":
        data, mimetype = exports.to_csv(header, body), "text/csv"
    else:
        data = exports.to_xlsx(header, body)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=agreements-{today.isoformat()}.{kind}"})


@bp.route("/agreements/import", methods=["GET", "POST"])
@roles(*REGISTER_ROLES)
def import_register():
    form = ImportForm()
    errors, summary = [], None
    if form.validate_on_submit():
        upload = request.files.get("file")
        session = get_session()
        if upload is None or not upload.filename:
            form.file.errors = ["Select a CSV or Excel file"]
        else:
            try:
                table = importer.read_table(upload.filename, upload.read(importer.MAX_IMPORT_BYTES + 1))
                rows, errors = importer.check(session, table)
                errors = errors or importer.check_providers(session, rows)
            except importer.ImportRefused as refusal:
                form.file.errors = [refusal.message]
            else:
                if errors:
                    form.file.errors = [f"The file has {len(errors)} problem{'s' if len(errors) != 1 else ''}. "
                                        "Nothing has been imported. Correct the rows listed and upload it again"]
                else:
                    summary = importer.apply(session, current_user, rows, upload.filename)
                    commit()
                    return render_template("agreements/import_done.html", summary=summary)
    return form_page("agreements/import.html", form, errors=errors)


@bp.route("/agreements/import/template.csv")
@roles(*REGISTER_ROLES)
def import_template():
    header = [c.title() for c in importer.REQUIRED_COLUMNS + importer.OPTIONAL_COLUMNS] + ["Spend 2010/11",
                                                                                           "Spend 2011/12"]
    example = ["KCC-EIP-001", "Medway Valley Young Carers", "Early help for young carers",
               "Early Intervention & Prevention", "Maidstone; Swale", "Face-to-face; Outreach", "85000",
               "01/04/2009", "31/03/2012", "1098765", "", "contracts@example.org", "", "", "", "85000", "90000"]
    return Response(exports.to_csv(header, [example]), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=agreements-template.csv"})


def _agreement(agreement_id: int) -> Agreement:
    agreement = get_session().get(Agreement, agreement_id, options=[
        selectinload(Agreement.extensions), selectinload(Agreement.spend), selectinload(Agreement.districts)])
    if agreement is None:
        abort(404)
    return agreement


@bp.route("/agreements/<int:agreement_id>")
@roles(*REGISTER_ROLES)
def show(agreement_id):
    agreement = _agreement(agreement_id)
    notices = get_session().scalars(select(EndingNotice).where(EndingNotice.agreement_id == agreement.id)
                                    .order_by(EndingNotice.sent_at.desc())).all()
    today = clock.today()
    return render_template("agreements/show.html", agreement=agreement, notices=notices,
                           status=services.status_of(agreement, today), today=today,
                           year_label=financial_year_label)


@bp.route("/agreements/<int:agreement_id>/extend", methods=["GET", "POST"])
@roles(*REGISTER_ROLES)
def extend(agreement_id):
    agreement = _agreement(agreement_id)
    form = ExtensionForm()
    if form.validate_on_submit():
        try:
            services.extend(get_session(), current_user, agreement, form.new_end_date.data, form.reason.data,
                            form.agreed_by.data, clock.today())
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            flash(f"Extension recorded. {agreement.reference} now ends on {form.new_end_date.data:%-d %B %Y}.",
                  "success")
            return redirect(url_for("agreements.show", agreement_id=agreement.id))
    return form_page("agreements/extend.html", form, agreement=agreement)


@bp.route("/agreements/notices", methods=["GET", "POST"])
@roles(*REGISTER_ROLES)
def notice_schedule():
    session = get_session()
    form = ScheduleForm()
    months, on_extension = services.schedule(session)
    if request.method == "GET":
        form.months.data = ", ".join(str(m) for m in months)
        form.notify_on_extension.data = on_extension
    if form.validate_on_submit():
        try:
            parts = [p.strip() for p in (form.months.data or "").split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise RuleViolation("months", "Enter whole numbers of months, separated by commas")
            services.set_schedule(session, current_user, [int(p) for p in parts],
                                  bool(form.notify_on_extension.data))
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            flash("The notice schedule has been saved.", "success")
            return redirect(url_for("agreements.notice_schedule"))
    due = services.due_notices(session, clock.today())
    return form_page("agreements/notices.html", form, due_count=len(due), send_form=ConfirmForm())


@bp.route("/agreements/notices/send-due", methods=["POST"])
@roles(*REGISTER_ROLES)
def send_due():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    result = jobs.send_due_notices(current_app._get_current_object())
    flash(f"{result.sent} notice{'s' if result.sent != 1 else ''} sent.", "success")
    return redirect(url_for("agreements.notice_schedule"))


@bp.route("/agreements/notices/new", methods=["GET", "POST"])
@roles(*REGISTER_ROLES)
def manual_notice():
    session = get_session()
    today = clock.today()
    f = _filter_from_args()
    agreements = queries.register_all(session, f, today)
    form = ManualNoticeForm()
    if form.validate_on_submit():
        try:
            notices = services.send_manual_notice(session, current_user, list(agreements), form.subject.data,
                                                  form.body.data)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            providers = len({n.organisation_id for n in notices})
            flash(f"Notice sent to {providers} provider{'s' if providers != 1 else ''}.", "success")
            return redirect(url_for("agreements.register", **request.args))
    providers = sorted({a.organisation.name for a in agreements})
    return form_page("agreements/manual_notice.html", form, agreements=agreements, providers=providers,
                     query_args=request.args.to_dict())


@bp.route("/agreements/dashboard")
@roles(*REGISTER_ROLES)
def dashboard():
    today = clock.today()
    data = queries.dashboard(get_session(), today, bids_by_organisation=_bidders())
    return render_template("agreements/dashboard.html", data=data, today=today)


def _bidders():
    """Organisations that have submitted a bid, once the bids domain exists."""
    hook = current_app.extensions.get("bidders_for_dashboard")
    return hook(get_session()) if hook else None


@bp.route("/agreements/reports")
@roles(*REGISTER_ROLES)
def reports():
    session = get_session()
    years, categories, spend = queries.spend_by_year_and_category(session)
    period = PeriodForm(request.args if "start" in request.args else None)
    ending = None
    status = 200
    if "start" in request.args:
        if period.validate():
            if period.end.data < period.start.data:
                period.end.errors = ["The end of the period must be after its start"]
                status = 400
            else:
                ending = queries.ending_between(session, period.start.data, period.end.data)
        else:
            status = 400
    return render_template("agreements/reports.html", years=years, categories=categories, spend=spend,
                           year_label=financial_year_label, form=period, ending=ending), status


@bp.route("/agreements/categories", methods=["GET", "POST"])
@roles(*REGISTER_ROLES)
def categories():
    session = get_session()
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            services.add_category(session, current_user, form.name.data)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            flash(f"Category \u201c{form.name.data.strip()}\u201d added.", "success")
            return redirect(url_for("agreements.categories"))
    existing = session.scalars(select(ServiceCategory).order_by(ServiceCategory.name)).all()
    return form_page("agreements/categories.html", form, existing=existing)


# --- Providers ---------------------------------------------------------------

@bp.route("/notices/<int:notice_id>")
@roles(Role.PROVIDER)
def notice(notice_id):
    session = get_session()
    found = session.get(EndingNotice, notice_id)
    if found is None or not can_read_notice(current_user, found):
        abort(404)
    if services.mark_read(session, current_user, found):
        commit()
    return render_template("agreements/notice.html", notice=found)
