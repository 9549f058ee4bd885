"""A real kernel driven through jupyter_client: the one client the tests and the benchmarks use.

``start_kernel(name)`` starts a kernel from its installed kernelspec with
``PYTEST_CURRENT_TEST`` removed from its environment (ipykernel 7 changes its output
capture when it sees it) and returns a :class:`KernelHandle`: a blocking client whose
iopub messages are filed by the request (parent) they belong to, each stamped with the
``time.monotonic()`` it was read at (``"received"``). Replies to other requests than
the one awaited are kept for when they are asked for.

No pytest here: tests reach it through ``conftest.py``, the benchmarks put this folder
on ``sys.path`` (``benchmarks/bench_setup.py``).
"""

import os
import queue
import re
import time

__all__ = ["KERNEL_NAME", "Execution", "KernelError", "KernelHandle", "MissingKernelspec", "kernel_env",
           "require_kernelspec", "start_kernel", "strip_ansi"]

#: The kernelspec ``make setup`` installs.
KERNEL_NAME = "interp"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_ansi(text):
    return _ANSI.sub("", text)


def kernel_env():
    """This process's environment without the variables pytest sets for itself."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


class MissingKernelspec(RuntimeError):
    """The kernelspec to start is not installed."""


class KernelError(RuntimeError):
    """A request that had to succeed failed (``execute(..., check=True)``)."""


def require_kernelspec(name=KERNEL_NAME):
    """The installed kernelspec ``name``; raises MissingKernelspec (saying how to install ours)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        hint = (" run `make setup` (or `python -m interp_kernel install --sys-prefix`)" if name == KERNEL_NAME
                else "")
        raise MissingKernelspec(f"kernelspec {name!r} is not installed:{hint}") from None


class Execution:
    """The messages of one execute request: its reply and its iopub messages up to idle.

    ``elapsed`` is seconds from sending the request until both its reply and its idle
    status were read.
    """

    def __init__(self, client, msg_id, reply, messages, elapsed=None):
        self.client = client
        self.msg_id = msg_id
        self.reply = reply
        self.messages = messages  # iopub messages, each with an added "received" time
        self.elapsed = elapsed

    @property
    def content(self):
        return self.reply["content"]

    @property
    def ok(self):
        return self.content["status"] == "ok"

    def of_type(self, *types):
        return [m for m in self.messages if m["msg_type"] in types]

    def stream(self, name="stdout"):
        return "".join(m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == name)

    @property
    def stdout(self):
        return self.stream("stdout")

    @property
    def stderr(self):
        return self.stream("stderr")

    @property
    def result(self):
        """The execute_result's data (or None)."""
        results = self.of_type("execute_result")
        return results[0]["content"]["data"] if results else None

    @property
    def text(self):
        data = self.result
        return None if data is None else data.get("text/plain")

    @property
    def errors(self):
        return [m["content"] for m in self.of_type("error")]

    @property
    def error(self):
        errors = self.errors
        assert errors, f"no error message; got {self.summary()}"
        return errors[0]

    def error_text(self):
        """``ename: evalue`` of the first error (from iopub, else the reply), or ""."""
        for c in self.errors + ([] if self.ok else [self.content]):
            return f"{c.get('ename')}: {c.get('evalue')}"
        return ""

    def traceback_text(self):
        return strip_ansi("\n".join(self.error["traceback"]))

    def summary(self):
        return [(m["msg_type"], m["content"]) for m in self.messages if m["msg_type"] != "status"]


