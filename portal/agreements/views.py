"""The agreements register, imports, extensions, notices, dashboard and reports."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role
from portal.agreements import dashboard_page, exports, importing, queries, services
from portal.agreements.forms import CategoryForm, ExtensionForm, ImportForm, ManualNoticeForm, PeriodForm, ScheduleForm
from portal.agreements.models import Agreement, AgreementStatus, DeliveryMode, EndingNotice, ServiceCategory
from portal.agreements.policies import REGISTER_ROLES, can_read_notice
from portal.agreements.signals import replacement_requested
from portal.auth import roles
from portal.dates import financial_year_label, london_today
from portal.db import allow_write_on_get, get_session
from portal.errors import RuleViolation
from portal.filters import format_date
from portal.forms import form_page, handle_form
from portal.input_guard import as_id
from portal.pagination import Page, page_number
from portal.signals import ask

bp = Blueprint("agreements", __name__)


def _filter_from_args() -> queries.RegisterFilter:
    args = request.args

    def as_int(name):
        value = args.get(name, "")
        return as_id(value)  # bounded: an id past the integer range is no choice, not a 500

    def as_enum(enum, name):
        return enum.__members__.get(args.get(name, ""))

    f = queries.RegisterFilter(
        text=args.get("q", "")[:100],
        category_id=as_int("category"),
        district_id=as_int("district"),
        mode=as_enum(DeliveryMode, "mode"),
        status=as_enum(AgreementStatus, "status"),
        sort=args.get("sort", "end") if args.get("sort") in queries.SORTS else "end",
    )
    for name in ("ending_from", "ending_to"):
        try:
            setattr(f, name, date.fromisoformat(args.get(name, "")) if args.get(name) else None)
        except ValueError:
            setattr(f, name, None)  # a mistyped date filters nothing rather than failing
    return f


# The register filter's fixed choices (the categories and districts are read with the page).
MODES = list(DeliveryMode)
STATUSES = list(AgreementStatus)
SORT_LABELS = {"end": "End date", "reference": "Reference", "provider": "Provider", "value": "Annual value"}


# The tag colour of each status in the register.
STATUS_TAGS = {
    AgreementStatus.ENDED: "govuk-tag--grey",
    AgreementStatus.ENDING_SOON: "govuk-tag--orange",
    AgreementStatus.EXTENDED: "govuk-tag--purple",
    AgreementStatus.ACTIVE: "govuk-tag--green",
}
_STATUS_CELLS = {status: (tag, status.value) for status, tag in STATUS_TAGS.items()}  # (tag class, label)


@bp.route("/agreements")
@roles(*REGISTER_ROLES)
def register():
    f = _filter_from_args()
    shown = queries.register_page(get_session(), f, clock.today(), page_number(request.args.get("page")))
    query_args = request.args.to_dict()
    # The export link built once; the other links with the same filters share its query string
    # (unless the arguments include url_for's own, such as "_anchor": then each is built).
    csv_url = url_for("agreements.export", kind="csv", **query_args)
    _, mark, query_string = csv_url.partition("?")
    plain = not any(key.startswith("_") for key in query_args)
    return render_template(
        "agreements/register.html",
        agreements=_register_cells(shown.rows),
        page=shown.page,
        page_url=_page_url("agreements.register", query_args),
        f=f,
        csv_url=csv_url,
        xlsx_url=url_for("agreements.export", kind="xlsx") + mark + query_string
        if plain
        else url_for("agreements.export", kind="xlsx", **query_args),
        notice_url=url_for("agreements.manual_notice") + mark + query_string
        if plain
        else url_for("agreements.manual_notice", **query_args),
        categories=shown.categories,
        districts=shown.districts,
        modes=MODES,
        statuses=STATUSES,
        sorts=SORT_LABELS,
    )


def _register_cells(rows):
    """Each row's cells in the order the table shows them, its link and status tag included:
    the template writes them out as they are (no calls or lookups per row)."""
    show_url = _show_url()
    return [
        (
            show_url(row.id),
            row.reference,
            row.organisation_name,
            row.is_registered,
            row.service_line,
            row.category_name,
            row.ends,
            row.annual_value,
            *_STATUS_CELLS[row.status],
        )
        for row in rows
    ]


def _show_url():
    """An agreement's page URL from its id, url_for built once rather than once per row."""
    prefix, _, suffix = url_for("agreements.show", agreement_id=0).rpartition("/0")
    return lambda agreement_id: f"{prefix}/{agreement_id}{suffix}"


