#!/usr/bin/env python3
"""Hostile input costs linear time (issue "Reliability"). For header values (From, To,
Subject, Date shapes a sender controls) from 1 KB to the header cap, and HTML bodies from
1 KB to the sanitiser's cap, the time of the parse or sanitise: the median of several runs
at each size, the time per KB at the largest size against the smallest (linear: <= 3), and
the time at the cap (target <= 1 s). No server needed. The last line is one JSON object."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailproto.mime import headers  # noqa: E402
from mailproto.mime.compose_html import compose_html_clean  # noqa: E402
from mailproto.mime.sanitize import sanitize_html  # noqa: E402

KB = 1024
HEADER_SIZES = [1 * KB, 4 * KB, 16 * KB, 64 * KB]  # the last ones past the cap: cut to it
BODY_SIZES = [1 * KB, 10 * KB, 100 * KB, 400 * KB]


def timed(work: Callable[[], object], runs: int = 5, repeat: int = 1) -> float:
    """Median seconds of one ``work()``; ``repeat`` calls per timing, so that the smallest
    inputs are timed above the clock's resolution (caches emptied before each call)."""
    caches = (headers.name_and_address, headers.decode_text, headers.addresses_text)
    times = []
    for _ in range(runs):
        spent = 0.0
        for _ in range(repeat):
            for cached in caches:
                cached.cache_clear()  # type: ignore[attr-defined]
            started = time.perf_counter()
            work()
            spent += time.perf_counter() - started
        times.append(spent / repeat)
    return statistics.median(times)


def header_cases(size: int) -> dict[str, Callable[[], object]]:
    nbsp_from = "\u00a0" * size + "dr.x@domaine.mssante.fr"
    quotes_from = '"' * size + "<dr.x@domaine.mssante.fr>"
    run_to = "a" * size + "@"
    words = (b"=?utf-8?q?" + b"=C2=A0" * 25 + b"?= ") * (size // 160 + 1)
    date = b"Wed, 01 Jan 2025 " + b" 1" * (size // 2)
    return {
        "from_nbsp": lambda: headers.name_and_address(nbsp_from),
        "from_quotes": lambda: headers.name_and_address(quotes_from),
        "to_run": lambda: headers.addresses(run_to),
        "encoded_words": lambda: headers.name_and_address(headers.decode_text(words[:size])),
        "date": lambda: headers.parse_date(date[:size]),
    }


def body_cases(size: int) -> dict[str, Callable[[], object]]:
    svg = "<svg" * (size // 4)
    nested = ("<div><table><tr><td style='color:red;font:12px x'><a href='https://x.fr/'>" * 40
              + "texte" + "</a></td></tr></table></div>" * 40)
    newsletter = (nested * (size // len(nested) + 1))[:size]
    unclosed = "<p title='" * (size // 10)
    divs = "<div>" * (size // 5)  # html5lib's tree builder is quadratic in the depth
    attributes = "<p " + "a " * (size // 2)  # and in the attributes of one tag
    return {
        "svg_openings": lambda: sanitize_html(svg, allow_remote=False, cid_url=None),
        "newsletter": lambda: sanitize_html(newsletter, allow_remote=False, cid_url=None),
        "unclosed_attributes": lambda: sanitize_html(unclosed, allow_remote=False, cid_url=None),
        "nested_divs": lambda: sanitize_html(divs, allow_remote=False, cid_url=None),
        "boolean_attributes": lambda: sanitize_html(attributes, allow_remote=False, cid_url=None),
        "compose_svg": lambda: compose_html_clean(svg),
    }


def measure(cases: Callable[[int], dict[str, Callable[[], object]]], sizes: list[int],
            runs: int) -> dict[str, dict[str, object]]:
    figures: dict[str, dict[str, object]] = {}
    for size in sizes:
        for name, work in cases(size).items():
            repeat = max(1, sizes[-1] // size)
            figures.setdefault(name, {"seconds": {}})["seconds"][f"{size // KB}KB"] = round(  # type: ignore[index]
                timed(work, runs, repeat), 6)
    for values in figures.values():
        seconds = list(values["seconds"].values())  # type: ignore[union-attr]
        per_kb_small = max(seconds[0], 1e-7) / sizes[0]
        per_kb_large = seconds[-1] / sizes[-1]
        values["ratio_per_kb_largest_to_smallest"] = round(per_kb_large / per_kb_small, 2)
        values["at_cap_s"] = seconds[-1]
    return figures


def main() -> int:
    result = {"headers": measure(header_cases, HEADER_SIZES, 7), "bodies": measure(body_cases, BODY_SIZES, 3)}
    for group, cases in result.items():
        for name, values in cases.items():
            ratio = values["ratio_per_kb_largest_to_smallest"]
            print(f"{group:8} {name:22} {values['seconds']}  ratio {ratio}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
