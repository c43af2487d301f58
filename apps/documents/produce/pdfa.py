"""The PDF beside a CDA is PDF/A-1 (référentiel ECO.2.1.1, 2.1.5): what the professional
uploads is converted by Ghostscript (Debian's ``ghostscript``, the ``pdfwrite`` device with
``-dPDFA=1`` and an sRGB output intent), then the result's PDF/A identification is checked
(its XMP metadata names part 1). A PDF Ghostscript cannot convert is refused with a reason.

Ghostscript runs with ``-dSAFER``, a time limit, no network, in a private temporary folder;
the uploaded bytes are never interpreted by anything else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from mailproto.identifiers import ascii_digits

from ..errors import DocumentUnreadable

TIMEOUT_SECONDS = 60
ICC_CANDIDATES = ("/usr/share/color/icc/ghostscript/srgb.icc", "/usr/share/color/icc/sRGB.icc")
# The XMP packet is ASCII XML written by Ghostscript itself (our own output, not the
# sender's): a bounded, non-backtracking look for the part number.
PART = re.compile(rb"pdfaid:part(?:>|=['\"])\s*([0-9])")


class PdfaUnavailable(RuntimeError):
    """Ghostscript or its sRGB profile is not installed."""


def _icc_profile() -> str:
    for candidate in ICC_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    raise PdfaUnavailable("no sRGB ICC profile (install Debian's ghostscript)")


def _definition(icc: str, title: str) -> str:
    """Ghostscript's PDFA_def.ps, with our profile and title (PostScript strings escaped)."""

    def ps(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    return f"""%!
[ /Title ({ps(title)}) /DOCINFO pdfmark
/ICCProfile ({ps(icc)}) def
[/_objdef {{icc_PDFA}} /type /stream /OBJ pdfmark
[{{icc_PDFA}} << /N 3 >> /PUT pdfmark
[{{icc_PDFA}} ICCProfile (r) file /PUT pdfmark
[/_objdef {{OutputIntent_PDFA}} /type /dict /OBJ pdfmark
[{{OutputIntent_PDFA}} << /Type /OutputIntent /S /GTS_PDFA1 /DestOutputProfile {{icc_PDFA}}
  /OutputConditionIdentifier (sRGB) >> /PUT pdfmark
[{{Catalog}} << /OutputIntents [ {{OutputIntent_PDFA}} ] >> /PUT pdfmark
"""


def _page_count(gs: str, path: Path) -> int:
    """How many pages Ghostscript reads in ``path`` (0 when it reads none, or fails)."""
    try:
        run = subprocess.run(  # noqa: S603 - our argument list, no shell; the file is ours
            [
                gs,
                "-q",
                "-dSAFER",
                "-dNODISPLAY",
                "-dNOPAUSE",
                "-dBATCH",
                f"--permit-file-read={path}",
                "-c",
                f"({path}) (r) file runpdfbegin pdfpagecount = quit",
            ],
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return 0
    last = run.stdout.decode("ascii", "replace").strip().splitlines()[-1:] or ["0"]
    errors = b"Error" in run.stderr or b"Error" in run.stdout
    return int(last[0]) if ascii_digits(last[0]) and not errors and run.returncode == 0 else 0


def pdfa_part(pdf: bytes) -> int | None:
    """The PDF/A part a PDF declares in its XMP metadata (1, 2, 3), None if none."""
    found = PART.search(pdf[-2_000_000:]) or PART.search(pdf[:2_000_000])
    return int(found.group(1)) if found else None


def pdfa_convert(pdf: bytes, *, title: str) -> bytes:
    """``pdf`` as PDF/A-1b. ``DocumentUnreadable("pdfa")`` when Ghostscript refuses it or
    the result is not identified as PDF/A-1; ``PdfaUnavailable`` without Ghostscript."""
    gs = shutil.which("gs")
    if gs is None:
        raise PdfaUnavailable("Ghostscript (gs) is not installed")
    icc = _icc_profile()
    with tempfile.TemporaryDirectory(prefix="mssweb-pdfa-") as folder:
        work = Path(folder)
        (work / "in.pdf").write_bytes(pdf)
        (work / "pdfa.ps").write_text(_definition(icc, title), encoding="latin-1", errors="replace")
        pages = _page_count(gs, work / "in.pdf")
        if pages < 1:
            raise DocumentUnreadable("pdfa", "Ghostscript finds no page in this PDF")
        command = [
            gs,
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            "-dNOOUTERSAVE",
            "-dPDFA=1",
            "-dPDFACompatibilityPolicy=1",
            "-sColorConversionStrategy=RGB",
            "-sProcessColorModel=DeviceRGB",
            "-sDEVICE=pdfwrite",
            f"--permit-file-read={icc}",
            f"-sOutputFile={work / 'out.pdf'}",
            str(work / "pdfa.ps"),
            str(work / "in.pdf"),
        ]
        try:
            run = subprocess.run(  # noqa: S603 - no shell, fixed arguments
                command,
                cwd=work,
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise DocumentUnreadable("pdfa", "Ghostscript took too long") from exc
        out = work / "out.pdf"
        result = out.read_bytes() if out.is_file() else b""
        if run.returncode != 0 or not result.startswith(b"%PDF-"):
            raise DocumentUnreadable("pdfa", run.stderr.decode("utf-8", "replace")[-300:] or "no output")
        if _page_count(gs, out) != pages:  # Ghostscript may drop what it cannot read: nothing lost silently
            raise DocumentUnreadable("pdfa", "pages were lost in the conversion")
    if pdfa_part(result) != 1:
        raise DocumentUnreadable("pdfa", "the result is not identified as PDF/A-1")
    return result
