"""The commissioning and tendering portal. ``create_app`` is the only way an app is made."""

from __future__ import annotations

import logging

from flask import Flask
from flask_wtf.csrf import CSRFError
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.arrival import ArrivalStamp
from portal.config import PROJECT_ROOT, load_config
from portal.security import csrf

__all__ = ["create_app", "csrf"]


def create_app(config: dict | None = None) -> Flask:
    settings = load_config(config)
    app = Flask(
        __name__,
        static_folder=str(PROJECT_ROOT / "static"),
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=settings["INSTANCE_PATH"],
    )
    app.config.update(settings)
    logging.basicConfig(level=logging.INFO)

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    _init_templates(app)

    import portal.models
    from portal import auth, db, errors, input_guard, security, templating
    from portal.accounts import throttle
    from portal.accounts.passwords import configure_hashing

    configure_hashing(app.config["PASSWORD_HASH_TIME_COST"], app.config["PASSWORD_HASH_MEMORY_KIB"])

    input_guard.init_app(app)
    db.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    throttle.init_app(app)
    csrf.init_app(app)
    app.jinja_env.globals["csrf_token"] = security.csrf_token  # in place of Flask-WTF's: signed once
    auth.login_manager.init_app(app)
    app.session_interface = auth.SessionCookie()
    app.before_request(auth.enforce_audience)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        from flask import render_template

        return render_template(
            "errors/page.html", title="There is a problem with your request", description=None, csrf_failed=True
        ), 400

    from portal.accounts.staff_views import bp as staff_bp
    from portal.accounts.views import bp as accounts_bp
    from portal.agreements.views import bp as agreements_bp
    from portal.awards.views import bidder_bp as award_outcome_bp
    from portal.awards.views import officer_bp as award_admin_bp
    from portal.bids.officer_views import bp as bid_admin_bp
    from portal.bids.views import bp as bids_bp
    from portal.decisions.views import bp as decisions_bp
    from portal.evaluation.views import evaluator_bp, officer_bp
    from portal.pages.views import bp as pages_bp
    from portal.providers.evidence_views import bp as evidence_bp
    from portal.providers.views import bp as providers_bp
    from portal.tenders.officer import bp as tender_admin_bp
    from portal.tenders.public_views import bp as tenders_bp
    from portal.transparency.views.audit import heads_bp as audit_heads_bp
    from portal.transparency.views.audit import officer_bp as audit_admin_bp
    from portal.transparency.views.feeds import bp as feeds_bp
    from portal.transparency.views.open_data import bp as open_data_bp
    from portal.transparency.views.register import bp as contracts_bp

    for blueprint in (
        pages_bp,
        accounts_bp,
        providers_bp,
        staff_bp,
        agreements_bp,
        tenders_bp,
        tender_admin_bp,
        decisions_bp,
        bids_bp,
        bid_admin_bp,
        evidence_bp,
        evaluator_bp,
        officer_bp,
        award_admin_bp,
        award_outcome_bp,
        contracts_bp,
        feeds_bp,
        open_data_bp,
        audit_heads_bp,
        audit_admin_bp,
    ):
        app.register_blueprint(blueprint)

    # Higher domains answer lower domains' questions through signals (portal/signals.py).
    import portal.awards.outcomes
    import portal.awards.receivers
    import portal.bids.receivers
    import portal.tenders.receivers
    import portal.transparency.receivers  # noqa: F401
    from portal.cli import register_commands

    register_commands(app)
    auth.check_every_route_declares_audience(app)
    db.wrap_views_in_unit_of_work(app)
    # Last: a template module keeps the globals there were when it was made (csrf_token...).
    templating.install_layout_globals(app)
    # Outermost, so the moment a request is stamped with is as early as the app can know
    # (bids are judged by their arrival: portal/arrival.py).
    app.wsgi_app = ArrivalStamp(app.wsgi_app)
    return app


def _init_templates(app: Flask) -> None:
    from govuk_frontend_wtf.main import WTFormsHelpers

    from portal import filters, navigation, security

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    if app.config.get("TESTING"):
        from portal.templating import OwnTemplatesStrictUndefined

        app.jinja_env.undefined = OwnTemplatesStrictUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    from portal.forms import error_summary_items

    app.add_template_global(error_summary_items)
    filters.register(app)

    # What every page's layout shows, computed when a template asks for it: emails render
    # templates too, and they have no menu.
    app.add_template_global(navigation.items_for_current_user, "navigation_items")
    app.add_template_global(navigation.fixed_url)

    @app.context_processor
    def _globals():
        return {
            "council_name": app.config["COUNCIL_NAME"],
            "service_name": app.config["SERVICE_NAME"],
            "csp_nonce": security.csp_nonce(),
            "mail_outbox": app.config["MAIL_OUTBOX_PATH"] if app.config["MAIL_BACKEND"] == "outbox" else None,
        }
