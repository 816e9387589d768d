"""Supporting documents: checked by content, limited in size per file and per
bid, stored under a safe name with their SHA-256; refusals write nothing."""

from __future__ import annotations

import hashlib
import io
from functools import partial
from html import unescape

import pytest
from sqlalchemy import func, select

from portal.bids.models import BidAttachment
from portal.files import StoredFile
from tests.bids.conftest import post_page

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def upload(client, bid_id, content: bytes, filename: str, title: str = ""):
    return post_page(
        client,
        f"/bids/{bid_id}/files",
        {"title": title, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def counts(db) -> tuple[int, int]:
    return db.scalar(select(func.count(BidAttachment.id))), db.scalar(select(func.count(StoredFile.id)))


@pytest.fixture(autouse=True)
def _request_bodies_in_memory(monkeypatch):
    """Werkzeug's test client spools a multipart body over 500KB to a temporary
    file it never closes (a ResourceWarning, an error here): keep it in memory."""
    import werkzeug.test

    monkeypatch.setattr(
        werkzeug.test, "stream_encode_multipart", partial(werkzeug.test.stream_encode_multipart, use_tempfile=False)
    )


@pytest.fixture
def bid(client, tender, provider, login_as, start_bid):
    login_as(provider)
    return start_bid(client, tender)


def test_pdf_is_stored_with_its_hash_and_can_be_downloaded_and_removed(client, db, bid):
    response = upload(client, bid.id, PDF, "Staff training plan.pdf", "Training plan")
    assert response.status_code == 302
    stored = db.scalar(select(BidAttachment))
    assert stored.title == "Training plan"
    assert stored.file.sha256 == hashlib.sha256(PDF).hexdigest() and stored.file.content_type == "application/pdf"
    page = unescape(client.get(f"/bids/{bid.id}/files").get_data(as_text=True))
    assert "Training plan" in page and stored.file.sha256[:12] in page

    download = client.get(f"/bids/{bid.id}/files/{stored.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "private, no-store"

    removed = post_page(client, f"/bids/{bid.id}/files/{stored.id}/remove", form_url=f"/bids/{bid.id}/files")
    assert removed.status_code == 302
    assert db.scalar(select(func.count(BidAttachment.id))) == 0
    assert client.get(f"/bids/{bid.id}/files/{stored.id}").status_code == 404


def test_an_executable_renamed_pdf_is_refused(client, db, bid):
    executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
    response = upload(client, bid.id, executable, "invoice.pdf")
    assert response.status_code == 400
    assert "The selected file must be a PDF, Word, Excel, OpenDocument, PNG or JPEG file" in unescape(
        response.get_data(as_text=True)
    )
    assert counts(db) == (0, 0)


def test_no_file_selected(client, db, bid):
    response = post_page(client, f"/bids/{bid.id}/files", {"title": "Nothing"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Select a file to upload" in response.get_data(as_text=True)
    assert counts(db) == (0, 0)


def test_a_file_over_the_per_file_limit_is_refused(app, client, db, bid, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 1024 * 1024)
    big = PDF + b"0" * (1024 * 1024)
    response = upload(client, bid.id, big, "big.pdf")
    assert response.status_code == 400
    assert "The selected file must be smaller than 1MB" in response.get_data(as_text=True)
    assert counts(db) == (0, 0)


def test_files_over_the_per_bid_total_are_refused(app, client, db, bid, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_BID_BYTES", 1024 * 1024)
    half = PDF + b"1" * (600 * 1024)
    assert upload(client, bid.id, half, "one.pdf").status_code == 302
    response = upload(client, bid.id, PDF + b"2" * (600 * 1024), "two.pdf")
    assert response.status_code == 400
    assert "The files for one bid must total 1MB or less" in response.get_data(as_text=True)
    assert counts(db) == (1, 1)


def test_a_path_in_the_filename_is_removed(client, db, bid):
    assert upload(client, bid.id, PDF, "../../etc/passwd.pdf").status_code == 302
    stored = db.scalar(select(StoredFile))
    assert stored.filename == "passwd.pdf"
    assert upload(client, bid.id, PDF, "<script>x</script>.exe").status_code == 302
    names = set(db.scalars(select(StoredFile.filename)))
    assert all("/" not in n and "<" not in n for n in names) and any(
        n.endswith(".pdf") and "script" in n for n in names
    )
