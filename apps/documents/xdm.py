"""IHE XDM packages (``IHE_XDM.zip``) as MSSanté messages carry them, unpacked safely.

A package is recognised by its content, not its name: a ``METADATA.XML`` under
``IHE_XDM/<subset>/``, whatever the case and with or without a root folder around it. The
zip is read under caps (entries, sizes, compression ratio), and refused whole on a path
that climbs out (``..``), an absolute path or a symbolic link. ``METADATA.XML`` (ebRIM 3.0
SubmitObjectsRequest) gives each DocumentEntry: its file (``URI``), hash and size (checked
against the file), patient, authors, class, type, format and confidentiality codes, title
and creation time. README.TXT and INDEX.HTM are kept as text only.
"""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from .errors import DocumentUnreadable
from .safexml import xml_parse

MAX_ENTRIES = 500
MAX_ENTRY_BYTES = 30 * 1024 * 1024
MAX_TOTAL_BYTES = 100 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed, for entries over RATIO_FROM bytes
RATIO_FROM = 1024 * 1024

RIM = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"
CLASS_CODE = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
TYPE_CODE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
FORMAT_CODE = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
CONFIDENTIALITY = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"


@dataclass(frozen=True)
class Code:
    code: str
    scheme: str
    label: str


@dataclass(frozen=True)
class DocumentEntry:
    """One DocumentEntry of METADATA.XML."""

    uri: str
    title: str
    mime_type: str
    hash: str
    size: int | None
    creation_time: str
    patient_id: str  # "<id>^^^&<OID>&ISO"
    authors: tuple[str, ...]
    class_code: Code | None
    type_code: Code | None
    format_code: Code | None
    confidentiality: Code | None


@dataclass(frozen=True)
class XdmDocument:
    path: str  # inside the zip, as written there
    data: bytes
    entry: DocumentEntry | None
    problems: tuple[str, ...]  # "hash", "size": what did not match METADATA


@dataclass(frozen=True)
class XdmPackage:
    documents: tuple[XdmDocument, ...]
    readme: str
    index: str
    missing: tuple[str, ...]  # URIs METADATA names that the zip lacks
    # the subset's other files by upper-cased name (images, PDFs a narrative links to)
    files: dict[str, bytes] = field(default_factory=dict, repr=False)


