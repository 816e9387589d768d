"""Strict undefined variables in the portal's own templates.

GOV.UK Frontend's Jinja port tests many optional parameters by leaving them
undefined, so Jinja's StrictUndefined cannot apply to it. This Undefined fails
loudly only when the template that used the missing name is one of ours (under
``templates/``), which is where a typo would otherwise print nothing.
"""

from __future__ import annotations

import sys

from jinja2 import Undefined

from portal.config import PROJECT_ROOT

OWN_TEMPLATES = str(PROJECT_ROOT / "templates")


def _used_in_own_template() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            return bool(template.filename and template.filename.startswith(OWN_TEMPLATES))
        frame = frame.f_back
    return False


class OwnTemplatesStrictUndefined(Undefined):
    __slots__ = ()

    def _strict(self):
        if _used_in_own_template():
            self._fail_with_undefined_error()

    def __str__(self):
        self._strict()
        return ""

    def __bool__(self):
        self._strict()
        return False

    def __iter__(self):
        self._strict()
        return iter(())

    def __len__(self):
        self._strict()
        return 0

    def __eq__(self, other):
        self._strict()
        return type(self) is type(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return id(type(self))


# The GOV.UK components and the portal's form macros every page may call without importing
# them (the layout used to import them for its pages). Held as globals, each template module
# is made once per process, where an import in the layout was run again on every page.
LAYOUT_MACROS = {
    "govuk_frontend_jinja/components/back-link/macro.html": ["govukBackLink"],
    "govuk_frontend_jinja/components/button/macro.html": ["govukButton"],
    "govuk_frontend_jinja/components/error-summary/macro.html": ["govukErrorSummary"],
    "govuk_frontend_jinja/components/inset-text/macro.html": ["govukInsetText"],
    "govuk_frontend_jinja/components/notification-banner/macro.html": ["govukNotificationBanner"],
    "govuk_frontend_jinja/components/panel/macro.html": ["govukPanel"],
    "govuk_frontend_jinja/components/summary-list/macro.html": ["govukSummaryList"],
    "govuk_frontend_jinja/components/table/macro.html": ["govukTable"],
    "govuk_frontend_jinja/components/tag/macro.html": ["govukTag"],
    "govuk_frontend_jinja/components/warning-text/macro.html": ["govukWarningText"],
    "macros/forms.html": ["form_errors", "csrf_field"],
}


def install_layout_globals(app) -> None:
    """Make the layout's macros Jinja globals (see ``LAYOUT_MACROS``)."""
    for template_name, names in LAYOUT_MACROS.items():
        module = app.jinja_env.get_template(template_name).module
        for name in names:
            app.jinja_env.globals[name] = getattr(module, name)
