"""The records of the benchmark suite: statistics of samples, one family (P1 ... P8) of
rows and targets as stored in the results JSON, number formatting, writing the JSON."""

import json
import os
import statistics
import time


# -- statistics ------------------------------------------------------------------------------


def summary(samples):
    """median, p90, min, mean and n of a list of numbers (in the unit they are in)."""
    s = sorted(samples)
    n = len(s)
    if n == 0:
        return {"median": None, "p90": None, "min": None, "mean": None, "n": 0}
    p90 = s[0] if n == 1 else statistics.quantiles(s, n=10, method="inclusive")[8]
    return {"median": statistics.median(s), "p90": p90, "min": s[0], "mean": statistics.fmean(s), "n": n}


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - t0, value


# -- result records --------------------------------------------------------------------------


class Family:
    """The rows and targets of one measure (P1 ... P8), as stored in the results JSON.

    A row is one contender (``ours`` True for interp_kernel): its statistics in ``unit``.
    A target is a check against a limit with its verdict; a missed one stays in the record.
    """

    def __init__(self, key, title, unit):
        self.key = key
        self.title = title
        self.unit = unit
        self.rows = []
        self.targets = []
        self.notes = []
        self.summary = None  # {"ours": [row keys], "others": [row keys]} for the summary table
        self.chart = None  # {"keys": [row keys], "line": [value, label] or None} for the SVG chart
        self.extra = {}

    def add(self, label, samples, *, ours=False, scale=1.0, unit=None, key=None, **extra):
        """A row from raw samples (seconds are scaled to the family unit by ``scale``)."""
        stats = summary([x * scale for x in samples])
        row = {"key": key or label, "label": label, "ours": ours, "unit": unit or self.unit, **stats, **extra}
        if stats["n"] <= 60:
            row["samples"] = [round(x * scale, 6) for x in samples]
        self.rows.append(row)
        return row

    def value(self, label, value, *, ours=False, unit=None, key=None, p90=None, n=1, **extra):
        """A row that is one derived number (a speed-up, a throughput)."""
        row = {"key": key or label, "label": label, "ours": ours, "unit": unit or self.unit, "median": value,
               "p90": p90, "min": None, "mean": None, "n": n, **extra}
        self.rows.append(row)
        return row

    def row(self, key):
        for row in self.rows:
            if row["key"] == key:
                return row
        raise KeyError(key)

    def target(self, text, value, op, limit, unit, *, headline=True):
        """Record a target: ``value op limit`` (op is ``<=`` or ``>=``)."""
        if value is None:
            met, margin = False, "not measured"
        elif limit == 0:
            met = value <= 0 if op == "<=" else value >= 0
            margin = "met" if met else f"missed by {fmt(abs(value), unit)}"
        elif op == "<=":
            met = value <= limit
            diff = value - limit
            margin = (f"{fmt(-diff, unit)} under the limit" if met
                      else f"missed by {fmt(diff, unit)} ({value / limit:.2f}× the limit)")
        else:
            met = value >= limit
            diff = value - limit
            margin = (f"{fmt(diff, unit)} above the target" if met
                      else f"missed by {fmt(-diff, unit)} (reached {value / limit:.0%} of the target)")
        self.targets.append({"text": text, "value": value, "op": op, "limit": limit, "unit": unit, "met": met,
                             "margin": margin, "headline": headline})

    def note(self, text):
        self.notes.append(text)

    def headline(self, ours, others, short=None):
        """The rows the summary table shows for this measure (``short``: key -> short label)."""
        self.summary = {"ours": list(ours), "others": list(others), "short": dict(short or {})}

    def plot(self, keys, line=None, line_label=None):
        """The rows the SVG chart shows (all in one unit), with an optional target line."""
        self.chart = {"keys": list(keys), "line": line, "line_label": line_label}

    def to_json(self):
        return {"key": self.key, "title": self.title, "unit": self.unit, "rows": self.rows,
                "targets": self.targets, "notes": self.notes, "summary": self.summary, "chart": self.chart,
                **self.extra}


def fmt(value, unit):
    """A number with its unit, with sensible precision."""
    if value is None:
        return "–"
    if unit == "×":
        return f"{value:.2f}×"
    if unit in ("ms", "µs", "MB", "MB/s", "s", "lines"):
        a = abs(value)
        if unit == "lines":
            return f"{value:,.0f} lines"
        if a >= 100:
            text = f"{value:,.0f}"
        elif a >= 10:
            text = f"{value:.1f}"
        elif a >= 1:
            text = f"{value:.2f}"
        else:
            text = f"{value:.3f}"
        return f"{text} {unit}"
    return f"{value:g} {unit}"


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")
