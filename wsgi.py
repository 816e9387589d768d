"""The WSGI entry point: gunicorn wsgi:app"""

from __future__ import annotations

import gc

from portal import create_app

app = create_app()
# Everything made at start-up (the app, its routes, models and compiled templates) lives as
# long as the process: frozen, the garbage collector's full passes no longer walk it all
# again every so often, which stalled a request for tens of milliseconds (issue 13's p99).
gc.freeze()
