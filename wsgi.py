"""The WSGI entry point: gunicorn wsgi:app"""

from __future__ import annotations

from portal import create_app

app = create_app()
