"""Uploads never cost more than the operator's limit: past it, the bytes of the request's
files are dropped as they arrive (neither kept in memory nor on disk) while the rest of the
form is still read, so that the page can say why and keep what was typed
(``upload_refused`` on the request, checked before any file is read)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler


def upload_cap() -> int:
    """Bytes of files a request may bring: what the operator accepts once encoded."""
    return settings.MSSANTE_MAX_MESSAGE_SIZE * 3 // 4


class CappedUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: counts the bytes of every file of the request and,
    past the cap, hands no more of them to the handlers that store files."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received <= upload_cap():
            return raw_data  # the next handler stores it
        if self.request is not None:
            setattr(self.request, "upload_refused", self.received)  # noqa: B010 - not a declared attribute
        return None  # dropped

    def file_complete(self, file_size: int) -> None:
        return None  # the storing handler makes the file
