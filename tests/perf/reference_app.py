"""The bare reference page that ``bench_pages`` measures each portal page against.

A plain Flask + Jinja app with none of the portal's parts (no sessions, no ORM,
no forms, no security headers): one page that runs the same number of SQL
queries as the portal page it stands for, on the same database, and answers
with the same number of bytes. ``/page?queries=N&bytes=B``:

* the first query is an indexed range select of 50 rows (a list page's table),
  the other ``N - 1`` are primary-key lookups of one row each (the signed-in
  user, the tender, the counts...);
* the rows are rendered as a table in a template that extends a layout, as the
  portal's pages do, and padded with paragraphs to ``B`` bytes.

Served by gunicorn as ``tests.perf.reference_app:app`` with
``REFERENCE_DATABASE_URL`` naming a database in which
:func:`create_reference_rows` has made the table.
"""

from __future__ import annotations

import os

from flask import Flask, request
from jinja2 import DictLoader, Environment, select_autoescape
from sqlalchemy import create_engine, text

TABLE = "bench_reference_row"
ROWS = 1000

TEMPLATES = {
    "layout.html": (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{{ title }}</title>"
        "<link rel='stylesheet' href='/static/app.css'></head><body><header><a href='/'>Portal</a></header>"
        "<main>{% block content %}{% endblock %}</main><footer>Footer</footer></body></html>"
    ),
    "page.html": (
        "{% extends 'layout.html' %}{% block content %}<h1>{{ title }}</h1>"
        "<table><thead><tr><th>Reference</th><th>Name</th><th>Town</th><th>Value</th><th>Ends</th></tr></thead>"
        "<tbody>{% for row in rows %}<tr><td><a href='/rows/{{ row.id }}'>{{ row.reference }}</a></td>"
        "<td>{{ row.name }}</td><td>{{ row.town }}</td><td>{{ row.amount }}</td><td>{{ row.ends_on }}</td></tr>"
        "{% endfor %}</tbody></table>{% for line in padding %}<p>{{ line }}</p>{% endfor %}{% endblock %}"
    ),
}
PAD_LINE = "Padding to the size of the portal page it stands for, one paragraph at a time."


def create_reference_rows(connection) -> None:
    """The reference table, on the connection's database (SQLite or PostgreSQL)."""
    connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
    connection.execute(
        text(
            f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, reference VARCHAR(20) NOT NULL, "
            "name VARCHAR(200) NOT NULL, town VARCHAR(100) NOT NULL, amount INTEGER NOT NULL, "
            "ends_on VARCHAR(10) NOT NULL)"
        )
    )
    connection.execute(
        text(f"INSERT INTO {TABLE} (id, reference, name, town, amount, ends_on) VALUES (:i, :r, :n, :t, :a, :e)"),
        [
            {
                "i": i,
                "r": f"REF-{i:05d}",
                "n": f"Provider & partners number {i}",
                "t": "Maidstone",
                "a": 10_000 + i * 37,
                "e": f"2027-{1 + i % 12:02d}-28",
            }
            for i in range(1, ROWS + 1)
        ],
    )


def create_reference_app(database_url: str) -> Flask:
    app = Flask(__name__)
    engine = create_engine(database_url)
    jinja = Environment(loader=DictLoader(TEMPLATES), autoescape=select_autoescape(default=True))
    page = jinja.get_template("page.html")
    list_query = text(f"SELECT id, reference, name, town, amount, ends_on FROM {TABLE} WHERE id BETWEEN :a AND :b")
    one_query = text(f"SELECT id, reference, name, town, amount, ends_on FROM {TABLE} WHERE id = :i")
    padding_for: dict[tuple[int, int], int] = {}  # (queries, bytes) -> paragraphs, measured once per worker

    def render(queries: int, size: int, lines: int) -> str:
        with engine.connect() as connection:
            rows = list(connection.execute(list_query, {"a": 100, "b": 149}))
            for n in range(queries - 1):
                rows.append(connection.execute(one_query, {"i": 200 + n}).one())
        return page.render(title="Reference page", rows=rows, padding=[PAD_LINE] * lines)

    @app.get("/page")
    def reference_page():
        queries = max(1, int(request.args.get("queries", 1)))
        size = int(request.args.get("bytes", 30_000))
        key = (queries, size)
        if key not in padding_for:
            bare = len(render(queries, size, 0).encode())
            padding_for[key] = max(0, (size - bare) // len(f"<p>{PAD_LINE}</p>"))
        return render(queries, size, padding_for[key])

    return app


if os.environ.get("REFERENCE_DATABASE_URL"):
    app = create_reference_app(os.environ["REFERENCE_DATABASE_URL"])
