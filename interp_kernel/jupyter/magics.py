"""The ``%%interp`` cell magic and the ``%interp`` line magics.

Argument parsing (IPython's ``magic_arguments``) and rendering only: the work is done
by :class:`interp_kernel.runtime.manager.Manager`. One manager per IPython shell, created on
first use and shut down with the shell (or the kernel).

Output routing: every ``%%interp`` cell captures *where its output goes* when it
starts (in a kernel: the parent header of the execute request; in a terminal: the
streams). The interpreters' output, displays and results are sent there by one
publisher thread, so a ``--bg`` cell keeps writing into the cell that started it
while other cells run.
"""

import atexit
import html
import queue
import re
import sys
import threading
import time

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import (
    MagicArgumentParser,
    argument,
    kwds,
    magic_arguments,
    parse_argstring,
)

from interp_kernel.errors import InterpError
from interp_kernel.runtime.jobs import wait_event
from interp_kernel.runtime.names import check_python_name
from interp_kernel.runtime.session import CONFIGS
from interp_kernel.jupyter import shell as shell_escapes
from interp_kernel.jupyter.sigint import CellStartGuard, InterruptGate
from interp_kernel.views.units import format_duration

_MANAGER_ATTR = "_interp_manager"
_MAGICS_ATTR = "_interp_magics"

#: How long an interrupted foreground cell may take to stop before the magic gives up
#: waiting (the cell then goes on as a background job).
INTERRUPT_GRACE = 2.0

_RED = "\x1b[0;31m"
_CYAN = "\x1b[0;36m"
_RESET = "\x1b[0m"


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


def _from_interp_error(exc):
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


def _result_object(names, results):
    """What a cell shows as its result: one bundle, several labelled, or None."""
    bundles = {n: results[n].data for n in names if results[n].ok and results[n].data}
    if len(names) == 1:
        return InterpResult(names[0], bundles[names[0]]) if bundles else None
    return InterpResults(bundles) if bundles else None


class InterpTable:
    """``%interp list``: one row per interpreter (text and HTML)."""

    COLUMNS = ("name", "id", "config", "state", "cells run", "last duration")

    def __init__(self, rows):
        self.rows = rows

    def _repr_html_(self):
        head = "".join(f"<th>{c}</th>" for c in self.COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in self.rows
        )
        return f"<table class='interp-list'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self):
        if not self.rows:
            return "no interpreters (create one with %interp create NAME or %%interp NAME)"
        table = [self.COLUMNS] + [tuple(str(v) for v in row) for row in self.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(self.COLUMNS))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in table]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)




# -- where output goes --------------------------------------------------------------


class CellTarget:
    """Where the output of one ``%%interp`` cell goes: the cell that started it."""

    __slots__ = ("parent", "ident", "allow_stdin", "stdout", "stderr", "background", "cancelled")

    def __init__(self, parent=None, ident=None, allow_stdin=False, stdout=None, stderr=None):
        self.parent = parent
        self.ident = ident
        self.allow_stdin = allow_stdin
        self.stdout = stdout
        self.stderr = stderr
        self.background = False
        self.cancelled = threading.Event()  # set when an interrupt cancels pending input


