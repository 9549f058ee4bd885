"""Shared fixtures: the real ``interp`` kernel started through jupyter_client.

The kernel is started from the *installed* kernelspec (``make setup`` installs it
with ``python -m interp_kernel install --sys-prefix``), with ``PYTEST_CURRENT_TEST``
removed from its environment (ipykernel 7 changes its output capture when it sees it).
"""

import os
import queue
import re
import sys
import textwrap
import time

import pytest

KERNEL_NAME = "interp"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_ansi(text):
    return _ANSI.sub("", text)


def kernel_env():
    """This process's environment without the variables pytest sets for itself."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def require_kernelspec():
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        pytest.fail(
            f"kernelspec {KERNEL_NAME!r} is not installed: run `make setup` "
            f"(or `python -m interp_kernel install --sys-prefix`)"
        )


class Execution:
    """The messages of one execute request: its reply and its iopub messages."""

    def __init__(self, client, msg_id, reply, messages):
        self.client = client
        self.msg_id = msg_id
        self.reply = reply
        self.messages = messages  # iopub messages, each with an added "received" time

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

    def traceback_text(self):
        return strip_ansi("\n".join(self.error["traceback"]))

    def summary(self):
        return [(m["msg_type"], m["content"]) for m in self.messages if m["msg_type"] != "status"]


class KernelHandle:
    """A started kernel with a blocking client; iopub messages are sorted by parent."""

    def __init__(self, km, kc):
        self.km = km
        self.kc = kc
        self._iopub = {}  # parent msg_id -> [messages]
        self._idle = set()  # parent msg_ids whose idle status arrived

    # -- iopub bookkeeping -----------------------------------------------------------------

    def _pump(self, timeout):
        msg = self.kc.get_iopub_msg(timeout=timeout)
        msg["received"] = time.monotonic()
        parent = msg["parent_header"].get("msg_id")
        self._iopub.setdefault(parent, []).append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            self._idle.add(parent)
        return msg

    def wait_idle(self, msg_id, timeout=30):
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

    def wait_for(self, msg_id, predicate, timeout=30):
        """Pump iopub until a message of ``msg_id`` satisfies ``predicate``; returns it."""
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

    def drain(self, timeout=0.2):
        """Read every iopub message that arrives within ``timeout`` seconds of the last."""
        while True:
            try:
                self._pump(timeout)
            except queue.Empty:
                return

    # -- requests --------------------------------------------------------------------------------

    def submit(self, code, **kwargs):
        """Send an execute request without waiting; returns its msg_id."""
        return self.kc.execute(code, **kwargs)

    def reply(self, msg_id, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply to {msg_id} within {timeout} s")
            msg = self.kc.get_shell_msg(timeout=left)
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def execute(self, code, timeout=30, **kwargs):
        """Run ``code``; returns an :class:`Execution` once the kernel is idle again."""
        msg_id = self.submit(code, **kwargs)
        reply = self.reply(msg_id, timeout)
        assert reply["content"]["status"] != "aborted", (
            "the kernel aborted the request (sent before the reply of a failed cell?)")
        messages = self.wait_idle(msg_id, timeout)
        return Execution(self.kc, msg_id, reply, messages)

    def execute_with_input(self, code, answers, timeout=30):
        """Run ``code`` answering its input requests from ``answers``; returns (Execution, prompts)."""
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
        reply = self.reply(msg_id, timeout)
        return Execution(self.kc, msg_id, reply, self.wait_idle(msg_id, timeout)), prompts

    def complete(self, code, cursor_pos=None, timeout=15):
        msg_id = self.kc.complete(code, cursor_pos)
        return self.reply(msg_id, timeout)["content"]

    def inspect(self, code, cursor_pos=None, timeout=15):
        msg_id = self.kc.inspect(code, cursor_pos)
        return self.reply(msg_id, timeout)["content"]

    def interrupt(self):
        self.km.interrupt_kernel()

    def shutdown(self):
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=False)


def start_kernel(startup_timeout=60, kernel_name=KERNEL_NAME):
    """Start an installed kernel (``interp`` unless told) over IPC; returns a :class:`KernelHandle`."""
    from jupyter_client.manager import KernelManager

    from interp_kernel.jupyter.demo import ipc_transport

    if kernel_name == KERNEL_NAME:
        require_kernelspec()
    km = KernelManager(kernel_name=kernel_name, **ipc_transport())
    km.start_kernel(env=kernel_env())
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=startup_timeout)
    except RuntimeError:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        raise
    handle = KernelHandle(km, kc)
    handle.drain(0.1)
    return handle


@pytest.fixture
def manager():
    """A Manager (the library, no Jupyter) of its own, shut down after the test."""
    from interp_kernel import Manager

    m = Manager()
    yield m
    m.shutdown(timeout=5)


@pytest.fixture(scope="module")
def kernel():
    """One running ``interp`` kernel shared by the tests of a module."""
    handle = start_kernel()
    yield handle
    handle.shutdown()


@pytest.fixture
def fresh_kernel():
    """A kernel of its own, for tests that shut down, restart or break it."""
    handle = start_kernel()
    yield handle
    try:
        handle.shutdown()
    except Exception:
        pass


def report(test, **figures):
    """Print a test's figures; append them to $INTERP_RELIABILITY_FIGURES when set."""
    import json

    line = json.dumps({"test": test, "python": sys.version.split()[0], **figures})
    print(line)
    path = os.environ.get("INTERP_RELIABILITY_FIGURES")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def cell(text):
    """A cell's source written as an indented triple-quoted string."""
    return textwrap.dedent(text).strip("\n")
