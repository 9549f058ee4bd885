"""Where the output of an ``%%interp`` cell goes: the cell that started it.

Every ``%%interp`` cell captures its :class:`CellTarget` when it starts (in a kernel:
the parent header of the execute request; in a terminal: the streams). The
interpreters' output, displays, errors and ``input()`` prompts are sent there by the
shell's :class:`Router`, so a ``--bg`` cell keeps writing into the cell that started it
while other cells run. :class:`Labeller` prefixes lines ``[name] `` for a cell with
several interpreters.
"""

import queue
import sys
import threading

from interp_kernel.jupyter.rendering import log


class CellTarget:
    """Where the output of one ``%%interp`` cell goes: the cell that started it."""

    __slots__ = ("parent", "ident", "allow_stdin", "stdout", "stderr", "background", "cancelled", "used")

    def __init__(self, parent=None, ident=None, allow_stdin=False, stdout=None, stderr=None):
        self.parent = parent
        self.ident = ident
        self.allow_stdin = allow_stdin
        self.stdout = stdout
        self.stderr = stderr
        self.background = False
        self.cancelled = threading.Event()  # set when an interrupt cancels pending input
        self.used = False  # set once anything was handed to the Router for this cell


def _iopub_thread(kernel):
    """The kernel's IOPub thread, or None outside a kernel. An ipyparallel engine
    leaves ``kernel.iopub_thread`` None: its IOPub thread is the one its OutStreams use."""
    if kernel is None or not hasattr(kernel, "iopub_thread"):
        return None
    if kernel.iopub_thread is not None:
        return kernel.iopub_thread
    return getattr(sys.__dict__.get("stdout"), "pub_thread", None)