class Router:
    """Publishes interpreters' output into the cell that started them.

    In a kernel (our own or a stock ipykernel with ``%load_ext interp_kernel``) it
    sends iopub messages with the starting cell's parent header, from one publisher
    thread that batches consecutive stream text; elsewhere (terminal IPython) it
    writes to the streams of the starting cell and uses IPython's display publisher.
    """

    #: Seconds between two stream messages while output floods in.
    MIN_INTERVAL = 0.02
    #: Pieces of output gathered in one batch that count as a flood.
    FLOOD = 16

    def __init__(self, shell):
        kernel = getattr(shell, "kernel", None)
        if kernel is not None and not (hasattr(kernel, "session") and hasattr(kernel, "iopub_socket")):
            kernel = None
        self.kernel = kernel
        self.shell = shell
        self._queue = queue.SimpleQueue()
        self._thread = None
        self._lock = threading.Lock()
        self._stdin_lock = threading.Lock()

    # -- capture ------------------------------------------------------------------

    def target(self):
        """Where output of a cell started now should go (call from the cell's thread)."""
        kernel = self.kernel
        if kernel is None:
            return CellTarget(stdout=sys.stdout, stderr=sys.stderr, allow_stdin=True)
        parent = kernel.get_parent("shell") if hasattr(kernel, "get_parent") else getattr(kernel, "_parent_header", {})
        try:
            ident = kernel._parent_ident["shell"]
        except Exception:
            ident = None
        return CellTarget(parent=parent, ident=ident, allow_stdin=bool(getattr(kernel, "_allow_stdin", False)))

    # -- publishing (any thread) ------------------------------------------------------

    def stream(self, target, name, text):
        self._put(("stream", target, name, text))

    def display(self, target, data, metadata=None, display_id=None, update=False):
        """Show a MIME bundle; with ``display_id`` it can be updated in place later
        (``update=True`` replaces the output shown with that id)."""
        self._put(("display", target, data, (metadata or {}, display_id, update)))

    def clear(self, target, wait=False):
        """Clear ``target``'s cell output (with ``wait``: when new output arrives)."""
        self._put(("clear", target, bool(wait), None))

    def error(self, target, exc):
        """Show a cell error (InterpCellError or InterpMagicError) in ``target``'s cell."""
        self._put(("error", target, exc, None))

    def flush(self, timeout=10.0):
        """Wait until everything queued so far has been published."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._put(("flush", None, done, None))
        return done.wait(timeout)

    def _put(self, item):
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="interp-output", daemon=True)
                    self._thread.start()
        self._queue.put(item)

    def _run(self):
        get = self._queue.get
        get_nowait = self._queue.get_nowait
        last_send = 0.0
        flooded = False
        while True:
            batch = [get()]
            # Output goes out at once; but under a flood (the last batch gathered many
            # pieces) text is gathered for MIN_INTERVAL so the client gets a few large
            # messages (a slow iopub subscriber would otherwise make ZeroMQ drop some).
            if flooded and batch[0][0] == "stream":
                pause = last_send + self.MIN_INTERVAL - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            last_send = time.monotonic()
            while len(batch) < 65536:
                try:
                    batch.append(get_nowait())
                except queue.Empty:
                    break
            flooded = len(batch) >= self.FLOOD
            pending = None  # (target, name, [texts]) of consecutive stream items
            for kind, target, a, b in batch:
                if kind == "stream":
                    if pending is not None and pending[0] is target and pending[1] == a:
                        pending[2].append(b)
                        continue
                    if pending is not None:
                        self._send_stream(*pending)
                    pending = (target, a, [b])
                    continue
                if pending is not None:
                    self._send_stream(*pending)
                    pending = None
                try:
                    if kind == "display":
                        self._send_display(target, a, *b)
                    elif kind == "clear":
                        self._send_clear(target, a)
                    elif kind == "error":
                        self._send_error(target, a)
                    elif kind == "flush":
                        a.set()
                except Exception as exc:  # never let the publisher die
                    _log(f"could not publish {kind}: {exc!r}")
            if pending is not None:
                self._send_stream(*pending)

    def _send_stream(self, target, name, texts):
        text = "".join(texts)
        try:
            if self.kernel is not None:
                self.kernel.session.send(
                    self.kernel.iopub_socket, "stream", {"name": name, "text": text},
                    parent=target.parent, ident=b"stream." + name.encode(),
                )
            else:
                stream = target.stderr if name == "stderr" else target.stdout
                stream.write(text)
                stream.flush()
        except Exception as exc:
            _log(f"could not publish output: {exc!r}")

    def _send_display(self, target, data, metadata, display_id=None, update=False):
        transient = {} if display_id is None else {"display_id": display_id}
        if self.kernel is not None:
            msg_type = "update_display_data" if update else "display_data"
            self.kernel.session.send(
                self.kernel.iopub_socket, msg_type,
                {"data": data, "metadata": metadata, "transient": transient},
                parent=target.parent, ident=msg_type.encode(),
            )
        else:
            from IPython.display import publish_display_data

            publish_display_data(data, metadata, transient=transient, update=update)

    def _send_clear(self, target, wait):
        if self.kernel is not None:
            self.kernel.session.send(
                self.kernel.iopub_socket, "clear_output", {"wait": wait},
                parent=target.parent, ident=b"clear_output",
            )
        else:
            from IPython.display import clear_output

            clear_output(wait)

    def _send_error(self, target, exc):
        lines = exc._render_traceback_()
        if self.kernel is not None:
            self.kernel.session.send(
                self.kernel.iopub_socket, "error",
                {"ename": type(exc).__name__, "evalue": str(exc), "traceback": lines},
                parent=target.parent, ident=b"error",
            )
        else:
            stream = target.stderr or sys.stderr
            stream.write("\n".join(lines) + "\n")
            stream.flush()

    # -- input ------------------------------------------------------------------------

    def ask(self, target, prompt, password=False):
        """Answer ``input()`` in an interpreter: a stdin request to the starting cell's frontend.

        Returns None (the interpreter raises EOFError) for background cells, when the
        frontend does not accept input, or when the cell is interrupted meanwhile.
        """
        if target.background or not target.allow_stdin or target.cancelled.is_set():
            return None
        self.flush()
        if self.kernel is None:
            try:
                if password:
                    import getpass

                    return getpass.getpass(prompt)
                return input(prompt)
            except (EOFError, KeyboardInterrupt):
                return None
        import zmq

        kernel = self.kernel
        socket = kernel.stdin_socket
        with self._stdin_lock:
            while True:  # purge stale replies
                try:
                    socket.recv_multipart(zmq.NOBLOCK)
                except zmq.ZMQError:
                    break
            kernel.session.send(socket, "input_request", {"prompt": prompt, "password": bool(password)},
                                target.parent, ident=target.ident)
            while not target.cancelled.is_set():
                rlist, _, xlist = zmq.select([socket], [], [socket], 0.05)
                if rlist or xlist:
                    ident, reply = kernel.session.recv(socket)
                    if reply is not None:
                        break
            else:
                return None
        try:
            value = reply["content"]["value"]
        except Exception:
            return ""
        return None if value == "\x04" else value


def _warn_undestroyed(names, what_now):
    """Tell the user that these interpreters' old interpreter could not be destroyed."""
    if names:
        print(f"warning: {', '.join(names)} could not be destroyed (a thread of its own still runs, "
              f"or is stuck in a C call); {what_now}, and the old one will be cleaned up when the "
              f"kernel exits", file=sys.stderr)


