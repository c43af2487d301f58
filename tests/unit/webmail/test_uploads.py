"""Uploads over the operator's limit are refused on their size before any is read, and the
bytes past the limit are never kept (they used to be read into memory, then measured)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import override_settings

from apps.flows import compose_submit, draft_autosave
from apps.flows.uploads import CappedUploadHandler
from apps.mail.models import Mailbox
from apps.webmail.forms import ComposeForm, Uploads


def never_read() -> list[object]:
    raise AssertionError("the files were read before their size was checked")


@override_settings(MSSANTE_MAX_MESSAGE_SIZE=1000)
def test_past_the_cap_chunks_are_dropped_and_the_request_marked() -> None:
    request = SimpleNamespace()
    handler = CappedUploadHandler(request)
    assert handler.receive_data_chunk(b"x" * 700, 0) == b"x" * 700  # 750 bytes allowed (1000 encoded)
    assert not hasattr(request, "upload_refused")
    assert handler.receive_data_chunk(b"x" * 100, 700) is None
    assert handler.receive_data_chunk(b"x" * 5000, 800) is None
    assert request.upload_refused == 5800


@override_settings(MSSANTE_MAX_MESSAGE_SIZE=1000)
@pytest.mark.parametrize("service", ["send", "draft"])
def test_declared_sizes_are_checked_before_anything_is_read(service: str) -> None:
    mailbox = Mailbox(pk=1, address="a@x.fr")
    form = ComposeForm(to=["b@y.fr"], mailbox=1, subject="gros", body="texte gardé")
    uploads = Uploads(declared=5000, read=never_read)  # type: ignore[arg-type]
    user = SimpleNamespace(display_name="A")
    if service == "send":
        outcome = compose_submit(access_for=lambda m: None, user=user, form=form,  # type: ignore[arg-type,return-value]
                                 mailboxes=[mailbox], uploads=uploads, session_key=None)
        assert outcome.status == 413 and "accepte des messages jusqu" in (outcome.error or "")
        assert outcome.form.body == "texte gardé"
    else:
        from apps.flows import AttachmentsTooLarge

        with pytest.raises(AttachmentsTooLarge):
            draft_autosave(access_for=lambda m: None, user=user, form=form,  # type: ignore[arg-type,return-value]
                           mailboxes=[mailbox], uploads=uploads)