class KernelHandle:
    """A started kernel (``km``) with a blocking client (``kc``).

    ``timeout`` is the default of every wait, in seconds; waits raise TimeoutError.
    ``startup`` is the seconds :func:`start_kernel` took until the kernel answered.
    """

    def __init__(self, km, kc, *, timeout=30):
        self.km = km
        self.kc = kc
        self.name = km.kernel_name
        self.timeout = timeout
        self.startup = None
        self._iopub = {}  # parent msg_id -> [messages]
        self._idle = set()  # parent msg_ids whose idle status arrived
        self._replies = {}  # msg_id -> shell reply read while waiting for another one
        self._sent = {}  # msg_id -> time.perf_counter() when sent

    @property
    def pid(self):
        """The kernel's process id (None if unknown)."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return process.pid if process is not None else None

    # -- iopub bookkeeping ------------------------------------------------------------------

    def _pump(self, timeout):
        """Read one iopub message (raises queue.Empty after ``timeout`` s) and file it."""
        msg = self.kc.get_iopub_msg(timeout=timeout)
        msg["received"] = time.monotonic()
        parent = msg["parent_header"].get("msg_id")
        self._iopub.setdefault(parent, []).append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            self._idle.add(parent)
        return msg

    def wait_idle(self, msg_id, timeout=None):
        """Pump iopub until ``msg_id``'s idle status; returns its messages."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while msg_id not in self._idle:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no idle status for {msg_id} within {timeout} s")
            try:
                self._pump(min(left, 1.0))
            except queue.Empty:
                pass
        return self.messages(msg_id)

    def wait_for(self, msg_id, predicate, timeout=None):
        """Pump iopub until a message of ``msg_id`` satisfies ``predicate``; returns it."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            messages = self._iopub.get(msg_id, [])
            for msg in messages[seen:]:
                if predicate(msg):
                    return msg
            seen = len(messages)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching message for {msg_id} within {timeout} s")
            try:
                self._pump(min(left, 0.5))
            except queue.Empty:
                pass

    def messages(self, msg_id):
        return list(self._iopub.get(msg_id, []))

    def forget(self, msg_id):
        """Drop the iopub messages filed for ``msg_id`` (messages arriving later are filed anew)."""
        self._iopub.pop(msg_id, None)
        self._idle.discard(msg_id)

    def drain(self, timeout=0.2):
        """Read every iopub message that arrives within ``timeout`` seconds of the last."""
        while True:
            try:
                self._pump(timeout)
            except queue.Empty:
                return

    # -- requests ---------------------------------------------------------------------------

    def submit(self, code, **kwargs):
        """Send an execute request without waiting; returns its msg_id."""
        msg_id = self.kc.execute(code, **kwargs)
        self._sent[msg_id] = time.perf_counter()
        return msg_id

    def reply(self, msg_id, timeout=None):
        """The shell reply to ``msg_id`` (replies to others read meanwhile are kept)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while msg_id not in self._replies:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply to {msg_id} within {timeout} s")
            try:
                msg = self.kc.get_shell_msg(timeout=left)
            except queue.Empty:
                continue
            self._replies[msg["parent_header"].get("msg_id")] = msg
        return self._replies.pop(msg_id)

    def collect(self, msg_id, timeout=None):
        """Wait for ``msg_id``'s idle status, then its reply; returns an :class:`Execution`.

        iopub is read first, so each message's ``"received"`` is close to its arrival;
        each wait may take ``timeout`` seconds.
        """
        messages = self.wait_idle(msg_id, timeout)
        reply = self.reply(msg_id, timeout)  # sent before the idle status: already here
        sent = self._sent.pop(msg_id, None)
        elapsed = None if sent is None else time.perf_counter() - sent
        return Execution(self.kc, msg_id, reply, messages, elapsed)

    def execute(self, code, timeout=None, *, check=False, **kwargs):
        """Run ``code``; returns an :class:`Execution` once the kernel is idle again.

        ``kwargs`` go to jupyter_client's ``execute``. Fails (AssertionError) when the
        kernel aborted the request; with ``check``, raises KernelError unless it succeeded.
        """
        ex = self.collect(self.submit(code, **kwargs), timeout)
        assert ex.content["status"] != "aborted", (
            "the kernel aborted the request (sent before the reply of a failed cell?)")
        if check and not ex.ok:
            first = code.splitlines()[0] if code else code
            raise KernelError(f"{self.name}: {first!r} failed: {ex.error_text()}\n{ex.stderr}")
        return ex

    def execute_with_input(self, code, answers, timeout=None):
        """Run ``code`` answering its input requests from ``answers``; returns (Execution, prompts)."""
        timeout = self.timeout if timeout is None else timeout
        msg_id = self.submit(code, allow_stdin=True)
        prompts = []
        answers = list(answers)
        deadline = time.monotonic() + timeout
        while answers:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no input request")
            try:
                request = self.kc.get_stdin_msg(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            assert request["msg_type"] == "input_request"
            assert request["parent_header"]["msg_id"] == msg_id
            prompts.append(request["content"]["prompt"])
            self.kc.input(answers.pop(0))
        return self.collect(msg_id, timeout), prompts

    def complete(self, code, cursor_pos=None, timeout=15):
        msg_id = self.kc.complete(code, cursor_pos)
        return self.reply(msg_id, timeout)["content"]

    def inspect(self, code, cursor_pos=None, timeout=15):
        msg_id = self.kc.inspect(code, cursor_pos)
        return self.reply(msg_id, timeout)["content"]

    def interrupt(self):
        self.km.interrupt_kernel()

    def shutdown(self):
        """Stop the client and shut the kernel down (killed if it will not go)."""
        try:
            self.kc.stop_channels()
        finally:
            try:
                self.km.shutdown_kernel(now=False)
            except Exception:
                self.km.shutdown_kernel(now=True)


def start_kernel(name=KERNEL_NAME, *, startup_timeout=60, timeout=30, handle_class=KernelHandle,
                 extra_arguments=(), cwd=None):
    """Start the installed kernelspec ``name`` and wait until it answers.

    ``extra_arguments`` go on the kernel's command line (``--InterpSettings.spares=0``).
    ``cwd``: the kernel's working directory (default: this process's); as the kernel
    runs ``python -m interp_kernel``, that folder's ``interp_kernel`` is the one imported.
    Returns a ``handle_class`` (a :class:`KernelHandle`; ``timeout``: its default wait). Raises
    MissingKernelspec, or RuntimeError/TimeoutError when the kernel does not come up
    within ``startup_timeout`` s (it is shut down then).
    """
    from jupyter_client.manager import KernelManager

    from interp_kernel.jupyter.demo import ipc_transport

    require_kernelspec(name)
    km = KernelManager(kernel_name=name, **ipc_transport())
    t0 = time.perf_counter()
    km.start_kernel(env=kernel_env(), extra_arguments=list(extra_arguments), cwd=cwd)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=startup_timeout)
    except BaseException:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        raise
    handle = handle_class(km, kc, timeout=timeout)
    handle.startup = time.perf_counter() - t0
    handle.drain(0.1)
    return handle
