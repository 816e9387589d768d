"""Uploaded files: the type judged from the content, a safe name, a SHA-256, kept on disk.

Files are stored under ``UPLOAD_PATH`` by their hash, so the same bytes are kept
once; the database row carries the original (sanitised) name and the type found.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.clock import now as clock_now
from portal.db import Base, UtcDateTime
from portal.errors import RuleViolation


class StoredFile(Base):
    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)

    @property
    def size_label(self) -> str:
        if self.size >= 1024 * 1024:
            return f"{self.size / (1024 * 1024):.1f}MB"
        return f"{max(1, round(self.size / 1024))}KB"


@dataclass(frozen=True)
class FileKind:
    name: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileKind("PDF", "application/pdf", (".pdf",))
DOCX = FileKind("Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileKind("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
ODT = FileKind("OpenDocument text", "application/vnd.oasis.opendocument.text", (".odt",))
ODS = FileKind("OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet", (".ods",))
LEGACY_OFFICE = FileKind("Word or Excel (97-2003)", "application/octet-stream", (".doc", ".xls"))
PNG = FileKind("PNG image", "image/png", (".png",))
JPEG = FileKind("JPEG image", "image/jpeg", (".jpg", ".jpeg"))

ALLOWED_DESCRIPTION = "PDF, Word, Excel, OpenDocument, PNG or JPEG"


# Office and OpenDocument files are zip archives. Only a few hundred bytes of
# one member are ever decompressed, and archives whose declared sizes or
# compression ratios could only be a zip bomb are refused unread.
MAX_ZIP_MEMBERS = 5_000
MAX_ZIP_DECLARED_BYTES = 512 * 1024 * 1024  # the whole archive, uncompressed, as it declares
MAX_ZIP_RATIO = 200  # real documents compress 3-30 times; a bomb, thousands
ZIP_RATIO_FLOOR = 1024 * 1024  # small members may compress well without harm
MIMETYPE_READ_BYTES = 256


def _is_absurd(infos: list[zipfile.ZipInfo]) -> bool:
    if len(infos) > MAX_ZIP_MEMBERS:
        return True
    if sum(info.file_size for info in infos) > MAX_ZIP_DECLARED_BYTES:
        return True
    return any(
        info.file_size > ZIP_RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)
        for info in infos
    )


def zip_looks_safe(content: bytes) -> bool:
    """Whether a zip archive (an .xlsx to import, say) may be opened by a library
    that decompresses it whole: readable, and not declaring a bomb's sizes."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return not _is_absurd(archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return False


def _sniff_zip(content: bytes) -> FileKind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            if _is_absurd(infos):
                return None
            names = {info.filename for info in infos}
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    mimetype = member.read(MIMETYPE_READ_BYTES).decode("ascii", "ignore").strip()
                return {ODT.content_type: ODT, ODS.content_type: ODS}.get(mimetype)
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        KeyError,
        OSError,
        EOFError,
        NotImplementedError,
        RuntimeError,
        ValueError,
    ):
        return None
    return None


def sniff(content: bytes) -> FileKind | None:
    """What the bytes are, whatever the file is called; None if not allowed
    (including a zip archive that looks like a bomb)."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return LEGACY_OFFICE
    if content.startswith(b"PK\x03\x04"):
        return _sniff_zip(content)
    return None


def safe_filename(name: str, kind: FileKind) -> str:
    """A name safe to store and to offer back: no path, no control or odd
    characters, at most 120 characters, and an extension that matches the content."""
    name = unicodedata.normalize("NFKC", Path(name.replace("\\", "/")).name)
    stem = re.sub(r"[^\w\s().,-]", "", Path(name).stem, flags=re.UNICODE).strip(" .") or "document"
    extension = Path(name).suffix.lower()
    if extension not in kind.extensions:
        extension = kind.extensions[0]
    return f"{stem[: 120 - len(extension)]}{extension}"


def upload_root() -> Path:
    root = Path(current_app.config["UPLOAD_PATH"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def path_for(sha256: str) -> Path:
    return upload_root() / sha256[:2] / sha256


def store(session: Session, uploader, filename: str, content: bytes, max_bytes: int) -> StoredFile:
    """Check and keep an upload.

    Raises:
        RuleViolation: empty, too large, or not an allowed type by its content.
    """
    if not content:
        raise RuleViolation("file", "The selected file is empty")
    if len(content) > max_bytes:
        raise RuleViolation("file", f"The selected file must be smaller than {max_bytes // (1024 * 1024)}MB")
    kind = sniff(content)
    if kind is None:
        raise RuleViolation("file", f"The selected file must be a {ALLOWED_DESCRIPTION} file")
    sha256 = hashlib.sha256(content).hexdigest()
    target = path_for(sha256)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_bytes(content)
        partial.replace(target)  # atomic: a reader never sees half a file
    stored = StoredFile(
        filename=safe_filename(filename, kind),
        content_type=kind.content_type,
        kind=kind.name,
        size=len(content),
        sha256=sha256,
        uploaded_by_id=getattr(uploader, "id", None),
    )
    session.add(stored)
    session.flush()
    return stored


def read(stored: StoredFile) -> bytes:
    return path_for(stored.sha256).read_bytes()
