"""Reading the timeline's SVG in tests: its bars, busy rectangles and lanes, and interval sums."""

import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg):
    return ET.fromstring(svg)


def bars(root):
    return [e for e in root.iter(SVG + "rect") if e.get("class") == "interp-bar"]


def busy(root, lane=None):
    return [e for e in root.iter(SVG + "rect") if e.get("class") == "interp-busy" and lane in (None, e.get("data-lane"))]


def lanes(root):
    return [g.get("data-lane") for g in root.iter(SVG + "g") if g.get("class") == "interp-lane"]


def span(rect):
    x = float(rect.get("x"))
    return x, x + float(rect.get("width"))


def overlap(a, b):
    """Total length shared by two lists of (x0, x1) intervals."""
    total = 0.0
    for a0, a1 in a:
        for b0, b1 in b:
            total += max(0.0, min(a1, b1) - max(a0, b0))
    return total


def length(intervals):
    return sum(x1 - x0 for x0, x1 in intervals)
