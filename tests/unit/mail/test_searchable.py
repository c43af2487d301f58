"""What the body index keeps of a message."""

from __future__ import annotations

import time
from email.message import EmailMessage

from mailproto.mime.searchable import MAX_CHARS, PREFIX, searchable_text


def message(text: str | None = None, html: str | None = None, attachment: str = "") -> bytes:
    msg = EmailMessage()
    msg["Subject"] = "x"
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    if attachment:
        msg.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename=attachment)
    return msg.as_bytes()


def test_text_first_then_the_html_words_then_attachment_names() -> None:
    assert searchable_text(message("Bonjour\n\nle  bilan, le bilan")) == "bonjour le bilan, bilan"
    html = ("<html><head><title>t</title><style>p{color:red}</style></head><body><p>Compte&nbsp;rendu"
            "</p><div>d&eacute;taill&eacute;</div><script>x()</script></body></html>")
    assert searchable_text(message(html=html)) == "compte rendu détaillé"
    assert searchable_text(message("texte", html="<p>html</p>", attachment="résultats.pdf")) == "texte résultats.pdf"


def test_each_word_once_so_the_index_stays_small() -> None:
    letter = message(" ".join(["Le", "patient", "va", "bien", "le", "PATIENT"] * 2000))
    assert searchable_text(letter) == "le patient va bien"


def test_bounded_whatever_the_message() -> None:
    big = message("mot " * 100_000)
    assert len(big) > PREFIX
    assert len(searchable_text(big)) <= MAX_CHARS
    hostile = message(html="<div>" * 50_000 + "fin")
    started = time.perf_counter()
    searchable_text(hostile)
    assert time.perf_counter() - started < 1.0
    assert searchable_text(b"\xff\xfe garbage without headers") is not None
