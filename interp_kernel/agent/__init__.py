"""The agent: the code that runs INSIDE a subinterpreter.

A session starts one long-lived agent per interpreter: a main-side thread calls
``_interpreters.exec`` with :func:`serve`, which loops until told to stop. Because
the loop never leaves that one ``exec`` call, the interpreter keeps one thread state
for it, so the decimal context, contextvars, thread locals and ``sys.settrace``
survive from one cell to the next, and interrupts always have the same target.

Messages travel over three ``_core`` channels as ``marshal``-ed tuples:

* commands (main -> agent): ``("run", job, code, filename)``, ``("push", job, values)``,
  ``("pull", job, names)``, ``("call", job, helper_name, args)``, ``("stop",)``
* events (agent -> main): ``("out", job, stream, text)``, ``("display", job, data, metadata)``,
  ``("input", job, prompt, password, request)``, ``("done", job, status, payload)``
* replies (main -> agent): answers to ``input`` requests.
* sleeper: never written; ``time.sleep`` waits on it so that interrupts cut it short.

This module imports nothing from the Jupyter side and nothing that refuses to load
in an isolated interpreter.
"""

import _ast
import _thread
import builtins
import io
import marshal
import sys

from interp_kernel import _core

# Start-up time of every new interpreter counts: modules that only errors, pushes or
# pulls need (traceback, pickle, re via hints, linecache via tokenize) load lazily.
_ONLY_AST = 0x400  # ast.PyCF_ONLY_AST, without importing ast
_sources = {}  # cell filename -> source, for tracebacks (see _register_sources)
_PACKAGE_DIR = __file__.rpartition("/")[0].rpartition("/")[0] + "/"  # interp_kernel/

# Payload encodings for values crossing with push/pull.
PICKLED = "pickle"
PICKLED_CARRIED = "pickle-carried"  # a large pickle waiting in a cross-interpreter queue
SHARED = "shared"  # natively shareable object waiting in a cross-interpreter queue
NAMED_QUEUE = "queue"  # a NamedQueue's handle: (name, channel, maxsize)

_MIME_METHODS = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("text/latex", "_repr_latex_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("application/json", "_repr_json_"),
)


class _Agent:
    """State of the agent loop of this interpreter (one per interpreter)."""

    def __init__(self, commands, events, replies):
        self.commands = commands
        self.events = events
        self.replies = replies
        self.job = None  # id of the job being run, or the last one (for late thread output)
        self.send_lock = _thread.allocate_lock()
        self.input_requests = 0

    def send(self, *message):
        """Send one event to the main side. Blocks only if the channel is full."""
        data = marshal.dumps(message)
        with self.send_lock:
            _core.channel_send(self.events, data)

    # -- the loop -------------------------------------------------------------

    def serve(self):
        """Handle commands until ``("stop",)`` arrives or the command channel closes."""
        while True:
            try:
                message = marshal.loads(_core.channel_recv(self.commands))
            except KeyboardInterrupt:  # an interrupt aimed at a cell that already ended
                continue
            except _core.ChannelError:
                return
            kind = message[0]
            if kind == "stop":
                return
            job = message[1]
            self.job = job
            try:
                handler = getattr(self, "do_" + kind)
                status, payload = handler(*message[2:])
            except BaseException as exc:  # a bug of ours: report it, keep serving
                status, payload = "error", _error_payload(exc, None, "")
            _flush_streams()
            self.send("done", job, status, payload)

    # -- commands --------------------------------------------------------------

    def do_run(self, code, filename):
        """Run a cell; the value of a trailing expression comes back as a MIME bundle."""
        try:
            compiled, last = _compile_cell(code, filename)
        except SyntaxError as exc:
            return "error", _error_payload(exc, None, code)
        namespace = sys.modules["__main__"].__dict__
        try:
            value = _core.call_interruptible(_run_compiled, compiled, last, namespace)
        except KeyboardInterrupt as exc:
            return "interrupted", _error_payload(exc, filename, code)
        except BaseException as exc:
            return "error", _error_payload(exc, filename, code)
        if value is None:
            return "ok", None
        namespace["_"] = value
        return "ok", mime_bundle(value)

    def do_push(self, values):
        """Bind values in ``__main__``; all are decoded before any is bound."""
        decoded = {name: _decode(payload) for name, payload in values.items()}
        sys.modules["__main__"].__dict__.update(decoded)
        return "ok", None

    def do_pull(self, names):
        """Encode ``__main__`` variables for the main side; all or nothing."""
        namespace = sys.modules["__main__"].__dict__
        missing = [name for name in names if name not in namespace]
        if missing:
            return "error", _plain_error("NameError", f"name {missing[0]!r} is not defined in this interpreter")
        import pickle

        encoded = {}
        for name in names:
            try:
                encoded[name] = (PICKLED, pickle.dumps(namespace[name], protocol=5))
            except Exception as exc:
                kind = type(namespace[name]).__qualname__
                return "error", _plain_error(
                    "NotShareableError",
                    f"cannot pull {name!r}: a {kind} object is neither shareable nor picklable ({exc})",
                )
        return "ok", encoded

    def do_call(self, helper, args):
        """Run one of the introspection helpers below (completion, inspection, listing)."""
        return "ok", _HELPERS[helper](*args)


