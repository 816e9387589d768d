"""Bad input never gives a 500, and a refused request leaves no partial record (issue 9).

For every route in ``app.url_map`` (the access matrix's rows give each one its URL
and valid data), as each persona, the campaign:

- GETs each page and reads its forms (tests/fuzz/pages.py), then for every field of
  every form the page shows sends each bad value of tests/fuzz/inputs.py in that
  field, the others left valid (the matrix's data where it has some): NUL, 1 MB,
  25 digits, negative numbers, 31 February (in date inputs and as text), RTL and
  combining unicode, the field twice, bad files; then the whole form without its
  CSRF token, as JSON, as text/plain, multipart where urlencoded is expected (and
  the reverse), invalid UTF-8, and NUL in the query string. A form the persona is
  refused at the door gets each bad value in every field at once instead.
- Mutates the query string of every page (``page``) and of every GET form's fields.
- Puts 0, -1, 2**31, 2**63, 10**25, NUL and a non-number in every id in the URL, and
  bad text in every other URL argument.

Every answer must be below 500; an answer of 400 or more must leave every table as it
was (count and hash of its rows). An accepted request may change the world: the world
is restored and the persona signed in again before the next request (and before every
route), so no route's damage reaches another. The test is parametrised per route group
and persona, for pytest-xdist, and each failure lists every finding with its request.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import time
import traceback
from collections import Counter
from urllib.parse import urlencode, urlsplit

import pytest
from flask.testing import EnvironBuilder
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from tests import test_access_matrix as matrix
from tests.fuzz import inputs
from tests.fuzz.pages import DATE, FILE, TEXT, Field, Form, forms_on
from tests.support import csrf_token_for, fingerprint, sign_in_through_session
from tests.test_access_matrix import MATRIX, PERSONAS, Row, Upload, fill, url_for_row

# In `make test` on both databases (CI); `make fuzz` runs it alone (pytest -m fuzz).
pytestmark = pytest.mark.fuzz

world = matrix.world  # the access matrix's fixture: the same world, shared with it in each test process

# A route's group is the first of these its rule starts with (the rest: accounts and the site's pages).
GROUPS = {
    "/tenders/<int:tender_id>/questionnaire": "tender-questionnaire",
    "/tenders/<int:tender_id>/bids": "tender-bids",
    "/tenders/<int:tender_id>/evaluation-method": "tenders",  # a tender page, before the next
    "/tenders/<int:tender_id>/evaluation": "tender-evaluation",
    "/tenders/<int:tender_id>/award": "tender-award",
    "/tenders": "tenders",
    "/evaluation": "evaluation",
    "/opportunities": "opportunities",
    "/alerts": "opportunities",
    "/bids/<int:bid_id>/outcome": "award-outcome",
    "/bids": "bids",
    "/decisions": "decisions",
    "/contracts": "transparency",
    "/open-data": "transparency",
    "/ocds": "transparency",
    "/audit-trail": "transparency",
    "/agreements": "agreements",
    "/notices": "agreements",
    "/admin": "admin",
    "/organisation": "organisation",
}
GROUP_NAMES = sorted({*GROUPS.values(), "accounts"})
CSRF = object()  # in a body: the session's CSRF token, as it stands when the request is sent
TOTAL = Counter()


def group_of(rule: str) -> str:
    return next((group for prefix, group in GROUPS.items() if rule.startswith(prefix)), "accounts")


@dataclasses.dataclass
class Finding:
    method: str
    url: str
    persona: str
    what: str
    status: int | str
    detail: str = ""

    def __str__(self):
        url = self.url if len(self.url) < 160 else self.url[:150] + "…"
        return f"{self.method} {url} as {self.persona}: {self.what} -> {self.status} {self.detail}".rstrip()


def summary(error: BaseException) -> str:
    """The exception and the portal's frames it passed through, innermost last."""
    frames = [
        f"{frame.filename.split('/work/main/')[-1]}:{frame.lineno} {frame.name}"
        for frame in traceback.extract_tb(error.__traceback__)
        if "/portal/" in frame.filename
    ]
    return f"{type(error).__name__}: {str(error)[:300]} [{' < '.join(reversed(frames[-4:]))}]"


