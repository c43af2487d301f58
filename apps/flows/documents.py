"""The health documents a message carries (issue 13): each IHE XDM package and bare CDA
attachment, recognised by its content, read once per message version (kept with the
parsed message), shown as a card in the reader and on a page of its own.

A package or document that cannot be read safely becomes a card with the French reason
(and a log line); the rest of the message is untouched."""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.documents.cda import INS_OIDS, ClinicalDocument, cda_read
from apps.documents.errors import DocumentUnreadable
from apps.documents.narrative import media_file, media_index
from apps.documents.xdm import looks_like_xdm, xdm_read
from apps.mail.models import Folder, MessageSummary
from apps.mail.services import MailAccess
from apps.mail.services.messages import message_cached_get
from mss import headers

logger = logging.getLogger(__name__)

REASONS = {
    "not_xml": gettext_lazy("The document is not readable XML."),
    "too_large": gettext_lazy("The document is larger than this site accepts."),
    "dtd": gettext_lazy("The document declares a DTD or entities: it is not opened, for safety."),
    "too_deep": gettext_lazy("The document is nested too deeply to be shown."),
    "not_cda": gettext_lazy("The file is not a CDA document."),
    "not_zip": gettext_lazy("The attachment is not a readable ZIP archive."),
    "zip_path": gettext_lazy("The archive holds a dangerous path (../ or absolute): it is not opened."),
    "zip_link": gettext_lazy("The archive holds a symbolic link: it is not opened."),
    "zip_bomb": gettext_lazy("The archive would unpack to an abnormal size: it is not opened."),
    "zip_entries": gettext_lazy("The archive holds too many files."),
    "no_metadata": gettext_lazy("The IHE_XDM archive has no METADATA.XML."),
    "metadata": gettext_lazy("The archive's METADATA.XML cannot be read."),
}
ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")
XML_TYPES = ("text/xml", "application/xml", "application/hl7-v3+xml", "application/hl7-cda+xml")


@dataclass(frozen=True)
class DocumentCard:
    key: str  # "<part id>-<n>": the document's address in the message
    filename: str
    document: ClinicalDocument | None
    warnings: tuple[str, ...] = ()
    error: str = ""
    files: dict[str, bytes] = field(default_factory=dict, repr=False)  # the package's other files


def _is_zip(content_type: str, filename: str) -> bool:
    return content_type in ZIP_TYPES and (filename.lower().endswith(".zip") or content_type != ZIP_TYPES[2])


def _is_xml(content_type: str, filename: str) -> bool:
    return content_type in XML_TYPES or filename.lower().endswith(".xml")


def _ins_of(patient_id: str) -> str:
    return patient_id.split("^", 1)[0].strip()


def _read_package(part_id: str, filename: str, data: bytes) -> list[DocumentCard]:
    package = xdm_read(data)
    cards = []
    for number, item in enumerate(package.documents, start=1):
        key = f"{part_id}-{number}"
        if not (item.entry is None or item.entry.mime_type in ("", *XML_TYPES)) and \
                not item.path.lower().endswith(".xml"):
            continue  # a PDF beside the CDA in the package: the CDA is the document
        warnings = []
        if "hash" in item.problems or "size" in item.problems:
            warnings.append(_("This document does not match the fingerprint the package gives for it: "
                              "it may have been altered."))
        try:
            document = cda_read(item.data)
        except DocumentUnreadable as exc:
            logger.warning("document %s of %s unreadable: %s", item.path, filename, exc)
            cards.append(DocumentCard(key=key, filename=item.path, document=None,
                                      error=str(REASONS[exc.reason])))
            continue
        listed = _ins_of(item.entry.patient_id) if item.entry else ""
        if listed and document.patient.ins and listed != document.patient.ins:
            warnings.append(_("The patient's INS in the document (%(cda)s) differs from the "
                              "package's (%(xdm)s).") % {"cda": document.patient.ins, "xdm": listed})
        cards.append(DocumentCard(key=key, filename=item.path, document=document, warnings=tuple(warnings),
                                  files=package.files))
    for uri in package.missing:
        cards.append(DocumentCard(key=f"{part_id}-missing", filename=uri, document=None,
                                  error=_("The package names %(file)s, which it does not hold.")
                                  % {"file": uri}))
    return cards


def message_documents(*, access: MailAccess, folder: Folder, uid: int) -> list[DocumentCard]:
    """The health documents of a message, read once per message version."""
    loaded = message_cached_get(access=access, folder=folder, uid=uid)
    cached = loaded.derived.get("documents")
    if cached is not None:
        return cached  # type: ignore[return-value]
    cards: list[DocumentCard] = []
    candidates = False
    for attachment in loaded.parsed.attachments:
        kind, name = attachment.content_type, attachment.filename
        if not (_is_zip(kind, name) or _is_xml(kind, name)):
            continue
        candidates = True
        found = loaded.part(attachment.part_id)
        if found is None:
            continue
        data = found[0]
        try:
            if looks_like_xdm(data):
                cards.extend(_read_package(attachment.part_id, name, data))
            elif _is_xml(kind, name):
                cards.append(DocumentCard(key=f"{attachment.part_id}-0", filename=name,
                                          document=cda_read(data)))
        except DocumentUnreadable as exc:
            if exc.reason == "not_cda" or (exc.reason == "not_xml" and not looks_like_xdm(data)):
                continue  # some other XML file: an attachment like any other
            logger.warning("health document %s in %s uid %s refused: %s", name, folder, uid, exc)
            cards.append(DocumentCard(key=f"{attachment.part_id}-x", filename=name, document=None,
                                      error=str(REASONS[exc.reason])))
    if cards:
        cards = _ins_header_checked(cards, loaded.tree())
    loaded.derived["documents"] = cards
    if not candidates:
        return cards  # no ZIP or XML: the sync's guess said no document either; no write
    # The list's "document" badge and filter were guessed at sync from the attachments'
    # names; now that the content is read, they say what it holds.
    in_package = any(c.document is not None and not c.key.endswith("-0") for c in cards)
    bare = any(c.document is not None and c.key.endswith("-0") for c in cards)
    MessageSummary.objects.filter(folder=folder, uid=uid).exclude(att_xdm=in_package, att_cda=bare).update(
        att_xdm=in_package, att_cda=bare)
    return cards


