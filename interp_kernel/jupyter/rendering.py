"""How the magics show outcomes: one-line errors, an interpreter's traceback, results.

An error of the magics (a bad name, a value that cannot cross, an unknown interpreter)
is an :class:`InterpMagicError` shown as one line; an exception raised inside an
interpreter is an :class:`InterpCellError` showing the interpreter's own traceback.
Both are raised with a class named after the underlying error (``BadNameError``,
``ZeroDivisionError`` ...) so that frontends show that name. Results are the
interpreter's MIME bundles (:class:`InterpResult`, :class:`InterpResults`), and
``%interp list`` is an :class:`InterpTable`. Nothing here blocks.
"""

import html
import re
import sys

from interp_kernel.views.table import COLUMNS, EMPTY, text_table

_RED = "\x1b[0;31m"
_CYAN = "\x1b[0;36m"
_RESET = "\x1b[0m"

#: What ``%interp list`` shows (text and HTML) when there is no interpreter.


def log(text):
    """Report a problem of ours that no cell should show: one line on the process's
    stderr (a kernel's log). Never raises."""
    try:
        print(f"interp_kernel: {text}", file=sys.__stderr__)
    except Exception:
        pass


# -- errors shown without a traceback of ours -----------------------------------------


class InterpMagicError(Exception):
    """An error of the magics, shown as one line (no traceback of ours).

    Raised with a class named after the underlying error (``BadNameError``,
    ``NotTransferableError``, ``NameError`` ...) so that frontends show that name.
    """

    def _render_traceback_(self):
        return [f"{_RED}{type(self).__name__}{_RESET}: {self}"]


class InterpCellError(Exception):
    """An exception raised inside an interpreter.

    Its class is named after the interpreter's exception (``ZeroDivisionError``,
    ``KeyboardInterrupt`` ...) and it renders the interpreter's own traceback, with
    the cell's line numbers and none of our frames, plus our hint for known failures.
    """

    def __init__(self, message, lines):
        super().__init__(message)
        self.lines = lines

    def _render_traceback_(self):
        return list(self.lines)


_error_classes = {}


def _error_class(ename, base):
    key = (ename, base)
    cls = _error_classes.get(key)
    if cls is None:
        cls = type(str(ename), (base,), {"__module__": "interp_kernel"})
        _error_classes[key] = cls
    return cls


def one_line_error(ename, message):
    """An exception rendered as ``ename: message`` (no traceback)."""
    return _error_class(ename, InterpMagicError)(message)


def from_interp_error(exc):
    """The one-line error for an :class:`~interp_kernel.errors.InterpError` (same class name)."""
    return one_line_error(type(exc).__name__, str(exc))


_OUR_FRAME = re.compile(r'^  File ".*[/\\]interp_kernel[/\\](\w+[/\\])*\w+\.py", line \d+, in ')


def _without_our_frames(lines):
    """Drop frames of interp_kernel's own files (e.g. the agent's ``input``) from a
    formatted traceback: the frame line and its indented source / caret lines."""
    out = []
    skipping = False
    for line in lines:
        if _OUR_FRAME.match(line):
            skipping = True
            continue
        if skipping and line.startswith("    "):
            continue
        skipping = False
        out.append(line)
    return out


def _traceback_lines(info, label=None):
    """Lines of an ErrorInfo's traceback (+ hint), optionally labelled ``[name] ``."""
    lines = info.traceback.rstrip("\n").split("\n") if info.traceback else [f"{info.ename}: {info.evalue}"]
    lines = _without_our_frames(lines)
    if lines and lines[-1].startswith(info.ename):
        lines[-1] = f"{_RED}{info.ename}{_RESET}{lines[-1][len(info.ename):]}"
    if info.hint:
        lines.append(f"{_CYAN}{info.hint}{_RESET}")
    if label:
        lines = [f"[{label}] {line}" for line in lines]
    return lines


def cell_error(failures, labelled=False):
    """The exception for failed runs: ``failures`` maps name -> ErrorInfo.

    With ``labelled`` (a cell with several targets) each line says which interpreter.
    """
    items = list(failures.items())
    if len(items) == 1 and not labelled:
        name, info = items[0]
        return _error_class(info.ename, InterpCellError)(info.evalue, _traceback_lines(info))
    lines = []
    for name, info in items:
        lines.extend(_traceback_lines(info, label=name))
    first = items[0][1]
    message = "; ".join(f"[{name}] {info.ename}: {info.evalue}" for name, info in items)
    return _error_class(first.ename, InterpCellError)(message, lines)


# -- rendering results ----------------------------------------------------------------


class InterpResult:
    """The trailing expression's value of an ``%%interp`` cell, as its MIME bundle.

    The object itself lives in the interpreter; what crosses is its reprs
    (``text/plain`` plus ``_repr_html_`` & co.). Use ``--out`` to copy values.
    """

    def __init__(self, name, data):
        self.name = name
        self.data = dict(data)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return dict(self.data)

    def __repr__(self):
        return self.data.get("text/plain", "")


class InterpResults:
    """The trailing values of a cell run in several interpreters, labelled by name."""

    def __init__(self, results):
        self.results = dict(results)  # name -> MIME bundle

    def __getitem__(self, name):
        return InterpResult(name, self.results[name])

    def _repr_mimebundle_(self, include=None, exclude=None):
        text = "\n".join(f"[{name}] {data.get('text/plain', '')}" for name, data in self.results.items())
        rows = []
        for name, data in self.results.items():
            if "text/html" in data:
                cell = data["text/html"]
            else:
                cell = f"<pre>{html.escape(data.get('text/plain', ''))}</pre>"
            rows.append(f"<tr><th style='text-align:left'>{html.escape(name)}</th><td style='text-align:left'>{cell}</td></tr>")
        table = "<table class='interp-results'>" + "".join(rows) + "</table>"
        return {"text/plain": text, "text/html": table}

    def __repr__(self):
        return self._repr_mimebundle_()["text/plain"]


def result_object(names, results):
    """What a cell shows as its result: one bundle, several labelled, or None."""
    bundles = {n: results[n].data for n in names if results[n].ok and results[n].data}
    if len(names) == 1:
        return InterpResult(names[0], bundles[names[0]]) if bundles else None
    return InterpResults(bundles) if bundles else None


class InterpTable:
    """``%interp list``: one row per interpreter (text and HTML); the rows and the words
    come from :mod:`interp_kernel.views.table`, as the dashboard's do."""

    def __init__(self, rows):
        self.rows = rows

    def _repr_html_(self):
        if not self.rows:
            return f"<p class='interp-list'>{html.escape(EMPTY)}</p>"
        head = "".join(f"<th>{c}</th>" for c in COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in self.rows
        )
        return f"<table class='interp-list'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self):
        return text_table(self.rows)
