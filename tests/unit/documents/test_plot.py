"""An analyte's values over time, drawn on the server (issue 26): one dot per value, oldest
left, the reference band, abnormal values marked by shape too, the same said in words; text
from a report escaped; what is not a number not plotted."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from apps.documents.plot import Point, analyte_svg, number

SVG = "{http://www.w3.org/2000/svg}"


def test_three_reports_make_three_dots_a_line_and_a_band() -> None:
    day = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    points = [Point(day + dt.timedelta(days=60), 11.1, abnormal=True), Point(day, 13.5),
              Point(day + dt.timedelta(days=30), 12.4)]
    svg = etree.fromstring(analyte_svg(label="Hémoglobine <b>", unit="g/dL", points=points, low=12, high=16))
    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title").text
    assert title == ("Hémoglobine <b> : 3 valeur(s) du 05/01/2026 au 06/03/2026, dernière 11.1 g/dL, "
                     "normale 12 – 16")  # escaped in the SVG's text, read back whole
    circles, squares = svg.findall(f"{SVG}circle"), svg.findall(f"{SVG}rect[@class='value abnormal']")
    assert len(circles) == 2 and len(squares) == 1
    xs = [float(c.get("cx")) for c in circles] + [float(squares[0].get("x")) + 4]
    assert xs == sorted(xs)  # oldest left, the abnormal latest on the right
    band = svg.find(f"{SVG}rect[@class='reference']")
    ys = [float(c.get("cy")) for c in circles]
    assert float(band.get("y")) < min(ys) and max(ys) < float(band.get("y")) + float(band.get("height"))
    assert float(squares[0].get("y")) + 4 > float(band.get("y")) + float(band.get("height"))  # below the range
    assert len(svg.find(f"{SVG}polyline").get("points").split()) == 3


def test_what_a_report_writes_is_read_as_a_number_only_when_it_is_one() -> None:
    assert [number(t) for t in ("13,2", "1.950", "-0.5", "positif", "< 5", "1.2.3", "", "1e9")] == [
        13.2, 1.95, -0.5, None, None, None, None, None]
    assert analyte_svg(label="x", unit="", points=[]) == ""
