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
