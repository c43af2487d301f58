"""Reading what senders really send: charsets, RFC 2231 names, broken MIME, no crash."""

from __future__ import annotations

from mailproto.mime.message import parse_message, part_payload, safe_filename


def test_latin1_windows1252_and_encoded_words() -> None:
    raw = (b"From: =?iso-8859-1?q?H=E9l=E8ne_Dupr=E9?= <helene@x.mssante.fr>\r\n"
           b"Subject: =?windows-1252?q?R=E9sultats_=96_cardiologie?=\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\n") + "Tension élevée – à revoir".encode("cp1252")
    parsed = parse_message(raw)
    assert parsed.sender_name == "Hélène Dupré" and parsed.subject == "Résultats – cardiologie"
    assert parsed.text == "Tension élevée – à revoir"  # "iso-8859-1" text read as the cp1252 it really is


def test_rfc2231_filenames_and_parts() -> None:
    raw = (b"From: a@b.fr\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n"
           b"--X\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour\r\n"
           b"--X\r\nContent-Type: application/pdf\r\n"
           b"Content-Disposition: attachment; filename*=UTF-8''compte%20rendu%20%C3%A9t%C3%A9.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--X--\r\n")
    parsed = parse_message(raw)
    (attachment,) = parsed.attachments
    assert attachment.filename == "compte rendu été.pdf" and attachment.content_type == "application/pdf"
    data, content_type, name = part_payload(raw, attachment.part_id)  # type: ignore[misc]
    assert data == b"%PDF-" and name == "compte rendu été.pdf"


def test_broken_mime_is_still_readable() -> None:
    raw = (b"From: x@y.fr\r\nContent-Type: multipart/mixed; boundary=\"never\"\r\n\r\n"
           b"no boundary ever comes\r\n\xff\xfe garbage")
    parsed = parse_message(raw)
    assert parsed.defects >= 1
    assert parsed.text is not None or parsed.html is not None or parsed.attachments == ()
    assert parse_message(b"\x00\x01 not a message at all").text is not None


def test_forwarded_message_is_an_attachment_and_html_is_kept_apart() -> None:
    inner = b"From: c@d.fr\r\nSubject: Avis\r\n\r\nTexte transmis\r\n"
    raw = (b"From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: multipart/alternative; boundary=A\r\n\r\n"
           b"--A\r\nContent-Type: text/plain\r\n\r\nplain\r\n--A\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--A--\r\n"
           b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--B--\r\n")
    parsed = parse_message(raw)
    assert parsed.text.strip() == "plain" and "<p>html</p>" in parsed.html  # type: ignore[union-attr]
    (forwarded,) = parsed.attachments
    assert forwarded.content_type == "message/rfc822" and forwarded.filename == "message.eml"
    data, _, _ = part_payload(raw, forwarded.part_id)  # type: ignore[misc]
    assert b"Texte transmis" in data


def test_safe_filenames() -> None:
    name = safe_filename("../../etc/passwd")
    assert "/" not in name and not name.startswith(".") and name.endswith("etc_passwd")
    assert safe_filename('a"b\r\n.pdf') == "a_b_.pdf"
    assert safe_filename("") == "piece-jointe"