# -- running a cell ---------------------------------------------------------------


def _compile_cell(code, filename):
    """Compile all statements, and a trailing expression separately so its value can be shown."""
    _sources[filename] = code
    if "linecache" in sys.modules:
        _register_sources()
    tree = compile(code, filename, "exec", _ONLY_AST)
    last = None
    if tree.body and isinstance(tree.body[-1], _ast.Expr):
        last = compile(_ast.Expression(tree.body.pop().value), filename, "eval")
    return compile(tree, filename, "exec"), last


def _register_sources():
    """Make the cells' sources known to linecache, so tracebacks show their lines."""
    import linecache

    for filename, code in _sources.items():
        if filename not in linecache.cache:
            linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)


def _run_compiled(compiled, last, namespace):
    exec(compiled, namespace)
    if last is not None:
        return eval(last, namespace)
    return None


def mime_bundle(value):
    """The MIME bundle of a value: text/plain plus whatever ``_repr_*_`` methods it has."""
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


def _error_payload(exc, filename, code):
    """(ename, evalue, traceback text, hint) with the frames of the cell only."""
    import traceback

    from interp_kernel.agent import hints

    _register_sources()
    tb = exc.__traceback__
    if filename is not None:
        while tb is not None and tb.tb_frame.f_code.co_filename != filename:
            tb = tb.tb_next
    frames = traceback.extract_tb(tb)
    while frames and frames[-1].filename.startswith(_PACKAGE_DIR):  # our input(), sleep(), ...
        frames.pop()
    try:
        formatted = "".join(
            (["Traceback (most recent call last):\n"] + frames.format() if frames else [])
            + traceback.format_exception_only(type(exc), exc)
        )
    except Exception:
        formatted = f"{type(exc).__name__}: <exception str() failed>\n"
    try:
        evalue = str(exc)
    except Exception:
        evalue = "<exception str() failed>"
    return (type(exc).__name__, evalue, formatted, hints.hint_for(type(exc).__name__, evalue, code) or "")


def _plain_error(ename, evalue):
    return (ename, evalue, f"{ename}: {evalue}\n", "")


def _decode(payload):
    kind, data = payload
    if kind == PICKLED:
        import pickle

        return pickle.loads(data)
    if kind == NAMED_QUEUE:
        from interp_kernel._queue import NamedQueue

        return NamedQueue(*data)
    if kind == SHARED or kind == PICKLED_CARRIED:
        from interp_kernel import compat as interpreters

        value = interpreters.Queue(data).get(timeout=5)
        if kind == SHARED:
            return value
        import pickle

        return pickle.loads(value)
    raise ValueError(f"unknown payload kind {kind!r}")


# -- output, display and input ------------------------------------------------------


class StreamWriter(io.TextIOBase):
    """A ``sys.stdout``/``sys.stderr`` that sends text to the main side.

    Text is sent at each newline, on flush, and when 8 KiB gather without one; writes
    from any thread of the interpreter are serialized by a lock. Never blocks unless
    the event channel is full.
    """

    LIMIT = 8192

    def __init__(self, agent, name):
        self.agent = agent
        self.name = name
        self.pending = []
        self.size = 0
        self.lock = _thread.allocate_lock()

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
        with self.lock:
            self.pending.append(text)
            self.size += len(text)
            if "\n" in text or self.size >= self.LIMIT:
                self._send()
        return len(text)

    def flush(self):
        with self.lock:
            self._send()

    def _send(self):
        if self.pending:
            text = "".join(self.pending)
            self.pending.clear()
            self.size = 0
            self.agent.send("out", self.agent.job, self.name, text)


