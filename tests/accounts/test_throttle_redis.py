"""The sign-in counts are shared through Redis, as several workers and hosts need."""

from __future__ import annotations

import os
import uuid

import pytest

from portal import create_app
from tests.support import post_form

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


@pytest.fixture
def redis_apps(app, monkeypatch):
    if not redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"CI must prove the Redis store, but Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    # Two apps standing for two workers (or hosts) sharing one Redis.
    prefix = f"redis://{REDIS_URL.split('://', 1)[1]}"
    overrides = {
        key: app.config[key]
        for key in (
            "TESTING",
            "DATABASE_URL",
            "INSTANCE_PATH",
            "MAIL_BACKEND",
            "MAIL_HOST",
            "MAIL_PORT",
            "PASSWORD_HASH_TIME_COST",
            "PASSWORD_HASH_MEMORY_KIB",
        )
    }
    overrides["RATELIMIT_STORAGE_URI"] = prefix
    # A unique account limit key space per run: the counts are keyed by email.
    apps = [create_app(overrides), create_app(overrides)]
    yield apps
    for each in apps:
        each.extensions["throttle"].storage.reset()
        each.extensions["db_engine"].dispose()


def test_failures_counted_by_one_worker_lock_the_account_on_another(redis_apps, make_user):
    user = make_user(email=f"redis-{uuid.uuid4().hex[:8]}@example.org")
    first, second = (each.test_client() for each in redis_apps)
    for _ in range(5):
        response = post_form(first, "/sign-in", {"email": user.email, "password": "not-the-password"})
        assert response.status_code == 400
    locked = post_form(second, "/sign-in", {"email": user.email, "password": "correct-horse-battery-staple"})
    assert locked.status_code == 429