class Campaign:
    def __init__(self, app, persona: str, objects: dict, shared_worlds, group: str):
        self.app, self.persona, self.world, self.group = app, persona, objects, group
        self.shared_worlds, self.world_name = shared_worlds, shared_worlds.held
        self.engine = app.extensions["db_engine"]
        self.adapter = app.url_map.bind("localhost")
        self.findings: list[Finding] = []
        self.requests = self.restores = 0
        self.fuzzed: set[tuple[str, str]] = set()  # (method, path) already fuzzed in this test
        self.valid = {
            (row.method, urlsplit(url_for_row(row, objects)).path): row.data for row in MATRIX if row.data
        }  # the matrix's valid data, by the URL it is sent to
        self.client = self.token = self.state = None
        self.dirty = True
        self.timing = Counter()

    # --- sending, and checking every answer ---------------------------------------------------------

    def reset(self) -> None:
        """The world as built, a fresh client signed in as the persona, a CSRF token."""
        started = time.monotonic()
        self.shared_worlds.use(self.world_name, lambda: pytest.fail("the world was never built"))
        self.restores += 1
        self.app.extensions["throttle"].storage.reset()
        self.client = self.app.test_client()
        if self.persona != "anonymous":
            sign_in_through_session(self.client, self.world[self.persona])
        self.token = csrf_token_for(self.client)
        self.state = fingerprint(self.engine)
        self.dirty = False
        self.timing.update(reset=time.monotonic() - started)

    def send(self, method: str, url: str, what: str, pairs=None, files=(), **kwargs):
        if self.dirty:
            self.reset()
        self.requests += 1
        if pairs is not None:
            body = MultiDict([(name, self.token if value is CSRF else value) for name, value in pairs])
            for name, upload in files:
                body.add(name, upload)
            kwargs["data"] = body
        response = None
        sent = time.monotonic()
        builder = EnvironBuilder(self.app, path=url, method=method, **kwargs)
        request = builder.get_request()
        builder.close()
        try:
            response = self.client.open(request)
            response.get_data()  # kept before the response is closed
            response.close()
            status = response.status_code
            if status >= 500:
                self.findings.append(Finding(method, url, self.persona, what, status, "(a 5xx page)"))
        except Exception as error:  # an unexpected error is what is looked for
            status = 500
            self.findings.append(Finding(method, url, self.persona, what, "exception", summary(error)))
        finally:
            request.environ["wsgi.input"].close()  # a large body is a temporary file
        checked = time.monotonic()
        after = fingerprint(self.engine)
        self.timing.update(request=checked - sent, fingerprint=time.monotonic() - checked)
        if status >= 400 and after != self.state:
            changed = sorted(table for table in after if after[table] != self.state[table])
            self.findings.append(Finding(method, url, self.persona, what, status, f"partial record in {changed}"))
        signed_out = (
            response is not None
            and self.persona != "anonymous"
            and urlsplit(response.headers.get("Location", "")).path == "/sign-in"
        )
        # An accepted change stays (restoring after each would cost more than the campaign): each route
        # starts from the world as built, and a persona signed out (or whose password changed) signs in again.
        self.dirty = signed_out
        self.state = after
        return response

    # --- the campaign ---------------------------------------------------------------------------------

    def rows(self) -> list[Row]:
        rows = [row for row in MATRIX if group_of(row.rule) == self.group]
        covered = {(row.method, row.rule) for row in MATRIX}
        for rule in self.app.url_map.iter_rules():  # a route the matrix does not know yet: plain arguments
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if (
                    rule.endpoint != "static"
                    and (method, rule.rule) not in covered
                    and group_of(rule.rule) == self.group
                ):
                    args = {
                        name: "1" if isinstance(conv, self.app.url_map.converters["int"]) else "x"
                        for name, conv in rule._converters.items()
                    }
                    rows.append(Row(method, rule.rule, (), args))
        return rows

    def run(self) -> None:
        for row in self.rows():
            self.dirty = True  # every route starts from the world as built
            url = url_for_row(row, self.world)
            if row.method == "GET":
                self.fuzz_page(url)
            elif ("POST", urlsplit(url).path) not in self.fuzzed:  # a form no page showed this persona
                self.fuzz_form(Form("POST", url, any(isinstance(v, Upload) for v in row.data.values())))
            self.fuzz_url(row)

    def fuzz_page(self, url: str) -> None:
        page = self.send("GET", url, "the page")
        shown = page is not None and page.status_code == 200 and page.mimetype == "text/html"
        self.send("GET", url + ("&" if "?" in url else "?") + "q=%00", "NUL in the query string")
        if not shown:
            return
        for kind in ("NUL", "25 digits", "negative number", "RTL override and Arabic", "duplicate"):
            value = ["1", "2"] if kind == "duplicate" else inputs.VALUES[kind]
            self.send("GET", url, f"page = {kind}", query_string=[("page", v) for v in _listed(value)])
        for form in forms_on(page.get_data(as_text=True), url):
            path = urlsplit(form.action).path
            try:
                rule, _ = self.adapter.match(path, method=form.method, return_rule=True)
            except HTTPException:  # a form posting off the site or to nothing: not this campaign's
                continue
            if group_of(rule.rule) != self.group or (form.method, path) in self.fuzzed:
                continue
            self.dirty = True
            if form.method == "GET":
                self.fuzz_query(form)
            else:
                self.fuzz_form(form)

    def fuzz_query(self, form: Form) -> None:
        self.fuzzed.add(("GET", urlsplit(form.action).path))
        for name, field in form.fields.items():
            if field.kind == FILE:
                continue
            for kind, values in _bad_values(field, inputs.QUERY_VALUES):
                pairs = [
                    pair
                    for other in form.fields.values()
                    if other.kind != FILE
                    for pair in other.pairs(values if other is field else other.values)
                ]
                self.send("GET", form.action, f"query {name} = {kind}", query_string=pairs)

    def fuzz_form(self, form: Form) -> None:
        """Each bad value in each field, the others valid; then the whole form sent wrongly."""
        path = urlsplit(form.action).path
        self.fuzzed.add(("POST", path))
        fields = dict(form.fields)
        fields["csrf_token"] = Field("csrf_token", TEXT, [CSRF])
        for name, value in self.valid.get(("POST", path), {}).items():  # the matrix's valid data wins
            name = fill(name, self.world)
            if isinstance(value, Upload):
                fields[name] = Field(name, FILE, [value])
            else:
                kind = fields[name].kind if name in fields else TEXT
                options = fields[name].options if name in fields and kind == DATE else []
                fields[name] = Field(name, kind, _listed(fill(value, self.world)), options)
        multipart = form.multipart or any(field.kind == FILE for field in fields.values())

        def body(changed: dict[str, list]):
            pairs, files = [], []
            for field in fields.values():
                values = changed.get(field.name, field.values)
                if field.kind == FILE:
                    upload = values[0] if values else Upload("fuzz.pdf")
                    files.append(
                        (
                            field.name,
                            (io.BytesIO(upload.content), upload.filename) if isinstance(upload, Upload) else upload,
                        )
                    )
                else:
                    pairs.extend(field.pairs(values))
            return pairs, files

        def post(what, changed=None, **kwargs):
            pairs, files = body(changed or {})
            if multipart and "content_type" not in kwargs:
                kwargs["content_type"] = "multipart/form-data"
            return self.send("POST", form.action, what, pairs, files, **kwargs)

        door = post("the form as it is")
        refused = door is not None and (
            door.status_code in (401, 403, 404, 405)
            or (door.status_code == 302 and urlsplit(door.headers["Location"]).path == "/sign-in")
        )
        if refused:  # the fields are never read: each bad value everywhere at once
            for kind, value in [*inputs.VALUES.items(), *inputs.files().items()]:
                post(
                    f"every field = {kind}",
                    {name: _bad_for(field, value) for name, field in fields.items() if name != "csrf_token"},
                )
        else:
            # 1 MB is over the form size limit: the body is refused before any field is read, once is enough.
            first = next(
                (name for name, field in fields.items() if field.kind == TEXT and name != "csrf_token"), "csrf_token"
            )
            post(f"{first} = 1 MB", {first: [inputs.MEGABYTE]})
            per_field = {kind: value for kind, value in inputs.VALUES.items() if kind != "1 MB"}
            for name, field in fields.items():
                for kind, values in _bad_values(field, per_field):
                    post(f"{name} = {kind}", {name: values})
        self.send_wrongly(form.action, lambda: body({}), multipart)

    def send_wrongly(self, action: str, body, multipart: bool) -> None:
        """The form's body without its token, in the wrong encoding, or not a form at all."""
        pairs, _ = body()
        token = [(name, self.token if value is CSRF else value) for name, value in pairs]
        plain = [(name, value) for name, value in token if isinstance(value, str)]
        self.send(
            "POST",
            action,
            "no CSRF token",
            [p for p in pairs if p[0] != "csrf_token"],
            body()[1],
            **({"content_type": "multipart/form-data"} if multipart else {}),
        )
        self.send("POST", action, "a JSON body", json=dict(plain))
        self.send("POST", action, "a text/plain body", data=urlencode(plain), content_type="text/plain")
        self.send(
            "POST",
            action,
            "invalid UTF-8",
            data=urlencode(plain).encode() + b"&x=%FF%FE%C3",
            content_type="application/x-www-form-urlencoded",
        )
        self.send(
            "POST",
            action,
            "a Latin-1 body",
            data=urlencode(plain, encoding="latin-1", errors="replace") + "&x=%E9",
            content_type="application/x-www-form-urlencoded; charset=latin-1",
        )
        self.send("POST", action, "NUL in the query string", *body(), query_string="x=%00")
        if multipart:
            self.send("POST", action, "urlencoded where multipart is expected", pairs)
        else:
            self.send(
                "POST", action, "multipart where urlencoded is expected", pairs, content_type="multipart/form-data"
            )
        self.send("POST", action, "no body at all")

    def fuzz_url(self, row: Row) -> None:
        """Bad ids, and bad text, in each argument of the URL."""
        data = [(fill(k, self.world), v if isinstance(v, Upload) else fill(v, self.world)) for k, v in row.data.items()]
        pairs = [("csrf_token", CSRF)] + [(k, v) for k, v in data if not isinstance(v, Upload) for v in _listed(v)]
        files = [(k, v) for k, v in data if isinstance(v, Upload)]
        for converter, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", row.rule):
            bad = inputs.IDS if converter == "int" else inputs.SEGMENTS
            for kind, value in bad.items():
                url = url_for_row(dataclasses.replace(row, args={**row.args, name: value}), self.world)
                self.send(
                    row.method,
                    url,
                    f"<{name}> = {kind}",
                    *(
                        (pairs, [(k, (io.BytesIO(v.content), v.filename)) for k, v in files])
                        if row.method == "POST"
                        else ()
                    ),
                )