def message_document_get(*, access: MailAccess, folder: Folder, uid: int, key: str) -> DocumentCard | None:
    return next((c for c in message_documents(access=access, folder=folder, uid=uid)
                 if c.key == key and c.document is not None), None)


def document_media_get(*, card: DocumentCard, ref: str) -> tuple[bytes, str] | None:
    """An image or a PDF the document's narrative shows (renderMultiMedia → observationMedia)."""
    root = card.document.root if card.document else None
    return media_file(media_index(root), ref)


PACKAGE_TYPES = {"PDF": "application/pdf", "PNG": "image/png", "JPG": "image/jpeg", "JPEG": "image/jpeg",
                 "GIF": "image/gif", "TXT": "text/plain"}


def document_package_file_get(*, card: DocumentCard, name: str) -> tuple[bytes, str] | None:
    """A file of the document's own package that its narrative links to (relative
    ``linkHtml``): its bytes and the type its extension says (``None`` for an unknown one:
    downloaded, never interpreted)."""
    data = card.files.get(name.upper())
    if data is None:
        return None
    return data, PACKAGE_TYPES.get(name.upper().rsplit(".", 1)[-1], "")


@dataclass(frozen=True)
class SectionView:
    anchor: str
    title: str
    depth: int
    html: str
    text: str = ""  # when the narrative is too large for markup: its text, shown with a notice


REFERENCE = re.compile(r'(src|href)="(cid|pkg):([^"]*)"')  # in our own renderer's output only


def document_sections_html(*, card: DocumentCard, media_url: str, file_url: str = "") -> list[SectionView]:
    """Every section, depth first, its narrative rendered by our renderer (safe by
    construction: ``apps.documents.narrative``), its ``cid:`` media pointed at ``media_url``
    and its package links at ``file_url`` (``__CID__`` and ``__FILE__`` standing for the
    name). A narrative too large for markup shows its text with a notice, never nothing."""
    from apps.documents.narrative import NarrativeTooLarge, narrative_html, narrative_text

    document = card.document
    if document is None:
        return []
    media = media_index(document.root)
    files = frozenset(card.files)
    shown: list[SectionView] = []

    def point(found: re.Match[str]) -> str:
        name = quote(html.unescape(found.group(3)), safe="")
        base = media_url.replace("__CID__", name) if found.group(2) == "cid" else None
        url = base if base is not None else file_url.replace("__FILE__", name)
        return f'{found.group(1)}="{html.escape(url)}"'

    def walk(sections: tuple, depth: int) -> None:  # type: ignore[type-arg]
        for section in sections:
            anchor = f"section-{len(shown) + 1}"
            try:
                rendered = REFERENCE.sub(point, narrative_html(section.narrative, media=media, files=files))
                shown.append(SectionView(anchor=anchor, title=section.title, depth=depth, html=rendered))
            except NarrativeTooLarge as exc:
                logger.info("document %s section %r shown as text: %s", document.id, section.title[:80], exc)
                shown.append(SectionView(anchor=anchor, title=section.title, depth=depth, html="",
                                         text=narrative_text(section.narrative)))
            walk(section.sections, depth + 1)
    walk(document.sections, 1)
    return shown


def _qualified(patient: Any) -> bool:
    """A qualified INS as X-MSS-INS means it: a real NIR or NIA (its OID) with the identity
    traits; a test or demonstration INS never is."""
    return bool(patient.ins_oid in INS_OIDS and patient.ins and patient.birth_name and patient.given_names
                and patient.birth_date and patient.sex)


def _ins_header_checked(cards: list[DocumentCard], tree: Any) -> list[DocumentCard]:
    """X-MSS-INS says whether the package holds a qualified INS ("O") or not ("N"): a
    warning on the documents when what they hold says otherwise."""
    said = headers.ins_qualified_read(str(tree.get(headers.INS, "") if tree is not None else ""))
    documents = [c for c in cards if c.document is not None]
    if said is None or not documents:
        return cards
    qualified = any(_qualified(c.document.patient) for c in documents if c.document)
    if said == qualified:
        return cards
    warning = (_("The message says the patient's INS is qualified (X-MSS-INS: O), but no document "
                 "carries a qualified INS.") if said else
               _("The message says there is no qualified INS (X-MSS-INS: N), but a document carries one."))
    return [replace(c, warnings=(*c.warnings, warning)) if c.document is not None else c for c in cards]
