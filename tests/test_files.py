"""Uploads are judged by their content, and a zip bomb is refused without being opened."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest

from portal import files
from tests.support import post_form

ZEROS_MB = 256


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A small .docx-looking archive whose ``mimetype`` member is 256 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("mimetype", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(ZEROS_MB):
                member.write(chunk)
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _odt(mimetype: bytes = b"application/vnd.oasis.opendocument.text") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def test_the_bomb_is_small_on_the_wire(zip_bomb):
    assert len(zip_bomb) < 1024 * 1024


def test_sniff_refuses_the_bomb_without_decompressing_it(zip_bomb):
    tracemalloc.start()
    try:
        assert files.sniff(zip_bomb) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert not files.zip_looks_safe(zip_bomb)


def test_real_documents_still_pass():
    assert files.sniff(_odt()) is files.ODT
    assert files.zip_looks_safe(_odt())
    assert files.sniff(_odt(b"x" * 10_000)) is None  # only the first bytes are read: not a known type


def test_too_many_members_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(files.MAX_ZIP_MEMBERS + 1):
            archive.writestr(f"f{n}", b"")
        archive.writestr("word/document.xml", "<w:document/>")
    assert files.sniff(buffer.getvalue()) is None


def test_uploading_the_bomb_is_a_400_and_the_request_stays_small(app, make_user, login_as, zip_bomb):
    client = login_as(make_user())
    tracemalloc.start()
    try:
        response = post_form(
            client,
            "/organisation/evidence/new",
            {
                "kind": "INSURANCE",
                "title": "Insurance",
                "file": (io.BytesIO(zip_bomb), "policy.docx"),
                "expires_on": ["31", "3", "2027"],
            },
            content_type="multipart/form-data",
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 400
    assert "must be a PDF, Word, Excel, OpenDocument, PNG or JPEG file" in response.get_data(as_text=True)
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