_PAGE_MARK = "PAGE"


def _page_url(endpoint: str, query_args: dict):
    """A page of a list's URL from its number, with the list's other query arguments:
    url_for built once, with a stand-in for the number, rather than once per link."""
    path, _, query_string = url_for(endpoint, **{**query_args, "page": _PAGE_MARK}).partition("?")
    # Query keys are unique and an "&" in a value is escaped: this is the page argument itself.
    before, found, after = f"&{query_string}&".partition(f"&page={_PAGE_MARK}&")
    if not found:  # not a plain query string (an argument of url_for's own, such as "_anchor")
        return lambda number: url_for(endpoint, **{**query_args, "page": number})
    prefix = f"{path}?{before[1:]}&page=" if before else f"{path}?page="
    suffix = f"&{after[:-1]}" if after else ""
    return lambda number: f"{prefix}{number}{suffix}"


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
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=agreements-{today.isoformat()}.{kind}"},
    )


@bp.route("/agreements/import", methods=["GET", "POST"])
@roles(*REGISTER_ROLES)
def import_register():
    # Not the redirecting form flow: the result is shown in answer to the upload,
    # and a refusal lists the file's problems beside the form.
    form = ImportForm()
    problems = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            summary = importing.import_register(
                get_session(),
                current_user,
                upload.filename,
                upload.read(importing.upload_limit()),
                clock.today(),
                send_extension_notices=form.sends_extension_notices,
            )
        except RuleViolation as refusal:
            problems = getattr(refusal, "rows", [])
            form.add_violation(refusal)
        else:
            return render_template("agreements/import_done.html", summary=summary)
    return form_page("agreements/import.html", form, errors=problems)


@bp.route("/agreements/import/template.csv")
@roles(*REGISTER_ROLES)
def import_template():
    header = [c.title() for c in importing.REQUIRED_COLUMNS + importing.OPTIONAL_COLUMNS] + [
        "Spend 2010/11",
        "Spend 2011/12",
    ]
    example = [
        "KCC-EIP-001",
        "Medway Valley Young Carers",
        "Early help for young carers",
        "Early Intervention & Prevention",
        "Maidstone; Swale",
        "Face-to-face; Outreach",
        "85000",
        "01/04/2009",
        "31/03/2012",
        "1098765",
        "",
        "contracts@example.org",
        "",
        "",
        "",
        "85000",
        "90000",
    ]
    return Response(
        exports.to_csv(header, [example]),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=agreements-template.csv"},
    )


def _agreement(agreement_id: int) -> Agreement:
    agreement = get_session().get(
        Agreement,
        agreement_id,
        options=[selectinload(Agreement.extensions), selectinload(Agreement.spend), selectinload(Agreement.districts)],
    )
    if agreement is None:
        abort(404)
    return agreement


@bp.route("/agreements/<int:agreement_id>")
@roles(*REGISTER_ROLES)
def show(agreement_id):
    agreement = _agreement(agreement_id)
    notices = (
        get_session()
        .scalars(
            select(EndingNotice).where(EndingNotice.agreement_id == agreement.id).order_by(EndingNotice.sent_at.desc())
        )
        .all()
    )
    today = clock.today()
    return render_template(
        "agreements/show.html",
        agreement=agreement,
        notices=notices,
        status=services.status_of(agreement, today),
        today=today,
        year_label=financial_year_label,
    )


