"""What cell code uses to reach the frontend: ``sys.stdout``/``sys.stderr``, the
``display``, ``update_display`` and ``clear_output`` builtins (what ``IPython.display``
offers a kernel's cells), ``input()`` and ``getpass.getpass()``.

All of it sends events through the agent (``OUT``, ``DISPLAY``, ``CLEAR``, ``INPUT``
of :mod:`interp_kernel._protocol`); ``input`` and ``getpass`` wait for the answer on
the replies channel. ipykernel's own machinery does not reach subinterpreters (its
fd capture does not see them), hence these.
"""

import _thread
import io
import marshal
import sys

from interp_kernel import _core
from interp_kernel._protocol import CLEAR, DISPLAY, INPUT, OUT

#: The job of output the agent's thread writes while it compiles a cell ahead: not
#: sent, only noted (see ``_Agent.prepare``).
PREPARING = -1

_START_THREAD = _thread.start_joinable_thread  # the original, before the agent wraps it


# -- sys.stdout and sys.stderr ----------------------------------------------------------


class Outbox:
    """The text written to ``sys.stdout`` and ``sys.stderr``, on its way to the main side.

    Both streams share it, so text goes out in the order written: a write to the other
    stream, or from a thread that belongs to another job, sends what is pending first.
    Text is sent at each newline, when 8 KiB gather without one, on flush, and — like
    ipykernel's OutStream — at most ``DELAY`` seconds after a partial line was written
    (a one-shot timer thread, armed by the first partial write; :meth:`stop` ends it).
    Never blocks unless the event channel is full.
    """

    LIMIT = 8192
    DELAY = 0.2

    def __init__(self, agent):
        self.agent = agent
        self.lock = _thread.allocate_lock()
        self.pending = []
        self.size = 0
        self.stream = None
        self.job = None
        self.timer = None  # the handle of the armed timer thread, or None
        self.wake = _thread.allocate_lock()  # held while a timer waits; released to end it early
        self.stopped = False

    def write(self, stream, text):
        job = self.agent.output_job()
        if job == PREPARING:
            self.agent.wrote_while_preparing = True
            return
        with self.lock:
            if self.pending and (stream != self.stream or job != self.job):
                self.send()
            self.stream = stream
            self.job = job
            self.pending.append(text)
            self.size += len(text)
            if "\n" in text or self.size >= self.LIMIT:
                self.send()
            elif self.timer is None and not self.stopped:
                self._arm()

    def flush(self):
        with self.lock:
            self.send()

    def send(self):
        """Send what is pending (caller holds the lock)."""
        if self.pending:
            text = "".join(self.pending)
            self.pending.clear()
            self.size = 0
            self.agent.send(OUT, self.job, self.stream, text)

    def _arm(self):
        self.wake.acquire(False)
        try:
            self.timer = _START_THREAD(self._on_timer, daemon=False)
        except RuntimeError:  # no new threads now (the interpreter is finalizing)
            self.wake.release()

    def _on_timer(self):
        self.wake.acquire(True, self.DELAY)  # times out, unless stop() releases it
        with self.lock:
            self.timer = None
            if self.wake.locked():
                self.wake.release()
            try:
                self.send()
            except Exception:  # the session is closing: nothing to send to
                self.pending.clear()
                self.size = 0

    def stop(self):
        """Send what is pending and end the timer thread (before the agent returns:
        an interpreter is destroyed only once its other threads are gone)."""
        with self.lock:
            self.stopped = True
            timer = self.timer
            if self.wake.locked():
                self.wake.release()
        if timer is not None:
            timer.join()
        self.flush()


class StreamWriter(io.TextIOBase):
    """A ``sys.stdout``/``sys.stderr`` that sends text to the main side through the
    interpreter's :class:`Outbox` (shared by both). Never blocks unless the event
    channel is full."""

    def __init__(self, outbox, name):
        self.outbox = outbox
        self.name = name

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.outbox.write(self.name, text)
        return len(text)

    def flush(self):
        self.outbox.flush()


