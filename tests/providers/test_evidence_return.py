"""Quality-assurance evidence is in the providers' menu, and adding a document from a
bid returns the provider to that bid (a path on this site only)."""

from __future__ import annotations

import io
import re

import pytest

from tests.factories import PDF
from tests.support import post_form

BID_EVIDENCE = "/bids/7/evidence"


def add_document(client, next_value: str | None):
    url = "/organisation/evidence/new" + (f"?next={next_value}" if next_value is not None else "")
    data = {
        "kind": "INSURANCE",
        "title": "Public liability insurance",
        "file": (io.BytesIO(PDF), "certificate.pdf"),
        "expires_on": ["31", "3", "2030"],
    }
    return post_form(client, url, data, content_type="multipart/form-data")


def test_evidence_is_in_the_providers_menu(client, make_user, login_as):
    login_as(make_user())
    html = client.get("/organisation/evidence").get_data(as_text=True)
    link = re.search(r'<a[^>]*class="govuk-service-navigation__link"[^>]*href="/organisation/evidence"[^>]*>', html)
    assert link and 'aria-current="page"' in link.group(0)
    # Only the nearer entry is marked: not "Your organisation" as well.
    organisation = re.search(r'<li class="govuk-service-navigation__item([^"]*)">\s*<a[^>]*href="/organisation"', html)
    assert organisation and "active" not in organisation.group(1)


def test_from_a_bid_the_pages_lead_back_to_it(client, make_user, login_as):
    login_as(make_user())
    index = client.get(f"/organisation/evidence?next={BID_EVIDENCE}").get_data(as_text=True)
    assert f'href="{BID_EVIDENCE}"' in index and "Back to your bid" in index
    assert 'href="/organisation/evidence/new?next=/bids/7/evidence"' in index
    new = client.get(f"/organisation/evidence/new?next={BID_EVIDENCE}").get_data(as_text=True)
    assert f'href="{BID_EVIDENCE}"' in new and "Back to your bid" in new

    response = add_document(client, BID_EVIDENCE)
    assert response.status_code == 302 and response.headers["Location"] == BID_EVIDENCE


def test_without_a_bid_adding_a_document_returns_to_the_list(client, make_user, login_as):
    login_as(make_user())
    response = add_document(client, None)
    assert response.status_code == 302 and response.headers["Location"] == "/organisation/evidence"


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/", "/%2F/evil.example", "/\\evil"])
def test_a_return_address_off_the_site_is_ignored(client, make_user, login_as, elsewhere):
    login_as(make_user())
    page = client.get("/organisation/evidence/new", query_string={"next": elsewhere}).get_data(as_text=True)
    assert "evil.example" not in page.split('<main class="govuk-main-wrapper', 1)[0].split("</header>", 1)[-1]
    response = add_document(client, elsewhere.replace("/", "%2F").replace(":", "%3A").replace("\\", "%5C"))
    assert response.status_code == 302 and response.headers["Location"] == "/organisation/evidence"
