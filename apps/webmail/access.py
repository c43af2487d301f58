"""What every page hands its flow: the ``Actor`` read from the request (the signed-in user,
their session, where the request came from, and whether the person opened the page). The
flows decide which mailbox and folder a URL may name (``apps.flows.actor``)."""

from __future__ import annotations

from django.http import HttpRequest

from apps.flows.actor import Actor

PAGE_DESTINATIONS = ("document", "iframe")


def request_is_page_load(request: HttpRequest) -> bool:
    """Whether this GET is the person opening a page (``Sec-Fetch-Dest: document`` or
    ``iframe``, no prefetch), the only GET that may record a read or mark a message read: an
    ``<img src>`` pointing at a message page (a sender's trick, from a message whose images
    are shown) or a prefetch arrives as ``image``, ``empty``, ``object``… or without the
    header (then nothing is recorded: failing safe)."""
    purpose = (request.headers.get("Sec-Purpose", "") + request.headers.get("Purpose", "")).lower()
    return request.headers.get("Sec-Fetch-Dest", "") in PAGE_DESTINATIONS and "prefetch" not in purpose


def request_actor(request: HttpRequest) -> Actor:
    """The request's actor, made once per request (its mailboxes are then read once: a
    page's mailbox and its folder pane's list come from one query)."""
    actor: Actor | None = getattr(request, "_actor", None)
    if actor is None:
        actor = Actor(
            user=request.user,  # type: ignore[arg-type]  # login_required: signed in
            session=request.session,  # type: ignore[arg-type]
            client_ip=request.META.get("REMOTE_ADDR", ""),
            page_load=request.method == "GET" and request_is_page_load(request),
        )
        request._actor = actor  # type: ignore[attr-defined]
    return actor
