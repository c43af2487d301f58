from __future__ import annotations

from django.utils import translation

from apps.core.errors import ApplicationError, IndexUnavailable, MailServerUnavailable, NoMailbox


def test_errors_carry_a_french_message_and_keep_the_detail_for_logs() -> None:
    with translation.override("fr"):
        error = MailServerUnavailable("imap.example:993: timed out")
        assert "ne répond pas" in error.user_message
        assert error.detail == "imap.example:993: timed out"
        assert "Aucune boîte aux lettres" in NoMailbox().user_message
        assert "n'a pas pu être mise à jour de notre côté" in IndexUnavailable("disk full").user_message


def test_explicit_user_message_wins() -> None:
    assert ApplicationError("x", user_message="Message précis").user_message == "Message précis"