def _listed(value) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def _bad_values(field: Field, values: dict = inputs.VALUES):
    """(kind, the values to send under the field's name) for one field."""
    if field.kind == FILE:
        yield from inputs.files().items()
        return
    if field.kind == DATE:
        yield from inputs.DATES.items()
        yield "RTL text in the day", [inputs.VALUES["RTL override and Arabic"], *field.values[1:3]]
        yield "duplicate", [*field.values[:3], "1", "2", "2027"]
        return
    for kind, value in values.items():
        yield kind, [value]
    first = next((v for v in field.values if v is not CSRF), "1") or "1"
    yield "duplicate", [CSRF if field.name == "csrf_token" else first, first + "2"]


def _bad_for(field: Field, value):
    if field.kind == FILE:
        return [value]
    if isinstance(value, tuple):  # a file's value in a text field: its name
        value = value[1]
    return [value] * (3 if field.kind == DATE else 1)


@pytest.fixture(scope="module", autouse=True)
def _campaign_total():
    yield
    print(
        f"\nfuzz campaign: {TOTAL['requests']} requests, {TOTAL['findings']} findings "
        f"in {TOTAL['seconds']:.1f}s (this process)"
    )


# In `make test` (and so CI, twice) the second provider is left out: it has the first's role and every
# form the first has, and who may see whose objects is the access matrix's to prove. `make fuzz` sets
# FUZZ_ALL and sends every persona.
FUZZED = PERSONAS if os.environ.get("FUZZ_ALL") else tuple(p for p in PERSONAS if p != "provider_b")
CASES = [pytest.param(group, persona, id=f"{group}-{persona}") for group in GROUP_NAMES for persona in FUZZED]


@pytest.mark.parametrize(("group", "persona"), CASES)
def test_bad_input_never_gives_a_server_error(group, persona, app, world, shared_worlds, monkeypatch, record_property):
    monkeypatch.setitem(app.config, "PROPAGATE_UNEXPECTED", True)  # the exception itself, not the 500 page
    campaign = Campaign(app, persona, world, shared_worlds, group)
    started = time.monotonic()
    campaign.run()
    seconds = time.monotonic() - started
    TOTAL.update(requests=campaign.requests, findings=len(campaign.findings), seconds=seconds)
    message = (
        f"{group} as {persona}: {campaign.requests} requests, {campaign.restores} restores, {seconds:.1f}s "
        f"({', '.join(f'{k} {v:.1f}s' for k, v in campaign.timing.items())})"
    )
    print(message)
    record_property("requests", campaign.requests)  # under xdist the prints are not shown: --junitxml keeps this
    assert campaign.requests > 0
    assert not campaign.findings, "\n".join(
        [f"{message}: {len(campaign.findings)} findings", *map(str, campaign.findings)]
    )