@bp.route("/agreements/<int:agreement_id>/extend", methods=["GET", "POST"])
@roles(*REGISTER_ROLES)
def extend(agreement_id):
    agreement = _agreement(agreement_id)
    form = ExtensionForm()
    return handle_form(
        form,
        lambda: services.extend(
            get_session(),
            current_user,
            agreement,
            form.new_end_date.data,
            form.reason.data,
            form.agreed_by.data,
            clock.today(),
        ),
        template="agreements/extend.html",
        redirect_to=url_for("agreements.show", agreement_id=agreement.id),
        success=lambda extension: (
            f"Extension recorded. {agreement.reference} now ends on {format_date(extension.new_end_date)}."
        ),
        context={"agreement": agreement},
    )


@bp.route("/agreements/notices", methods=["GET", "POST"])
@roles(*REGISTER_ROLES)
def notice_schedule():
    session = get_session()
    form = ScheduleForm()
    if request.method == "GET":
        form.months.data, form.notify_on_extension.data = services.schedule(session)
    return handle_form(
        form,
        lambda: services.set_schedule(session, current_user, form.months.data, bool(form.notify_on_extension.data)),
        template="agreements/notices.html",
        redirect_to=url_for("agreements.notice_schedule"),
        success="The notice schedule has been saved.",
        context=lambda: {"due_count": len(services.due_notices(session, clock.today())), "send_form": ConfirmForm()},
    )


@bp.route("/agreements/notices/send-due", methods=["POST"])
@roles(*REGISTER_ROLES)
def send_due():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    # Written in this request's one transaction; the worker sends the emails.
    result = services.issue_due_notices(get_session(), clock.today())
    flash(f"{result.sent} notice{'s' if result.sent != 1 else ''} sent.", "success")
    return redirect(url_for("agreements.notice_schedule"))


def _sent_to(notices) -> str:
    providers = len({notice.organisation_id for notice in notices})
    return f"Notice sent to {providers} provider{'s' if providers != 1 else ''}."


@bp.route("/agreements/notices/new", methods=["GET", "POST"])
@roles(*REGISTER_ROLES)
def manual_notice():
    session = get_session()
    today = clock.today()
    f = _filter_from_args()
    form = ManualNoticeForm()
    return handle_form(
        form,
        lambda: services.send_manual_notice(
            session, current_user, queries.matching_agreements(session, f, today), form.subject.data, form.body.data
        ),
        template="agreements/manual_notice.html",
        redirect_to=url_for("agreements.register", **request.args),
        success=_sent_to,
        context=lambda: {"audience": queries.notice_audience(session, f, today), "query_args": request.args.to_dict()},
    )


@bp.route("/agreements/dashboard")
@roles(*REGISTER_ROLES)
def dashboard():
    session = get_session()
    today = clock.today()
    # Without a page number, the page of waves holding the first wave still to end. Which
    # incumbents bid, and who was awarded, the queries ask of the bids and awards domains.
    number = page_number(request.args["page"]) if "page" in request.args else None
    data = queries.dashboard(session, today, page=number)
    here = url_for("agreements.dashboard")
    return render_template(
        "agreements/dashboard.html",
        data=data,
        wave_rows=dashboard_page.wave_rows(
            data.waves, url_for("agreements.incumbents"), url_for("agreements.register")
        ),
        month_rows=dashboard_page.month_rows(data),
        unreached_rows=dashboard_page.unreached_rows(data),
        page=data.wave_page,
        page_url=lambda n: f"{here}?page={n}",
    )


INCUMBENTS_PAGE_SIZE = 50


def _incumbent_list(number: int | None = None):
    """The dashboard list the query string asks for: (wave, list key, rows, page, errors);
    with a page ``number``, that page of the list (paged in the database), else all of it.
    A wave that is not a date, or a list that does not exist, is an error to show, not a 500."""
    errors = {}
    wave = None
    if request.args.get("wave"):
        try:
            wave = date.fromisoformat(request.args["wave"][:10])
        except ValueError:
            errors["wave"] = "Enter the wave as a date, for example 2027-03-31"
    show = request.args.get("show") or "all"
    if show not in queries.INCUMBENT_LISTS:
        errors["show"] = "Select which incumbents to show"
        show = "all"
    if errors:
        return wave, show, [], Page(1, INCUMBENTS_PAGE_SIZE, 0), errors
    rows, page = queries.incumbent_list(get_session(), wave, clock.today(), show, number, INCUMBENTS_PAGE_SIZE)
    return wave, show, rows, page, errors