def _log(text):
    try:
        print(f"interp_kernel: {text}", file=sys.__stderr__)
    except Exception:
        pass


class _Labeller:
    """``on_output`` for one interpreter of a cell: labels each line ``[name] `` when asked."""

    __slots__ = ("router", "target", "prefix", "at_start", "status")

    def __init__(self, router, target, label=None, status=None):
        self.router = router
        self.target = target
        self.prefix = f"[{label}] " if label else None
        self.at_start = {"stdout": True, "stderr": True}
        self.status = status  # the status line of a --bg job (counts lines), or None

    def __call__(self, stream, text):
        if self.status is not None:
            self.status.output(text, stream)
        if self.prefix is not None and text:
            pieces = text.splitlines(True)
            start = self.at_start.get(stream, True)
            out = []
            for piece in pieces:
                out.append(self.prefix + piece if start else piece)
                start = piece.endswith("\n")
            self.at_start[stream] = start
            text = "".join(out)
        self.router.stream(self.target, stream, text)


# -- background jobs ------------------------------------------------------------------


def _status_line(handle, names, shell):
    """The live status line of a --bg job (interp_kernel.jupyter.bgstatus), or None if unavailable."""
    try:
        from interp_kernel.jupyter.bgstatus import BackgroundStatus
    except ImportError:
        return None
    try:
        return BackgroundStatus(handle, names=names, shell=shell)
    except Exception as exc:
        _log(f"no status line for {handle!r}: {exc!r}")
        return None


class BackgroundJob:
    """A ``%%interp ... --bg`` cell running in one or more interpreters.

    Its output keeps landing in the cell that started it. ``wait()`` blocks for
    the results, ``interrupt()`` stops it; ``%interp wait NAME`` and
    ``%interp interrupt NAME`` do the same from a cell.
    """

    def __init__(self, magics, handle, names, jobs, target, outputs, status=None):
        self._magics = magics
        self.status_line = status  # a bgstatus.BackgroundStatus shown in the starting cell, or None
        self.handle = handle  # the variable it is bound to (or the interpreter names)
        self.names = list(names)
        self.jobs = dict(jobs)  # name -> Job
        self.target = target
        self.outputs = list(outputs or [])
        self.results = None  # name -> RunResult, once done
        self.error = None  # the exception wait() raises, once done
        self.value = None  # what wait() returns, once done
        self.started = time.perf_counter()
        self.ended = None
        self._done = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name=f"interp-bg-{handle}", daemon=True)

    def _start(self):
        if self.status_line is not None:
            try:
                self.status_line.start()
            except Exception as exc:
                _log(f"could not show the status line of {self.handle!r}: {exc!r}")
        self._watcher.start()

    @property
    def done(self):
        return self._done.is_set()

    @property
    def status(self):
        if not self._done.is_set():
            return "running"
        return "error" if self.error is not None else "ok"

    def running_in(self, session):
        job = self.jobs.get(session.name)
        return job is not None and job.session is session and not job.finished()

    def interrupt(self):
        """Interrupt the job in every interpreter where it is running; True if any was."""
        hit = False
        for job in self.jobs.values():
            if not job.finished() and job.session.current is job:
                hit = job.session.interrupt() or hit
        return hit

    def wait(self, timeout=None):
        """Wait for the job; returns the result (or raises the cell's error)."""
        if not wait_event(self._done, timeout):
            raise TimeoutError(f"background job {self.handle!r} is still running after {timeout} s")
        if self.error is not None:
            raise self.error
        return self.value

    def _watch(self):
        for job in self.jobs.values():
            job.done.wait()
        results = {name: job.result for name, job in self.jobs.items()}
        self.results = results
        router = self._magics.router
        try:
            error, value = self._magics._conclude(self.names, results, self.outputs)
        except Exception as exc:  # a bug of ours: show it, do not die silently
            error, value = one_line_error(type(exc).__name__, str(exc)), None
        self.error, self.value = error, value
        self.ended = time.perf_counter()
        if self.status_line is not None:
            statuses = [r.status for r in results.values()]
            state = "interrupted" if "interrupted" in statuses else ("error" if error is not None else "ok")
            detail = ""
            if error is not None:
                detail = type(error).__name__
                message = str(error).split("\n")[0]
                if message:
                    detail = f"{detail}: {message}"[:120]
            try:
                self.status_line.finish(state, self.ended - self.started, detail)
            except Exception as exc:
                _log(f"could not update the status line of {self.handle!r}: {exc!r}")
        if error is not None:
            router.error(self.target, error)
        elif value is not None:
            router.display(self.target, value._repr_mimebundle_())
        router.flush()
        self._done.set()

    def __repr__(self):
        where = ", ".join(self.names)
        return f"<interp background job {self.handle!r} in {where}: {self.status}>"