def looks_like_xdm(data: bytes) -> bool:
    """A zip holding ``IHE_XDM/<subset>/METADATA.XML`` (any case, any root folder), read
    from its directory only."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _metadata_name([i.filename for i in archive.infolist()]) is not None
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _metadata_name(names: list[str]) -> str | None:
    for name in names:
        parts = name.replace("\\", "/").split("/")
        if len(parts) >= 3 and parts[-1].upper() == "METADATA.XML" and parts[-3].upper() == "IHE_XDM":
            return name
    return None


def _safe_name(name: str) -> str:
    path = name.replace("\\", "/")
    parts = path.split("/")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":") or ".." in parts:
        raise DocumentUnreadable("zip_path", name[:200])
    return path


def _entries(data: bytes) -> dict[str, bytes]:
    """Every file of the zip by its (normalised) path, read under the caps."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentUnreadable("not_zip", str(exc)[:200]) from exc
    files: dict[str, bytes] = {}
    total = 0
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise DocumentUnreadable("zip_entries", str(len(infos)))
        for info in infos:
            name = _safe_name(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise DocumentUnreadable("zip_link", name[:200])
            if info.is_dir():
                continue
            declared = info.file_size
            if declared > MAX_ENTRY_BYTES or total + declared > MAX_TOTAL_BYTES or (
                    declared > RATIO_FROM and declared > MAX_RATIO * max(info.compress_size, 1)):
                raise DocumentUnreadable("zip_bomb", f"{name[:100]}: {declared} from {info.compress_size}")
            try:
                with archive.open(info) as member:
                    content = member.read(MAX_ENTRY_BYTES + 1)  # the header may lie: read no more
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
                raise DocumentUnreadable("not_zip", f"{name[:100]}: {exc}") from exc
            if len(content) > MAX_ENTRY_BYTES or len(content) != declared:
                raise DocumentUnreadable("zip_bomb", f"{name[:100]}: {len(content)} read, {declared} said")
            total += len(content)
            files[name] = content
    return files


def xdm_read(data: bytes) -> XdmPackage:
    """The documents of an XDM package with their metadata, each checked against its hash
    and size. ``DocumentUnreadable`` for a zip that is unsafe or has no METADATA.XML."""
    files = _entries(data)
    metadata_path = _metadata_name(list(files))
    if metadata_path is None:
        raise DocumentUnreadable("no_metadata")
    subset = metadata_path.rsplit("/", 1)[0] + "/" if "/" in metadata_path else ""
    root_dir = "/".join(metadata_path.split("/")[:-3])
    root_dir = root_dir + "/" if root_dir else ""
    entries = metadata_read(files[metadata_path])
    by_upper = {path.upper(): path for path in files}
    documents, missing = [], []
    for entry in entries:
        path = by_upper.get((subset + entry.uri).upper())
        if path is None:
            missing.append(entry.uri)
            continue
        content = files[path]
        problems = []
        digest = hashlib.sha1(content, usedforsecurity=False).hexdigest()  # XDS's hash is SHA-1
        if entry.hash and digest.lower() != entry.hash.lower():
            problems.append("hash")
        if entry.size is not None and entry.size != len(content):
            problems.append("size")
        documents.append(XdmDocument(path=path, data=content, entry=entry, problems=tuple(problems)))
    used = {d.path for d in documents} | {metadata_path}
    others = {path.rsplit("/", 1)[-1].upper(): content for path, content in files.items()
              if path.upper().startswith(subset.upper()) and path not in used}
    return XdmPackage(documents=tuple(documents), readme=_text(files, by_upper, root_dir + "README.TXT"),
                      index=_text(files, by_upper, root_dir + "INDEX.HTM"), missing=tuple(missing),
                      files=others)


def _text(files: dict[str, bytes], by_upper: dict[str, str], name: str) -> str:
    path = by_upper.get(name.upper())
    return files[path][:200_000].decode("utf-8", "replace") if path else ""


def metadata_read(data: bytes) -> list[DocumentEntry]:
    """The DocumentEntries (ExtrinsicObjects) of an ebRIM METADATA.XML."""
    try:
        root = xml_parse(data)
    except DocumentUnreadable as exc:
        raise DocumentUnreadable("metadata", exc.detail or exc.reason) from exc
    return [_entry(obj) for obj in root.iter(f"{RIM}ExtrinsicObject")]


def _slot(element: etree._Element, name: str) -> list[str]:
    for slot in element.findall(f"{RIM}Slot"):
        if slot.get("name") == name:
            return [(v.text or "").strip() for v in slot.iter(f"{RIM}Value")]
    return []


def _localized(element: etree._Element, tag: str) -> str:
    found = element.find(f"{RIM}{tag}/{RIM}LocalizedString")
    return (found.get("value") or "").strip() if found is not None else ""


def _classification(obj: etree._Element, scheme: str) -> list[etree._Element]:
    return [c for c in obj.findall(f"{RIM}Classification") if c.get("classificationScheme") == scheme]


def _code(obj: etree._Element, scheme: str) -> Code | None:
    found = _classification(obj, scheme)
    if not found:
        return None
    node = found[0]
    code_system = _slot(node, "codingScheme")
    return Code(code=node.get("nodeRepresentation") or "", scheme=code_system[0] if code_system else "",
                label=_localized(node, "Name"))


def _entry(obj: etree._Element) -> DocumentEntry:
    size = _slot(obj, "size")
    patient = [e.get("value") or "" for e in obj.findall(f"{RIM}ExternalIdentifier")
               if e.get("identificationScheme") == PATIENT_ID]
    authors = tuple(person for c in _classification(obj, AUTHOR) for person in _slot(c, "authorPerson"))
    # XDM names the file in the URI slot; some packages leave it out and name the file
    # after the entry's id.
    uri = _slot(obj, "URI") or ([f"{obj.get('id')}.xml"] if obj.get("id") else [])
    return DocumentEntry(
        uri=uri[0] if uri else "", title=_localized(obj, "Name"), mime_type=obj.get("mimeType") or "",
        hash=(_slot(obj, "hash") or [""])[0],
        size=int(size[0]) if size and size[0].isascii() and size[0].isdigit() else None,
        creation_time=(_slot(obj, "creationTime") or [""])[0],
        patient_id=patient[0] if patient else (_slot(obj, "sourcePatientId") or [""])[0],
        authors=authors, class_code=_code(obj, CLASS_CODE), type_code=_code(obj, TYPE_CODE),
        format_code=_code(obj, FORMAT_CODE), confidentiality=_code(obj, CONFIDENTIALITY))
