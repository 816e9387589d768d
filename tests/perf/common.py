"""What the benchmarks share: building the schema, making the app, printing a table.

(Not a benchmark: ``run_all`` runs only the ``bench_*`` modules. The throwaway
database and the query counter are in ``tests.support``, shared with the tests.)
"""

from __future__ import annotations

import logging
from pathlib import Path


def migrate(url: str) -> None:
    """Alembic ``upgrade head`` on ``url``, leaving the logging alone."""
    from alembic import command

    from portal.cli import alembic_config

    config = alembic_config(url)
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def make_bench_app(url: str, tmpdir: Path, *, quiet: bool = True, **overrides):
    """The app on ``url``, its instance folder and mail outbox in ``tmpdir``, with
    cheap password hashing and in-memory sign-in limits; ``overrides`` are more
    config settings. ``quiet`` puts the root logger back to WARNING afterwards
    (create_app asks for INFO), to keep the figures readable."""
    from portal import create_app

    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmpdir / "instance"),
            "MAIL_BACKEND": "outbox",
            "MAIL_OUTBOX_PATH": str(tmpdir / "outbox"),
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_KIB": 1024,
            "RATELIMIT_STORAGE_URI": "memory://",
            **overrides,
        }
    )
    if quiet:
        logging.getLogger().setLevel(logging.WARNING)
    return app


def table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    """A plain-text table; the columns numbered in ``right`` are right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        pairs = enumerate(zip(cells, widths, strict=False))
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in pairs).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])
