"""The MSSanté domain whitelist ("liste blanche"): parse and check it (pure Python).

Only domains listed here belong to the trust space; a client must refuse to send anywhere
else. The official XML repeats a domain once per operator certificate, and mirrored copies
have been seen without the closing root tag: that one defect is tolerated, but a list cut
anywhere else, empty, or whose checksum does not match is refused, so that the previous
list stays in force.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from lxml import etree

NS = "https://listeblanche.mssante.fr/schema"
ROOT_CLOSE = b"</ListeBlancheMSSante>"
MAX_SIZE = 50 * 1024 * 1024  # the real list is ~4 MB
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class WhitelistError(ValueError):
    """The list cannot be trusted; ``str()`` says why, for the operator."""


@dataclass(frozen=True)
class WhitelistDomain:
    name: str  # lower-case ASCII (IDNA), no trailing dot
    description: str
    operator_dn: str
    responsible_contact: str
    support_contact: str
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class Whitelist:
    generated_at: dt.datetime | None
    domains: tuple[WhitelistDomain, ...]
    sha256: str
    repaired: bool  # the closing root tag was missing and was added

    @property
    def names(self) -> frozenset[str]:
        return frozenset(d.name for d in self.domains)


def normalize_domain(value: str) -> str | None:
    """Case-insensitive, IDN-aware form of a domain; None when it is not a domain name."""
    name = (value or "").strip().rstrip(".").lower()
    if not name or len(name) > 253 or any(c.isspace() for c in name):
        return None
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except (UnicodeError, ValueError):
        return None
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return ascii_name


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def whitelist_parse(data: bytes, *, expected_sha256: str | None = None) -> Whitelist:
    if len(data) > MAX_SIZE:
        raise WhitelistError(f"list larger than {MAX_SIZE} bytes")
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 and expected_sha256.strip().lower().split()[0] != digest:
        raise WhitelistError("SHA-256 checksum does not match")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True)
    repaired = False
    body = data.rstrip()
    if not body.endswith(ROOT_CLOSE) and body.endswith(b"</ListeDomaines>"):
        # The known defect of mirrored copies: everything there but the root's closing tag.
        body, repaired = body + b"\n" + ROOT_CLOSE, True
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise WhitelistError(f"not a complete XML document (truncated?): {exc}") from exc
    if etree.QName(root).localname != "ListeBlancheMSSante":
        raise WhitelistError("root element is not ListeBlancheMSSante")

    def text(element: etree._Element, name: str) -> str:
        child = element.find(f"{{{NS}}}{name}")
        if child is None:
            child = element.find(name)
        return (child.text or "").strip() if child is not None else ""

    domains = []
    for entry in root.iter(f"{{{NS}}}Domaine", "Domaine"):
        name = normalize_domain(text(entry, "Nom"))
        if name is None:
            continue  # one bad entry must not cost the whole list
        domains.append(WhitelistDomain(
            name=name, description=text(entry, "Description")[:300],
            operator_dn=text(entry, "DNCertificatOperateur")[:500],
            responsible_contact=text(entry, "ResponsableContact")[:300],
            support_contact=text(entry, "SupportContact")[:300],
            updated_at=_parse_time(text(entry, "DateMAJ"))))
    if not domains:
        raise WhitelistError("the list holds no domain")
    return Whitelist(generated_at=_parse_time(text(root, "DateDeGeneration")),
                     domains=tuple(domains), sha256=digest, repaired=repaired)
