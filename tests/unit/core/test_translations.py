"""The French catalogue is complete: every English msgid has a non-fuzzy translation."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def entries() -> list[tuple[str, str, bool]]:
    text = PO.read_text(encoding="utf-8")
    found = []
    for block in text.split("\n\n"):
        msgid = "".join(re.findall(r'^(?:msgid |")(?:")?(.*)"$', block.split("msgstr")[0], re.M))
        tail = block.split("msgstr", 1)[1] if "msgstr" in block else ""
        msgstr = "".join(re.findall(r'"(.*)"$', tail, re.M))
        found.append((msgid, msgstr, "#, fuzzy" in block))
    return found


def test_every_message_is_translated() -> None:
    missing = [msgid for msgid, msgstr, fuzzy in entries()[1:] if msgid and (not msgstr or fuzzy)]
    assert missing == []


def test_catalogue_covers_the_code(tmp_path: Path) -> None:
    """makemessages over the sources adds no msgid the committed catalogue lacks."""
    import shutil

    work = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", work)
    before = {m for m, _, _ in entries()}
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "makemessages", "-l", "fr",
         "--no-location", "--ignore=.venv", "--ignore=devstack", "--ignore=tests",
         "--ignore=bench", "--ignore=static_collected"],
        cwd=ROOT, check=True, capture_output=True,
        env={**__import__("os").environ, "DJANGO_DEBUG": "1"})
    try:
        after = {m for m, _, _ in entries()}
    finally:
        shutil.copy(work / "fr" / "LC_MESSAGES" / "django.po", PO)
    assert after - before == set()
