"""Helpers the views render with (no project call in them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpResponse

# A file from a message or a document is never a document of this site: nosniff, its own
# type or none, a sandbox CSP, not kept.
RAW_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


def page_context(page: Any, **extra: Any) -> dict[str, Any]:
    """A flow's page dataclass as a template's context (its fields, as they are), with
    what only the view knows (URLs, choices)."""
    return {**{name: getattr(page, name) for name in page.__dataclass_fields__}, **extra}


def file_response(data: bytes, *, content_type: str, filename: str, inline: bool) -> HttpResponse:
    """A file from a message: shown in place (its own type, sandboxed) or downloaded."""
    response = HttpResponse(
        data, content_type=content_type if inline else "application/octet-stream", headers=RAW_HEADERS
    )
    response.headers["Content-Disposition"] = (
        f"{'inline' if inline else 'attachment'}; "
        f'filename="{filename.encode("ascii", "replace").decode().replace("?", "_")}"; '
        f"filename*=UTF-8''{quote(filename)}"
    )
    return response
