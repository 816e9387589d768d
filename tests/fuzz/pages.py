"""The forms a page shows, read from its HTML as a browser would submit them.

Every ``<form>`` with its method, action and encoding, and its fields in order:
text-like inputs, hidden inputs, selects, textareas, checkboxes and radios
(with the values a person could choose), file inputs, named submit buttons,
and GOV.UK date inputs (the day, month and year boxes share one name; or are
named ``<name>-day``, ``<name>-month`` and ``<name>-year``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

TEXT, CHOICE, FILE, DATE = "text", "choice", "file", "date"
DATE_PARTS = ("day", "month", "year")


@dataclass
class Field:
    name: str
    kind: str  # TEXT, CHOICE, FILE or DATE
    values: list[str] = field(default_factory=list)  # what the form would send as it is
    options: list[str] = field(default_factory=list)  # CHOICE: the values offered; DATE: the boxes' own names

    def pairs(self, values: list[str]) -> list[tuple[str, str]]:
        """``values`` as the form would send them under this field's name (or its date boxes' names)."""
        if self.kind == DATE and self.options:
            return list(zip(self.options, values, strict=False))
        return [(self.name, value) for value in values]


@dataclass
class Form:
    method: str  # "GET" or "POST"
    action: str  # a path, with its query string if any
    multipart: bool
    fields: dict[str, Field] = field(default_factory=dict)

    def pairs(self) -> list[tuple[str, str]]:
        """The body the form sends unchanged (files left out)."""
        return [pair for f in self.fields.values() if f.kind != FILE for pair in f.pairs(f.values)]


class _FormParser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: str | None = None
        self._option_selected = False
        self._in_option = False
        self._option_text = ""
        self._textarea: Field | None = None
        self._submitted: set[str] = set()  # named buttons already given their first value

    def _add(self, name: str, kind: str) -> Field:
        existing = self._form.fields.get(name)
        if existing is None:
            existing = self._form.fields[name] = Field(name, kind)
        return existing

    def handle_starttag(self, tag, attrs):
        attrs = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            action = urljoin(self.page_url, attrs.get("action") or self.page_url)
            parts = urlsplit(action)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            self._form = Form(attrs.get("method", "get").upper(), path, "multipart" in attrs.get("enctype", ""))
            self.forms.append(self._form)
            return
        if self._form is None or not attrs.get("name") or "disabled" in attrs:
            if tag == "option" and self._select is not None:
                self._start_option(attrs)
            return
        name, kind = attrs["name"], attrs.get("type", "text").lower()
        if tag == "input":
            self._input(name, kind, attrs)
        elif tag == "button" and kind == "submit" and name not in self._submitted:
            self._submitted.add(name)
            self._add(name, CHOICE).values.append(attrs.get("value", ""))
        elif tag == "select":
            self._select = self._add(name, CHOICE)
        elif tag == "textarea":
            self._textarea = self._add(name, TEXT)
            self._textarea.values.append("")
        elif tag == "option" and self._select is not None:
            self._start_option(attrs)

    def _input(self, name, kind, attrs):
        value = attrs.get("value", "")
        if kind in ("submit", "image", "reset", "button"):
            if name not in self._submitted:
                self._submitted.add(name)
                self._add(name, CHOICE).values.append(value)
        elif kind == "file":
            self._add(name, FILE)
        elif kind in ("checkbox", "radio"):
            choice = self._add(name, CHOICE)
            choice.options.append(value or "on")
            if "checked" in attrs:
                choice.values.append(value or "on")
        elif "govuk-date-input__input" in attrs.get("class", ""):
            base, _, part = name.rpartition("-")
            if part in DATE_PARTS and base:  # <name>-day, -month, -year: one field per box, fuzzed together
                date = self._add(base, DATE)
                date.options.append(name)
            else:
                date = self._add(name, DATE)
            date.values.append(value)
        else:
            self._add(name, TEXT).values.append(value)

    def _start_option(self, attrs):
        self._in_option = True
        self._option = attrs.get("value")
        self._option_selected = "selected" in attrs
        self._option_text = ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.values[-1] += data
        elif self._in_option:
            self._option_text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form, self._submitted = None, set()
        elif tag == "textarea":
            self._textarea = None
        elif tag == "option" and self._in_option and self._select is not None:
            value = self._option if self._option is not None else self._option_text.strip()
            self._select.options.append(value)
            if self._option_selected:
                self._select.values.append(value)
            self._in_option = False
        elif tag == "select" and self._select is not None:
            if not self._select.values and self._select.options:
                self._select.values.append(self._select.options[0])
            self._select = None


def forms_on(html: str, page_url: str) -> list[Form]:
    """The forms of ``html`` (served at ``page_url``), their actions as paths on this site."""
    parser = _FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms
