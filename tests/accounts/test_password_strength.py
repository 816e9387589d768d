"""A new password is judged by zxcvbn's score as well as the common-password list
(issue 9, item 5), and the refusal says what to do instead."""

from __future__ import annotations

import pytest

from portal.accounts.passwords import EXAMPLE_WORDS, TOO_WEAK, password_problem
from portal.demo import DEMO_PASSWORD
from tests.conftest import PASSWORD
from tests.support import post_form

# Each passed the common-password list before zxcvbn judged them too.
WEAK = ["123456789012", "qwertyuiopas", "zxcvbnmasdfg", "abcdefghijklmnop", "Lantern Walrus Crumble", EXAMPLE_WORDS]

# Every password the tests, the benchmarks and the demo sign in with.
STRONG = [
    PASSWORD,
    DEMO_PASSWORD,
    "lighthouse-quarry-violet",
    "harbour-pebble-crimson",
    "granite-orchard-seventy",
    "copper-thistle-harbour-97",
    "a-different-long-passphrase-2024",
    "rush-hour-password-42",
    "orbit-lantern-meadow-42",
    "bench-tenders-password-42",
    "bench-officer-password-42",
    "not-my-password-at-all",
    "something-else-entirely",
]


@pytest.mark.parametrize("password", WEAK)
def test_a_guessable_password_is_refused_with_the_ncsc_advice(password):
    assert password_problem(password, "jo@example.org") == TOO_WEAK
    assert TOO_WEAK.startswith("Choose a stronger password. Try three random words, for example ")


@pytest.mark.parametrize("password", STRONG)
def test_strong_passwords_still_pass(password):
    assert password_problem(password, "jo@example.org") is None


def test_the_common_list_still_speaks_first():
    assert "too common" in password_problem("passwordpassword")
    assert password_problem("short") == "Password must be 12 characters or more"


def test_the_address_counts_against_it():
    assert password_problem("jo.bloggs@example.org1") is None
    assert password_problem("jo.bloggs@example.org1", "jo.bloggs@example.org") == TOO_WEAK


def test_long_passwords_are_judged_too():
    assert password_problem("a" * 128) is not None
    long = "correct-horse-battery-staple-lighthouse-quarry-violet-harbour-pebble-crimson-granite-orchard-seventy"
    assert len(long) > 64 and password_problem(long) is None


@pytest.mark.parametrize("password", ["123456789012", "qwertyuiopas"])
def test_changing_to_a_weak_password_is_refused_on_the_page(client, make_user, login_as, password):
    login_as(make_user())
    response = post_form(
        client, "/account/password", {"current_password": PASSWORD, "password": password, "confirm": password}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "govuk-error-summary" in html and 'href="#password"' in html
    assert "Try three random words" in html