class Router:
    """Publishes interpreters' output into the cell that started them.

    One publisher thread takes what the sessions' reader threads hand over, in order.
    In a kernel (ours, or a stock ipykernel with ``%load_ext interp_kernel``) it goes
    through ipykernel's own per-parent machinery: stream text into two OutStreams of
    the Router (ipykernel's buffered, per-parent ``stream`` messages, flushed by its IO
    thread), displays and ``clear_output`` through the shell's display publisher with
    ``set_thread_parent``. Measured against our former hand-built messages with 20 ms
    flood batching, both kernels side by side in one run (2 shared cores, load ~6):
    P5 (100k lines from a ``%%interp`` cell) median 1.08 s vs 1.35 s over 9 reps,
    4-8 stream messages vs 33-84, 0 lines lost and in order both ways, stdout /
    stderr / display order kept; the 100-cell soak 0 lost, 0 misrouted both ways
    (3.4 s vs 5.5 s). Errors have no per-parent publisher in ipykernel: they are
    sent as ``error`` messages with the cell's parent header. Elsewhere (terminal
    IPython) output goes to the streams the cell started with and IPython's display
    publisher.
    """

    def __init__(self, shell):
        kernel = getattr(shell, "kernel", None)
        pub = getattr(shell, "display_pub", None)
        self._streams = None  # name -> ipykernel OutStream, in a kernel
        pub_thread = _iopub_thread(kernel)
        if pub_thread is not None and hasattr(pub, "set_thread_parent"):
            from ipykernel.iostream import OutStream

            self._streams = {name: OutStream(kernel.session, pub_thread, name, watchfd=False)
                             for name in ("stdout", "stderr")}
        else:
            kernel = None
        self.kernel = kernel
        self.shell = shell
        self._display_pub = pub
        self._written = set()  # names of our OutStreams written since their last flush
        self._queue = queue.SimpleQueue()
        self._thread = None
        self._lock = threading.Lock()
        self._stdin_lock = threading.Lock()

    @property
    def per_cell(self):
        """True in a kernel, where output lands in the cell that started it; False in a
        terminal, where everything goes to the one terminal."""
        return self.kernel is not None

    # -- capture ------------------------------------------------------------------

    def target(self):
        """Where output of a cell started now should go (call from the cell's thread)."""
        kernel = self.kernel
        if kernel is None:
            return CellTarget(stdout=sys.stdout, stderr=sys.stderr, allow_stdin=True)
        try:
            ident = kernel._parent_ident["shell"]  # ipykernel has no public accessor
        except Exception:
            ident = None
        return CellTarget(parent=kernel.get_parent("shell"), ident=ident,
                          allow_stdin=bool(getattr(kernel, "_allow_stdin", False)))

    # -- publishing (any thread) ------------------------------------------------------

    def stream(self, target, name, text):
        """Write ``text`` to the stream ``name`` (stdout or stderr) of ``target``'s cell."""
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

    def flush(self, timeout=10.0, target=None):
        """Block until everything queued so far has been sent (at most ``timeout``
        seconds); True if it was. With ``target``: returns at once when nothing was
        queued for that cell (a round trip to the publisher thread costs ~0.1 ms)."""
        if self._thread is None or (target is not None and not target.used):
            return True
        done = threading.Event()
        self._put(("flush", None, done, None))
        return done.wait(timeout)

    def _put(self, item):
        if item[1] is not None:
            item[1].used = True
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="interp-output", daemon=True)
                    self._thread.start()
        self._queue.put(item)

    def _run(self):
        get = self._queue.get
        get_nowait = self._queue.get_nowait
        while True:
            batch = [get()]
            while len(batch) < 65536:
                try:
                    batch.append(get_nowait())
                except queue.Empty:
                    break
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
                self._flush_streams()  # what was written comes first
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
                    log(f"could not publish {kind}: {exc!r}")
            if pending is not None:
                self._send_stream(*pending)

    def _flush_streams(self):
        """Send what our OutStreams buffered (blocks for a round trip to ipykernel's IO
        thread, so that what is sent next comes after it)."""
        for name in list(self._written):
            self._written.discard(name)
            try:
                self._streams[name].flush()
            except Exception as exc:
                log(f"could not flush {name}: {exc!r}")

    def _send_stream(self, target, name, texts):
        text = "".join(texts)
        try:
            if self._streams is not None:
                if self._written and name not in self._written:
                    self._flush_streams()  # stdout and stderr in the order written
                stream = self._streams[name]
                token = stream.set_thread_parent(target.parent)
                try:
                    stream.write(text)
                finally:
                    stream.reset_thread_parent(token)
                self._written.add(name)
            else:
                stream = target.stderr if name == "stderr" else target.stdout
                stream.write(text)
                stream.flush()
        except Exception as exc:
            log(f"could not publish output: {exc!r}")

    def _send_display(self, target, data, metadata, display_id=None, update=False):
        transient = {} if display_id is None else {"display_id": display_id}
        if self.kernel is None:
            from IPython.display import publish_display_data

            publish_display_data(data, metadata, transient=transient, update=update)
            return
        pub = self._display_pub
        token = pub.set_thread_parent(target.parent)
        try:
            pub.publish(data, metadata, transient=transient, update=update)
        finally:
            pub.reset_thread_parent(token)

    def _send_clear(self, target, wait):
        if self.kernel is None:
            from IPython.display import clear_output

            clear_output(wait)
            return
        pub = self._display_pub
        token = pub.set_thread_parent(target.parent)
        try:
            pub.clear_output(wait)
        finally:
            pub.reset_thread_parent(token)

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

        Blocks (in the session's reader thread) until the frontend answers. Returns None
        (the interpreter raises EOFError) for background cells, when the frontend does
        not accept input, or when the cell is interrupted meanwhile.

        Not ipykernel's ``_input_request``: that one gives up only on a KeyboardInterrupt
        in its own thread, which never reaches this reader thread (an interrupt cancels
        the prompt through ``target.cancelled`` instead), and two interpreters asking at
        once must take turns on the stdin socket (``_stdin_lock``).
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


class Labeller:
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
