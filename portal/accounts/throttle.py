"""Counting failed sign-ins and email requests, per account and per address.

Counts live in the store named by RATELIMIT_STORAGE_URI: memory for one
process, Redis in production so that every worker and host sees the same count.
"""

from __future__ import annotations

import hashlib

from flask import Flask, current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


def init_app(app: Flask) -> None:
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["throttle"] = MovingWindowRateLimiter(storage)


def _key(value: str) -> str:
    # Hashed so that addresses and IPs are not kept readable in Redis.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _limiter() -> MovingWindowRateLimiter:
    return current_app.extensions["throttle"]


def is_blocked(setting: str, scope: str, value: str) -> bool:
    return not _limiter().test(parse(current_app.config[setting]), scope, _key(value))


def count(setting: str, scope: str, value: str) -> None:
    _limiter().hit(parse(current_app.config[setting]), scope, _key(value))


def clear(setting: str, scope: str, value: str) -> None:
    _limiter().clear(parse(current_app.config[setting]), scope, _key(value))


def window_minutes(setting: str) -> int:
    return max(1, parse(current_app.config[setting]).get_expiry() // 60)