def flush_streams():
    """Flush ``sys.stdout`` and ``sys.stderr`` (whatever they are now); never raises."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


# -- rich output ---------------------------------------------------------------------


_MIME_METHODS = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("text/latex", "_repr_latex_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("application/json", "_repr_json_"),
)


def mime_bundle(value):
    """The MIME bundle of a value: text/plain plus whatever ``_repr_*_`` methods it has.

    A ``_repr_*_`` method that raises is skipped; bytes (images) are base64-encoded.
    When the bundle holds something marshal cannot send, only text/plain is kept.
    """
    data = {"text/plain": repr(value)}
    if isinstance(value, type):
        return data
    bundle_method = getattr(value, "_repr_mimebundle_", None)
    if callable(bundle_method):
        try:
            extra = bundle_method()
            if isinstance(extra, tuple):
                extra = extra[0]
            data.update({k: v for k, v in dict(extra or {}).items() if isinstance(v, (str, dict, list))})
        except Exception:
            pass
    for mime, method_name in _MIME_METHODS:
        method = getattr(value, method_name, None)
        if not callable(method):
            continue
        try:
            result = method()
        except Exception:
            continue
        if isinstance(result, tuple):
            result = result[0]
        if result is None:
            continue
        if isinstance(result, bytes):
            import base64

            result = base64.b64encode(result).decode("ascii")
        if mime == "application/json" and not isinstance(result, (dict, list)):
            continue
        data[mime] = result
    return _marshalable(data)


def _marshalable(data):
    try:
        marshal.dumps(data)
        return data
    except ValueError:
        return {"text/plain": data["text/plain"]}


class DisplayHandle:
    """What ``display(obj, display_id=...)`` returns: ``update()`` replaces that output
    in place, ``display()`` shows the object again under the same id."""

    __slots__ = ("display_id", "_display")

    def __init__(self, display_id, display):
        self.display_id = display_id
        self._display = display

    def display(self, obj, **kwargs):
        self._display(obj, display_id=self.display_id, **kwargs)

    def update(self, obj, **kwargs):
        self._display(obj, display_id=self.display_id, update=True, **kwargs)

    def __repr__(self):
        return f"<DisplayHandle display_id={self.display_id}>"


def make_display(agent):
    """``display``, ``update_display`` and ``clear_output`` sending events through ``agent``."""
    made_ids = [0]

    def display(*objs, raw=False, metadata=None, display_id=None, update=False, **kwargs):
        """Show objects in the cell's output, with their rich representations.

        ``display_id=True`` (or a string) returns a DisplayHandle whose ``update(obj)``
        replaces the output in place; ``update=True`` replaces an existing one.
        Raises TypeError when ``raw`` data or ``metadata`` hold what cannot be sent.
        """
        flush_streams()
        if display_id is True:
            made_ids[0] += 1
            display_id = f"interp-{id(agent):x}-{made_ids[0]}"
        elif display_id is not None:
            display_id = str(display_id)
        for obj in objs:
            data = obj if raw else mime_bundle(obj)
            try:
                agent.send(DISPLAY, agent.job, data, metadata or {}, display_id, bool(update))
            except ValueError:  # marshal: not plain data
                raise TypeError(
                    "display(raw=True) takes a dict of MIME type -> str (or JSON-like dict/list), and "
                    "metadata must be such a dict too: they hold an object that cannot be sent"
                ) from None
        return None if display_id is None else DisplayHandle(display_id, display)

    def update_display(obj, *, display_id, **kwargs):
        """Replace the output shown with ``display_id`` by ``obj``."""
        display(obj, display_id=display_id, update=True, **kwargs)

    def clear_output(wait=False):
        """Clear the cell's output (with ``wait=True``: when new output arrives)."""
        flush_streams()
        agent.send(CLEAR, agent.job, bool(wait))

    return display, update_display, clear_output


# -- input and getpass -------------------------------------------------------------------


def make_input(agent):
    """``input`` and ``getpass`` that ask the frontend (stdin requests; getpass's is a
    password request). Both block until it answers and raise EOFError when the
    frontend takes no input."""

    def ask(prompt, password):
        flush_streams()
        agent.input_requests += 1
        request = agent.input_requests
        agent.send(INPUT, agent.job, str(prompt), password, request)
        while True:  # skip late answers to requests that were interrupted
            answered, answer = marshal.loads(_core.channel_recv(agent.replies))
            if answered == request:
                break
        if answer is None:
            what = "getpass()" if password else "input()"
            raise EOFError(f"{what} is not available: the frontend does not accept input requests")
        return answer

    def input(prompt=""):
        """Ask the frontend for a line of text (a stdin request); blocks until it answers."""
        return ask(prompt, False)

    def getpass(prompt="Password: ", stream=None):
        """Ask the frontend for a password (not echoed); blocks until it answers."""
        return ask(prompt, True)

    return input, getpass


class GetpassFinder:
    """A meta path finder: when the interpreter first imports ``getpass``, its
    ``getpass()`` becomes the frontend's password prompt (as ipykernel does in main)."""

    def __init__(self, getpass):
        self.getpass = getpass

    def find_spec(self, name, path=None, target=None):
        if name != "getpass":
            return None
        sys.meta_path.remove(self)
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is not None:
            spec.loader = _PatchingLoader(spec.loader, {"getpass": self.getpass})
        return spec


class _PatchingLoader:
    """Loads a module with ``loader``, then sets the attributes in ``patch``."""

    def __init__(self, loader, patch):
        self.loader = loader
        self.patch = patch

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        module.__dict__.update(self.patch)