def _make_sleep(channel):
    import time

    plain_sleep = time.sleep

    def sleep(seconds):
        """time.sleep that an interrupt of the cell cuts short (KeyboardInterrupt)."""
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        if seconds == 0:
            return plain_sleep(0)
        try:
            _core.channel_recv(channel, seconds)  # nothing is ever sent: only times out or is interrupted
        except TimeoutError:
            pass
        except _core.ChannelError:  # the session is closing: sleep the plain way
            plain_sleep(seconds)

    sleep.__wrapped__ = plain_sleep
    return sleep


def _flush_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


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


def _make_display(agent):
    """``display``, ``update_display`` and ``clear_output`` for the interpreter's builtins
    (what ``IPython.display`` offers a kernel's cells)."""
    made_ids = [0]

    def display(*objs, raw=False, metadata=None, display_id=None, update=False, **kwargs):
        """Show objects in the cell's output, with their rich representations.

        ``display_id=True`` (or a string) returns a DisplayHandle whose ``update(obj)``
        replaces the output in place; ``update=True`` replaces an existing one.
        """
        _flush_streams()
        if display_id is True:
            made_ids[0] += 1
            display_id = f"interp-{id(agent):x}-{made_ids[0]}"
        elif display_id is not None:
            display_id = str(display_id)
        for obj in objs:
            data = obj if raw else mime_bundle(obj)
            try:
                agent.send("display", agent.job, data, metadata or {}, display_id, bool(update))
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
        _flush_streams()
        agent.send("clear", agent.job, bool(wait))

    return display, update_display, clear_output


def _make_input(agent):
    """``input`` and ``getpass`` that ask the frontend (stdin requests; getpass's is a
    password request). Both block until it answers."""

    def ask(prompt, password):
        _flush_streams()
        agent.input_requests += 1
        request = agent.input_requests
        agent.send("input", agent.job, str(prompt), password, request)
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


class _GetpassFinder:
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


# -- introspection helpers (completion, inspection) ---------------------------------


def _complete(code, cursor_pos):
    import rlcompleter

    text = code[:cursor_pos]
    start = cursor_pos
    while start > 0 and (text[start - 1].isidentifier() or text[start - 1].isdigit() or text[start - 1] in "._"):
        start -= 1
    token = text[start:]
    completer = rlcompleter.Completer(sys.modules["__main__"].__dict__)
    matches = []
    for state in range(1000):
        match = completer.complete(token, state)
        if match is None:
            break
        matches.append(match.rstrip("("))
    return (sorted(set(matches)), start, cursor_pos)


def _inspect(code, cursor_pos):
    import inspect
    import pydoc

    text = code[:cursor_pos]
    end = cursor_pos
    while end < len(code) and (code[end].isalnum() or code[end] == "_"):
        end += 1
    start = cursor_pos
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._"):
        start -= 1
    name = code[start:end]
    if not name:
        return None
    namespace = sys.modules["__main__"].__dict__
    try:
        obj = eval(name, namespace)
    except Exception:
        return None
    try:
        signature = str(inspect.signature(obj))
    except (TypeError, ValueError):
        signature = ""
    doc = pydoc.getdoc(obj) or ""
    header = f"{name}{signature}" if signature else name
    return f"{header}\nType: {type(obj).__name__}\n\n{doc}".rstrip()


def _names():
    namespace = sys.modules["__main__"].__dict__
    return sorted(n for n in namespace if not n.startswith("_"))


_HELPERS = {"complete": _complete, "inspect": _inspect, "names": _names}


# -- entry point ---------------------------------------------------------------------


def serve(commands, events, replies, sleeper):
    """Install the stream writers, ``display``, ``input`` and an interruptible
    ``time.sleep`` (waiting on the never-written channel ``sleeper``), then run the
    agent loop.

    Called by the session inside the subinterpreter; returns when the session stops it.
    """
    agent = _Agent(commands, events, replies)
    # An interrupt has to take this interpreter's GIL from the running cell, which lets
    # go of it once per switch interval (per interpreter, 5 ms by default).
    sys.setswitchinterval(0.001)
    sys.stdout = StreamWriter(agent, "stdout")
    sys.stderr = StreamWriter(agent, "stderr")
    builtins.display, builtins.update_display, builtins.clear_output = _make_display(agent)
    builtins.input, getpass = _make_input(agent)
    sys.meta_path.insert(0, _GetpassFinder(getpass))
    import time

    time.sleep = _make_sleep(sleeper)
    agent.send("ready", None, _thread.get_ident())
    try:
        agent.serve()
    finally:
        _flush_streams()
