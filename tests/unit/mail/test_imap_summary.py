"""Summary parsing, on the structures imapclient really returns (parsed from raw bytes)."""

from __future__ import annotations

from imapclient.response_parser import parse_fetch_response

from apps.mail.imap.client import _summary

RAW = [
    b'1 (UID 7 FLAGS (\\Seen \\Flagged) RFC822.SIZE 2048 ENVELOPE ("Tue, 24 Nov 2026 10:00:00 +0100" '
    b'"=?utf-8?q?Ordonnance_de_M=2E_Garnier_=E2=80=93_AVK?=" '
    b'(("=?iso-8859-1?q?Sophie_B=E9rnard?=" NIL "sophie.bernard" "pharmacie.mssante.test")) NIL NIL '
    b'(("Claire" NIL "claire.martin" "medecin.mssante.test")) NIL NIL NIL "<a@b>") '
    b'BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)'
    b'("application" "pdf" ("name" "ordonnance.pdf") NIL NIL "base64" 900 NIL '
    b'("attachment" ("filename" "ordonnance.pdf")) NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL))',
    b'2 (UID 8 FLAGS () RFC822.SIZE 100 ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) '
    b'BODYSTRUCTURE ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL NIL NIL NIL))',
]


def parsed() -> dict:
    return parse_fetch_response(RAW, uid_is_key=True)


def test_encoded_words_flags_and_attachments() -> None:
    summary = _summary(7, parsed()[7])
    assert summary.subject == "Ordonnance de M. Garnier – AVK"
    assert summary.sender_name == "Sophie Bérnard"
    assert summary.sender_address == "sophie.bernard@pharmacie.mssante.test"
    assert summary.seen and summary.flagged and summary.has_attachments
    assert summary.date is not None and summary.date.utcoffset() is not None
    assert summary.date.isoformat() == "2026-11-24T09:00:00+00:00"


def test_empty_envelope_does_not_break_the_list() -> None:
    summary = _summary(8, parsed()[8])
    assert (summary.subject, summary.sender_address, summary.date) == ("", "", None)
    assert not summary.seen and not summary.has_attachments
