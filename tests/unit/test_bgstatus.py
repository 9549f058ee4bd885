"""The --bg status line without a kernel: a fake shell records what would be published."""

import threading
import time

import pytest

from interp_kernel.jupyter import bgstatus
from interp_kernel.jupyter.bgstatus import BackgroundStatus

pytestmark = pytest.mark.timeout(30)


class FakePublisher:
    """Like ipykernel's ZMQDisplayPublisher: a per-thread parent header, then publish."""

    def __init__(self):
        self.messages = []
        self.local = threading.local()

    def set_thread_parent(self, parent):
        previous = getattr(self.local, "parent", None)
        self.local.parent = parent
        return previous

    def reset_thread_parent(self, token):
        self.local.parent = token

    def publish(self, data, metadata=None, *, transient=None, update=False):
        self.messages.append({
            "data": data, "transient": transient, "update": update,
            "parent": getattr(self.local, "parent", None), "thread": threading.current_thread().name,
        })


class FakeKernel:
    def __init__(self, parent):
        self.parent = parent

    def get_parent(self, channel=None):
        return self.parent


class FakeShell:
    def __init__(self, parent):
        self.display_pub = FakePublisher()
        self.kernel = FakeKernel(parent)


@pytest.fixture
def fast_ticks(monkeypatch):
    monkeypatch.setattr(BackgroundStatus, "TICK", 0.05)


def test_updates_in_place_with_the_starting_cells_parent(fast_ticks):
    shell = FakeShell({"header": {"msg_id": "cell-1"}})
    status = BackgroundStatus("job", names=["worker"], shell=shell).start()
    shell.kernel.parent = {"header": {"msg_id": "cell-2"}}  # another cell runs now
    status.output("one\ntwo\n")
    status.output("thr")
    status.output("ee\n")
    deadline = time.monotonic() + 10
    while sum(m["thread"] == "interp-bg-status" for m in shell.display_pub.messages) < 2:
        assert time.monotonic() < deadline, "no ticks"
        time.sleep(0.02)
    status.finish("ok", 2.5)
    messages = shell.display_pub.messages
    assert messages[0]["update"] is False and all(m["update"] for m in messages[1:])
    assert len({m["transient"]["display_id"] for m in messages}) == 1
    assert all(m["parent"] == {"header": {"msg_id": "cell-1"}} for m in messages)
    assert any(m["thread"] == "interp-bg-status" for m in messages)  # ticks come from the ticker
    first = messages[0]["data"]["text/plain"]
    assert "job: running in worker since" in first and "0 lines printed" in first
    last = messages[-1]["data"]["text/plain"]
    assert last == "✔ job: done in worker in 2.50 s · 3 lines printed"
    assert "interp-bg-ok" in messages[-1]["data"]["text/html"]
    count = len(messages)
    time.sleep(0.2)
    assert len(shell.display_pub.messages) == count  # no tick after the end
    status.finish("error", 1.0)  # only the first finish counts
    assert len(shell.display_pub.messages) == count


@pytest.mark.parametrize(("status", "word"), [("error", "failed"), ("interrupted", "interrupted")])
def test_failed_and_interrupted(status, word):
    shell = FakeShell({"header": {"msg_id": "c"}})
    s = BackgroundStatus("j", shell=shell).start()
    s.finish(status, 75.0, detail="KeyboardInterrupt")
    text = shell.display_pub.messages[-1]["data"]["text/plain"]
    assert text.endswith(f"j: {word} after 75.00 s · 0 lines printed · KeyboardInterrupt")


def test_ticker_thread_ends_when_nothing_runs(fast_ticks):
    shell = FakeShell({"header": {"msg_id": "c"}})
    s = BackgroundStatus("j", shell=shell).start()
    assert bgstatus._ticker.running
    s.finish("ok", 0.1)
    deadline = time.monotonic() + 2
    while bgstatus._ticker.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not bgstatus._ticker.running


def test_label_is_not_repeated():
    s = BackgroundStatus("a+b", names=["a", "b"], shell=FakeShell({}))
    assert s.text().startswith("▶ a+b: running since ")
    assert BackgroundStatus("job", names=["a", "b"], shell=FakeShell({})).text().startswith("▶ job: running in a, b since")


def test_without_a_kernel_prints_start_and_end(capsys):
    class Terminal:
        display_pub = object()  # no set_thread_parent: not a kernel

    s = BackgroundStatus("j", shell=Terminal()).start()
    s.line_printed(2)
    s.finish("ok", 0.25)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "running" in out[0] and out[1] == "✔ j: done in 250.0 ms · 2 lines printed"