@bp.route("/agreements/dashboard/incumbents")
@roles(*REGISTER_ROLES)
def incumbents():
    wave, show, rows, page, errors = _incumbent_list(page_number(request.args.get("page")))
    query_args = {key: value for key, value in request.args.items() if key in ("wave", "show")}
    return render_template(
        "agreements/dashboard_incumbents.html",
        wave=wave,
        show=show,
        lists=queries.INCUMBENT_LISTS,
        rows=rows,
        page=page,
        page_url=lambda number: url_for("agreements.incumbents", **query_args, page=number),
        query_args=query_args,
        errors=errors,
        today=clock.today(),
    ), (400 if errors else 200)


@bp.route("/agreements/dashboard/incumbents.csv")
@roles(*REGISTER_ROLES)
def incumbents_csv():
    wave, show, rows, _page, errors = _incumbent_list()
    if errors:
        return incumbents()  # the page, with what is wrong with the link, and status 400
    header = [
        "Provider",
        "Contact email",
        "Agreements",
        "Ending on",
        "Registered",
        "Last notice sent",
        "Read a notice",
        "Bid",
        "Outcome",
    ]
    bids = {"started": "Started", "submitted": "Submitted", None: "No"}
    body = [
        [
            row.name,
            row.contact_email or "",
            row.references,
            row.end_date,
            "Yes" if row.registered else "No",
            london_today(row.last_sent) if row.last_sent else "",
            "Yes" if row.read else "No",
            bids.get(row.bid, ""),
            {True: "Awarded", False: "Not awarded", None: ""}[row.outcome],
        ]
        for row in rows
    ]
    name = f"incumbents-{wave.isoformat() if wave else 'upcoming'}-{show}.csv"
    return Response(
        exports.to_csv(header, body),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


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
            ending = queries.ending_between(session, period.start.data, period.end.data)
        else:
            status = 400
    return render_template(
        "agreements/reports.html",
        years=years,
        categories=categories,
        spend=spend,
        year_label=financial_year_label,
        form=period,
        ending=ending,
    ), status


@bp.route("/agreements/categories", methods=["GET", "POST"])
@roles(*REGISTER_ROLES)
def categories():
    session = get_session()
    form = CategoryForm()
    return handle_form(
        form,
        lambda: services.add_category(session, current_user, form.name.data),
        template="agreements/categories.html",
        redirect_to=url_for("agreements.categories"),
        success=lambda category: f"Category \u201c{category.name}\u201d added.",
        context=lambda: {"existing": session.scalars(select(ServiceCategory).order_by(ServiceCategory.name)).all()},
    )


# --- Providers ---------------------------------------------------------------


@bp.route("/notices/<int:notice_id>")
@roles(Role.PROVIDER)
def notice(notice_id):
    session = get_session()
    found = session.get(EndingNotice, notice_id)
    if found is None or not can_read_notice(current_user, found):
        abort(404)
    now = clock.now()
    if services.mark_read(session, current_user, found, now):
        # The documented exception to "a GET never writes": the read receipt is the council's proof.
        allow_write_on_get()
    # The replacement opportunity, and whether this organisation has begun its bid, are the
    # tenders and bids domains' to tell (they stand above this one): None while none is published.
    replacement = (
        ask(
            replacement_requested,
            found.agreement,
            session=session,
            organisation_id=current_user.organisation_id,
            now=now,
        )
        if found.agreement is not None
        else None
    )
    return render_template(
        "agreements/notice.html",
        notice=found,
        replacement=replacement,
        has_ended=found.agreement is not None and found.agreement.end_date < clock.today(),
        start_form=ConfirmForm(),
    )
