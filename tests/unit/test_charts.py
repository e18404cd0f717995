"""Charts: well-formed SVG with a text alternative, bars to scale, escaped labels, no bar for a hidden value."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reports import Bar, bar_chart, hbar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_bar_chart_has_a_title_and_an_aria_label():
    root = parse(bar_chart([Bar("Jan. 26", 10, "10"), Bar("Feb. 26", 5, "5")], title="Anrufe pro Monat",
                           chart_id="c1"))
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Anrufe pro Monat"
    assert root.find(f"{SVG}title").text == "Anrufe pro Monat"
    assert root.get("viewBox").startswith("0 0 360 ")


def test_bars_are_drawn_to_scale():
    root = parse(bar_chart([Bar("a", 10, "10"), Bar("b", 5, "5"), Bar("c", 0, "0")], title="t", chart_id="c"))
    heights = [float(rect.get("height")) for rect in root.iter(f"{SVG}rect")]
    assert len(heights) == 2  # no bar for zero
    assert heights[0] == 2 * heights[1]


def test_a_suppressed_value_gets_its_text_but_no_bar():
    svg = bar_chart([Bar("Wennigsen", None, "<3"), Bar("Hannover", 12, "12")], title="t", chart_id="c")
    root = parse(svg)
    assert len(list(root.iter(f"{SVG}rect"))) == 1
    assert "&lt;3" in svg and "<3" not in svg.replace("&lt;3", "")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "<3" in texts


def test_labels_are_escaped():
    svg = hbar_chart([Bar('Müller & Söhne <script>"', 3, "3")], title='A & B "quoted"', chart_id="c")
    root = parse(svg)  # would raise on unescaped markup
    assert "<script>" not in svg
    assert root.get("aria-label") == 'A & B "quoted"'
    assert any("Müller & Söhne" in (t.text or "") for t in root.iter(f"{SVG}text"))


def test_hbar_chart_has_one_bar_per_value_and_grows_with_the_rows():
    bars = [Bar(f"Gemeinde {i}", i + 1, str(i + 1)) for i in range(21)]
    root = parse(hbar_chart(bars, title="Anrufe nach Gemeinde", chart_id="m"))
    assert len(list(root.iter(f"{SVG}rect"))) == 21
    assert float(root.get("viewBox").split()[3]) > 21 * 20
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[-1] == max(widths)


def test_histogram_marks_the_promise_after_the_given_bar():
    bars = [Bar("0–30", 4, "4"), Bar("30–60", 3, "3"), Bar("60–90", 2, "<3"), Bar("90–120", 1, "<3")]
    svg = bar_chart(bars, title="Zeit bis zur Betreuungskraft", chart_id="w", marker_after=2,
                    marker_label="Versprechen: 90 Min.")
    root = parse(svg)
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 1
    rects = list(root.iter(f"{SVG}rect"))
    third_end = float(rects[2].get("x")) + float(rects[2].get("width"))
    assert third_end < float(dashed[0].get("x1")) < float(rects[3].get("x"))
    assert "Versprechen: 90 Min." in svg


def test_line_chart_breaks_where_a_value_is_missing_and_draws_the_reference():
    points = [Bar("Jan.", 40, "40,0"), Bar("Feb.", 50, "50,0"), Bar("März", None, "–"), Bar("Apr.", 70, "70,0"),
              Bar("Mai", 60, "60,0")]
    root = parse(line_chart(points, title="Median", chart_id="l", reference=90, reference_label="90 Min."))
    polylines = list(root.iter(f"{SVG}polyline"))
    assert len(polylines) == 2
    assert len(list(root.iter(f"{SVG}circle"))) == 4
    reference = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(reference) == 1
    # the reference (90) lies above every point (smaller y is higher)
    ys = [float(c.get("cy")) for c in root.iter(f"{SVG}circle")]
    assert float(reference[0].get("y1")) < min(ys)


def test_empty_charts_are_still_valid_svg():
    for svg in (bar_chart([], title="leer", chart_id="a"), hbar_chart([], title="leer", chart_id="b"),
                line_chart([], title="leer", chart_id="c")):
        assert parse(svg).get("aria-label") == "leer"