# -- the magics ---------------------------------------------------------------------


class _Parser(MagicArgumentParser):
    """MagicArgumentParser that also accepts what newer argparse passes to subparsers
    (``color``, ``suggest_on_error`` on 3.14), with colour off (help goes to a pager)."""

    def __init__(self, *args, **kwargs):
        suggest = kwargs.pop("suggest_on_error", None)
        kwargs.pop("color", None)
        super().__init__(*args, **kwargs)
        if hasattr(self, "color"):
            self.color = False
        if suggest is not None:
            self.suggest_on_error = suggest


def _line_parser():
    parser = _Parser(
        prog="interp",  # the help formatter adds the % escape
        description="Manage the named subinterpreters that %%interp cells run in.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("list", help="a table of the interpreters: name, id, config, state, cells run, last duration",
                       description="Show every interpreter: name, id, config, state (idle/running/bg), "
                                   "cells run and the duration of the last cell.")
    p = sub.add_parser("create", help="create interpreters", description="Create interpreters (no-op if they exist with this config).")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("--config", choices=CONFIGS, default=None,
                   help="isolated (own GIL, runs in parallel; the default) or legacy (shared GIL)")
    p = sub.add_parser("close", help="close interpreters (destroy them)",
                       description="Close interpreters: interrupt what they run, then destroy them.")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.add_argument("--all", action="store_true", help="close every interpreter")
    p = sub.add_parser("reset", help="replace interpreters by fresh ones (same name and config)",
                       description="Close interpreters and create fresh ones with the same name and config.")
    p.add_argument("names", nargs="+", metavar="NAME")
    p = sub.add_parser("push", help="copy main variables into an interpreter",
                       description="Copy variables of the main namespace into an interpreter's __main__ "
                                   "(shareable objects directly, pickle otherwise).")
    p.add_argument("name", metavar="NAME")
    p.add_argument("variables", nargs="+", metavar="VAR")
    p = sub.add_parser("pull", help="copy an interpreter's variables into main",
                       description="Copy variables of an interpreter's __main__ into the main namespace.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("variables", nargs="+", metavar="VAR")
    p = sub.add_parser("interrupt", help="interrupt what an interpreter or a --bg job runs",
                       description="Raise KeyboardInterrupt in the cell an interpreter runs; NAME is an "
                                   "interpreter or the handle of a --bg job.")
    p.add_argument("names", nargs="+", metavar="NAME")
    p = sub.add_parser("wait", help="wait for a --bg job and show its result or error",
                       description="Wait for a --bg job (by its handle, or the interpreter it runs in) and "
                                   "show its result or error.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--timeout", type=float, default=None, metavar="S", help="give up after S seconds")
    p = sub.add_parser("queue", help="create a named cross-interpreter queue",
                       description="Create (or get) a queue bound as QNAME in main and in every interpreter, "
                                   "existing and created later. q.put(obj), q.get(timeout=S), q.qsize(); "
                                   "any picklable object.")
    p.add_argument("qname", metavar="QNAME")
    p.add_argument("--maxsize", type=int, default=0, metavar="N", help="block put() when N items wait (0: unbounded)")
    sub.add_parser("dashboard", help="a live widget: the interpreters, their state, Interrupt/Reset/Close buttons",
                   description="Show a live dashboard (ipywidgets) of the interpreters: name, id, config, "
                               "state, cells run, time, and Interrupt / Reset / Close buttons.")
    p = sub.add_parser("timeline", help="an SVG timeline of which interpreter ran when",
                       description="Draw the runs of the interpreters (and of main's cells) on a time axis: "
                                   "one lane per interpreter, a bar per run, solid where it was on a CPU.")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--last", type=int, default=None, metavar="N", help="only the last N runs")
    which.add_argument("--since-reset", action="store_true",
                       help="only the runs since the last reset or close of an interpreter")
    p.add_argument("--width", type=int, default=800, metavar="PX", help="width of the picture (default 800)")
    sub.add_parser("help", help="show this help", description="Show the help of %interp and %%interp.")
    return parser


LINE_PARSER = _line_parser()


def _line_help():
    parts = [LINE_PARSER.format_help().rstrip()]
    for name, sub in LINE_PARSER._subparsers._group_actions[0].choices.items():
        parts.append(sub.format_help().rstrip())
    return "\n\n".join(parts)


def _check_variables(names, what="variable"):
    try:
        for name in names:
            check_python_name(name, what)
    except InterpError as exc:
        raise _from_interp_error(exc) from None


@magics_class
class InterpMagics(Magics):
    """``%%interp`` and ``%interp``: cells and management of named subinterpreters."""

    def __init__(self, shell, manager=None):
        super().__init__(shell)
        if manager is None:
            from interp_kernel.runtime.manager import Manager

            manager = Manager()
        self.manager = manager
        self.router = Router(shell)
        self.jobs = {}  # handle -> BackgroundJob (latest per handle)
        self.dashboards = []  # Dashboard widgets opened by %interp dashboard
        self.cell_start_guard = CellStartGuard()

    # -- helpers ----------------------------------------------------------------------

    def _session(self, name, config=None, create=True):
        try:
            if create:
                return self.manager.session(name, config=config)
            return self.manager.get(name)
        except InterpError as exc:
            raise _from_interp_error(exc) from None
        except RuntimeError as exc:  # the interpreter could not start
            raise one_line_error("InterpError", str(exc)) from None

    def _inputs(self, names):
        """Values of main variables for --in / push (Session.push checks they can cross
        before it binds any)."""
        _check_variables(names)
        values = {}
        for name in names:
            if name not in self.shell.user_ns:
                raise one_line_error("NameError", f"name {name!r} is not defined in the main interpreter")
            values[name] = self.shell.user_ns[name]
        return values

    def _push(self, session, values):
        try:
            session.push(**values)
        except InterpError as exc:
            raise _from_interp_error(exc) from None

    def _pull(self, session, names):
        """A dict name -> value; one-line errors."""
        try:
            values = session.pull(*names)
        except NameError as exc:
            raise one_line_error("NameError", f"[{session.name}] {exc}") from None
        except InterpError as exc:
            raise _from_interp_error(exc) from None
        return values if len(names) > 1 else {names[0]: values}

    def _conclude(self, names, results, outputs):
        """After the runs of a cell: apply --out, build the result or the error.

        Returns (error or None, result object or None).
        """
        failures = {n: results[n].error for n in names if not results[n].ok}
        value = _result_object(names, results)
        if failures:
            return cell_error(failures, labelled=len(names) > 1), value
        if outputs:
            try:
                pulled = {n: self._pull(self._session(n, create=False), outputs) for n in names}
            except Exception as exc:
                return (exc if isinstance(exc, InterpMagicError) else _from_interp_error(exc)), value
            for var in outputs:
                if len(names) == 1:
                    self.shell.user_ns[var] = pulled[names[0]][var]
                else:
                    self.shell.user_ns[var] = {n: pulled[n][var] for n in names}
        return None, value

    def _wait(self, jobs, target, gate=None):
        """Wait for foreground jobs; an interrupt stops them all (KeyboardInterrupt in each).

        ``gate`` (an InterruptGate) lets an interrupt that came while the cell started
        stop it now. Returns False if a job did not stop within INTERRUPT_GRACE.
        """
        gate = gate or InterruptGate()
        try:
            gate.open = True
            if gate.pending:
                raise KeyboardInterrupt
            for job in jobs.values():
                wait_event(job.done)
            return True
        except KeyboardInterrupt:
            pass
        finally:
            gate.open = False
        gate.pending = False
        target.cancelled.set()
        deadline = time.monotonic() + INTERRUPT_GRACE
        delivered = set()
        while True:
            # An interrupt reaches a job once it runs its cell's code: until then (queued,
            # or still compiling) try again, but never twice (its handlers may be running).
            for name, job in jobs.items():
                if name not in delivered and not job.finished() and job.session.current is job:
                    if job.session.interrupt():
                        delivered.add(name)
            running = [job for job in jobs.values() if not job.finished()]
            left = deadline - time.monotonic()
            if not running or left <= 0:
                break
            retry = any(name not in delivered for name, job in jobs.items() if not job.finished())
            wait_event(running[0].done, min(left, 0.005) if retry else left)
        return all(job.finished() for job in jobs.values())

    def _filename(self, name):
        result = getattr(getattr(self.shell, "displayhook", None), "exec_result", None)
        count = getattr(result, "execution_count", None)
        if count is None:
            count = getattr(self.shell, "execution_count", 0)
        return f"<interp {name}: In [{count}]>"

    def bg_state(self, session):
        return any(job.running_in(session) for job in self.jobs.values())

    def _find_job(self, name):
        job = self.jobs.get(name)
        if job is not None:
            return job
        for job in reversed(list(self.jobs.values())):
            if name in job.names:
                return job
        return None

    # -- %%interp ---------------------------------------------------------------------------

    @magic_arguments(name="%interp")  # usage line: %%interp ...
    @kwds(usage="%(prog)s NAME [NAME ...] [--config {isolated,legacy}] [--in VAR [VAR ...]] "
                "[--out VAR [VAR ...]] [--bg [JOB]]")
    @argument("names", nargs="+", metavar="NAME",
              help="interpreters to run the cell in (created on first use); several run in parallel")
    @argument("--config", choices=CONFIGS, default=None,
              help="config of interpreters created now: isolated (own GIL, the default) or legacy (shared GIL)")
    @argument("--in", dest="inputs", nargs="+", action="extend", default=[], metavar="VAR",
              help="copy these main variables into the interpreters first")
    @argument("--out", dest="outputs", nargs="+", action="extend", default=[], metavar="VAR",
              help="copy these variables back into main after success (several interpreters: a dict name -> value)")
    @argument("--bg", nargs="?", const="", default=None, metavar="JOB",
              help="run in the background: return at once; JOB names the handle (for %%interp wait/interrupt)")
    @cell_magic("interp")
    def interp_cell(self, line, cell):
        """Run the cell's body in the named subinterpreter(s).

        The body is plain Python. Its output streams live into this cell (labelled
        ``[name]`` with several interpreters), the value of a trailing expression is
        the cell's result (with its rich reprs), an exception shows the interpreter's
        traceback. The kernel's interrupt stops the cell; the interpreters keep their
        state. Put the interpreter names first: ``%%interp a b --in x --out y``.
        """
        with InterruptGate() as gate:
            return self._interp_cell(line, cell, gate)

    def _interp_cell(self, line, cell, gate):
        try:
            args = parse_argstring(self.interp_cell, line)
        except (UsageError, ValueError) as exc:  # ValueError: unbalanced quotes
            raise UsageError(f"%%interp: {exc} (see %%interp?)") from None
        names = list(args.names)
        for name in names:
            if names.count(name) > 1:
                raise UsageError(f"%%interp: interpreter {name!r} is named twice (see %%interp?)")
        _check_variables(args.inputs)
        _check_variables(args.outputs)
        if args.bg:
            _check_variables([args.bg], "job")
        values = self._inputs(args.inputs)
        sessions = [self._session(name, args.config) for name in names]
        # (main's own streams need no flush here: the body prints nothing in main, and
        # with ipykernel a flush is a round trip to its IO thread)
        target = self.router.target()
        target.background = args.bg is not None
        for session in sessions:
            if session.current is not None:
                busy = self._find_job(session.name)
                what = f"background job {busy.handle!r}" if busy is not None and not busy.done else "running cell"
                self.router.stream(target, "stderr", f"[{session.name}] waiting for its {what} to finish first\n")
        if values:
            for session in sessions:
                self._push(session, values)
        code = "\n" + cell  # line numbers are the cell's: line 1 is the %%interp line
        multi = len(sessions) > 1
        handle = None
        status = None
        if args.bg is not None:
            handle = args.bg or "+".join(names)
            status = _status_line(handle, names, self.shell)
            if status is not None:
                try:  # shown first, above the job's output
                    status.start()
                except Exception as exc:
                    _log(f"could not show the status line of {handle!r}: {exc!r}")
        jobs = {}
        try:
            for session in sessions:
                jobs[session.name] = session.submit(
                    code,
                    on_output=_Labeller(self.router, target, session.name if multi else None, status),
                    on_display=lambda data, metadata, _t=target, **kw: self.router.display(_t, data, metadata, **kw),
                    on_clear=lambda wait, _t=target: self.router.clear(_t, wait),
                    on_input=lambda prompt, password, _t=target: self.router.ask(_t, prompt, password),
                    filename=self._filename(session.name),
                )
        except BaseException as exc:
            if status is not None:
                status.finish("error", 0.0, type(exc).__name__)
            raise
        if args.bg is not None:
            job = BackgroundJob(self, handle, names, jobs, target, args.outputs, status)
            self.jobs.pop(handle, None)
            self.jobs[handle] = job
            if args.bg:
                self.shell.user_ns[args.bg] = job
            job._start()
            # the live status line shows the job; a repr here would say "running" forever
            return None if status is not None else job
        if not self._wait(jobs, target, gate):
            # the cell did not stop (blocked in a C call?): it goes on in the background
            handle = "+".join(names)
            running = [n for n, j in jobs.items() if not j.finished()]
            queued = [n for n in running if jobs[n].started == 0.0]
            target.background = True
            job = BackgroundJob(self, handle, names, jobs, target, [])
            self.jobs.pop(handle, None)
            self.jobs[handle] = job
            job._start()
            self.router.flush()
            if queued:
                why = f"{', '.join(queued)} had not started yet (waiting for an earlier job)"
            else:
                why = (f"{', '.join(running)} did not stop within {INTERRUPT_GRACE:g} s "
                       f"(blocked in a C call such as time.sleep or a lock?)")
            raise one_line_error(
                "KeyboardInterrupt",
                f"{why}; the cell goes on in the background and its output still comes here: "
                f"%interp interrupt {running[0]} again, %interp wait {handle}, or %interp reset {running[0]}",
            )
        self.router.flush()
        results = {name: job.result for name, job in jobs.items()}
        error, value = self._conclude(names, results, args.outputs)
        if error is not None:
            if value is not None and multi:
                from IPython.display import display

                display(value)
            raise error
        return value

    # -- %interp ------------------------------------------------------------------------------

    @line_magic("interp")
    def interp_line(self, line):
        try:
            args = LINE_PARSER.parse_argstring(line)
        except (UsageError, ValueError) as exc:  # ValueError: unbalanced quotes
            raise UsageError(f"%interp: {exc} (see %interp?)") from None
        command = args.command
        if command is None or command == "help":
            print(_line_help() + "\n\n" + (self.interp_cell.__doc__ or ""))
            return None
        return getattr(self, "_cmd_" + command)(args)

    def _cmd_list(self, args):
        rows = []
        for session in self.manager.sessions():
            state = session.state
            if state == "running" and self.bg_state(session):
                state = "bg"
            rows.append((session.name, session.id, session.config, state, session.cells_run,
                         format_duration(session.last_duration)))
        return InterpTable(rows)

    def _cmd_create(self, args):
        for name in args.names:
            self._session(name, args.config)

    def _cmd_close(self, args):
        if args.all and args.names:
            raise UsageError("%interp close: give names or --all, not both")
        if not args.all and not args.names:
            raise UsageError("%interp close: give the names of interpreters to close, or --all")
        names = self.manager.names() if args.all else args.names
        sessions = [self._session(name, create=False) for name in names]
        stuck = []
        for session in sessions:
            try:
                if not self.manager.close(session.name):
                    stuck.append(session.name)
            except InterpError:
                pass
        _warn_undestroyed(stuck, "it is closed")

    def _cmd_reset(self, args):
        sessions = [self._session(name, create=False) for name in args.names]
        stuck = []
        for session in sessions:
            try:
                self.manager.reset(session.name)
            except InterpError as exc:
                raise _from_interp_error(exc) from None
            if session.stuck:
                stuck.append(session.name)
        _warn_undestroyed(stuck, "a fresh interpreter has its name")

    def _cmd_push(self, args):
        values = self._inputs(args.variables)
        self._push(self._session(args.name, create=False), values)

    def _cmd_pull(self, args):
        _check_variables(args.variables)
        values = self._pull(self._session(args.name, create=False), args.variables)
        self.shell.user_ns.update(values)

    def _cmd_interrupt(self, args):
        for name in args.names:
            job = self.jobs.get(name)
            if job is not None and not job.done:
                hit = job.interrupt()
            else:
                hit = self._session(name, create=False).interrupt()
            print(f"interrupted {name}" if hit else f"{name} was not running")

    def _cmd_wait(self, args):
        job = self._find_job(args.name)
        if job is None:
            if args.name in self.manager:
                raise one_line_error("LookupError", f"no background job in {args.name!r} (start one with %%interp {args.name} --bg)")
            raise one_line_error("UnknownInterpreterError", f"no background job or interpreter named {args.name!r}")
        timeout = args.timeout
        if timeout is not None and not timeout >= 0:  # negative or nan
            raise UsageError(f"%interp wait: --timeout needs a number of seconds >= 0, not {timeout:g}")
        if timeout is not None and timeout > threading.TIMEOUT_MAX:
            timeout = None  # inf: as long as it takes
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            finished = wait_event(job._done, timeout)
        except KeyboardInterrupt:
            job.interrupt()
            finished = wait_event(job._done, INTERRUPT_GRACE)
            if not finished:
                raise
        if not finished:
            left = "" if deadline is None else f" after {args.timeout:g} s"
            raise one_line_error("TimeoutError", f"background job {job.handle!r} is still running{left}")
        return job.wait()

    def _cmd_queue(self, args):
        try:
            make = self.manager.queue
        except AttributeError:
            raise one_line_error("NotImplementedError", "this version of interp_kernel has no cross-interpreter queues") from None
        try:
            q = make(args.qname, maxsize=args.maxsize)
        except InterpError as exc:
            raise _from_interp_error(exc) from None
        except (ValueError, TypeError) as exc:
            raise one_line_error(type(exc).__name__, str(exc)) from None
        self.shell.user_ns[args.qname] = q

    def _cmd_dashboard(self, args):
        try:
            from interp_kernel.views.dashboard import Dashboard
        except ImportError as exc:
            raise one_line_error("ImportError", f"the dashboard needs ipywidgets ({exc})") from None
        self.dashboards = [d for d in self.dashboards if d.running]
        dashboard = Dashboard(self.manager, bg_state=self.bg_state)
        self.dashboards.append(dashboard)  # closed (its thread stopped) at shutdown
        return dashboard

    def _cmd_timeline(self, args):
        from interp_kernel.views.timeline import timeline_for

        if args.last is not None and args.last < 1:
            raise UsageError("%interp timeline: --last needs a positive number of runs")
        return timeline_for(self.manager, last=args.last, since_reset=args.since_reset, width=args.width)

    # -- lifetime -------------------------------------------------------------------------------

    def shutdown(self, timeout=3.0):
        """Close every interpreter; returns the names that could not be destroyed."""
        for dashboard in self.dashboards:
            try:
                dashboard.close()
            except Exception:
                pass
        self.dashboards = []
        return self.manager.shutdown(timeout)


InterpMagics.interp_line.__doc__ = (
    "Manage the subinterpreters that %%interp cells run in.\n\n"
    "Examples::\n\n"
    "    %interp list\n    %interp create worker --config legacy\n    %interp push worker data\n"
    "    %interp pull worker result\n    %interp interrupt job\n    %interp wait job --timeout 10\n"
    "    %interp queue q --maxsize 100\n    %interp dashboard\n    %interp timeline --last 10\n"
    "    %interp close --all\n\n" + _line_help()
)


# -- extension entry points ------------------------------------------------------------------


def manager_for(shell):
    """The Manager of this shell (the one the magics use), or None before the extension loads."""
    magics = getattr(shell, _MAGICS_ATTR, None)
    return magics.manager if magics is not None else None


def magics_for(shell):
    return getattr(shell, _MAGICS_ATTR, None)


def load_ipython_extension(ip):
    """Register %%interp / %interp in this shell (idempotent)."""
    magics = getattr(ip, _MAGICS_ATTR, None)
    if magics is None:
        magics = InterpMagics(ip)
        setattr(ip, _MAGICS_ATTR, magics)
        setattr(ip, _MANAGER_ATTR, magics.manager)
        magics._atexit = lambda: magics.shutdown(3.0)
        atexit.register(magics._atexit)
    ip.register_magics(magics)
    shell_escapes.install(ip)  # !cmd, aliases, %pip without forking Python (gh-139759)
    magics.cell_start_guard.attach(ip)  # an interrupt landing in IPython's callbacks stops the cell
    try:
        from interp_kernel.views.timeline import attach

        attach(magics.manager, ip)  # records runs and CPU activity for %interp timeline
    except Exception as exc:
        _log(f"no timeline recording: {exc!r}")
    try:
        ip.set_hook("complete_command", _complete_line_magic, str_key="%interp")
    except Exception:
        pass


def unload_ipython_extension(ip):
    """Shut the interpreters down and remove the magics."""
    magics = getattr(ip, _MAGICS_ATTR, None)
    if magics is None:
        return
    magics.shutdown(3.0)
    shell_escapes.uninstall(ip)
    magics.cell_start_guard.detach(ip)
    try:
        from interp_kernel.views.timeline import detach

        detach(magics.manager)
    except Exception:
        pass
    try:
        atexit.unregister(magics._atexit)
    except Exception:
        pass
    for kind in ("line", "cell"):
        ip.magics_manager.magics[kind].pop("interp", None)
    setattr(ip, _MAGICS_ATTR, None)
    setattr(ip, _MANAGER_ATTR, None)


_SUBCOMMANDS = ("list", "create", "close", "reset", "push", "pull", "interrupt", "wait", "queue",
                "dashboard", "timeline", "help")


def _complete_line_magic(shell, event):
    """Tab completion for ``%interp``: subcommands, then interpreter / job names."""
    words = event.line.split()
    typing_new = event.line.endswith(" ")
    position = len(words) - (0 if typing_new else 1)
    if position <= 1:
        return list(_SUBCOMMANDS)
    magics = getattr(shell, _MAGICS_ATTR, None)
    names = magics.manager.names() if magics else []
    if words[1] in ("interrupt", "wait") and magics:
        names = names + list(magics.jobs)
    if words[1] in ("push",) and position >= 3:
        return [n for n in shell.user_ns if not n.startswith("_")]
    return names
