"""The dashboard, the timeline and the --bg status line in a real kernel, through jupyter_client.

No frontend: the test plays the frontend's part of the widget protocol. It follows the
widget models from their ``comm_open`` / ``comm_msg`` / ``comm_close`` messages on
iopub and presses buttons by sending ``comm_msg`` (``{"method": "custom", "content":
{"event": "click"}}``) on the shell channel, as JupyterLab does.
"""

import time

import pytest
from conftest import start_kernel, strip_ansi
from svg_reading import bars, busy, lanes, length, overlap, parse, span

pytestmark = pytest.mark.timeout(180)

SPIN = "import time\nn = 0\nwhile True:\n    n += 1\n    print('tick', n)\n    time.sleep(0.05)\n"


class Widgets:
    """The widget models the kernel opened, kept up to date from iopub."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.models = {}  # comm_id -> state
        self.closed = set()
        self.seen = 0

    def sync(self):
        messages = self.kernel.all
        for msg in messages[self.seen:]:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "comm_open" and content.get("target_name") == "jupyter.widget":
                self.models[content["comm_id"]] = dict(content["data"]["state"])
            elif kind == "comm_msg" and content["comm_id"] in self.models:
                data = content["data"]
                if data.get("method") in ("update", "echo_update"):
                    self.models[content["comm_id"]].update(data.get("state", {}))
            elif kind == "comm_close":
                self.models.pop(content["comm_id"], None)
                self.closed.add(content["comm_id"])
        self.seen = len(messages)
        return self

    def wait(self, predicate, timeout=15, what="a widget state"):
        deadline = time.monotonic() + timeout
        while True:
            self.sync()
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            try:
                self.kernel._pump(0.1)
            except Exception:
                pass

    def with_class(self, cls):
        return [cid for cid, state in self.models.items() if cls in state.get("_dom_classes", ())]

    def children(self, cid):
        return [c.removeprefix("IPY_MODEL_") for c in self.models.get(cid, {}).get("children", [])]

    def row(self, name, dashboard=None):
        """column -> value of ``name``'s row (in ``dashboard``, or any), or None."""
        for cid in self.with_class(f"interp-row-{name}"):
            if dashboard is not None and cid not in self.children(dashboard):
                continue
            values = {}
            for child in self.children(cid):
                state = self.models.get(child, {})
                for cls in state.get("_dom_classes", ()):
                    if cls.startswith("interp-col-"):
                        values[cls.removeprefix("interp-col-")] = state.get("value")
                    if cls in ("interp-interrupt", "interp-reset", "interp-close"):
                        values[cls.removeprefix("interp-") + "_button"] = child
                        values[cls.removeprefix("interp-") + "_disabled"] = state.get("disabled")
            return values
        return None

    def click(self, button):
        kc = self.kernel.kc
        msg = kc.session.msg("comm_msg", {"comm_id": button, "data": {"method": "custom", "content": {"event": "click"}}})
        kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]


@pytest.fixture(scope="module")
def kernel():
    handle = start_kernel()
    handle.all = []  # every iopub message, in arrival order
    pump = handle._pump

    def recording_pump(timeout):
        msg = pump(timeout)
        handle.all.append(msg)
        return msg

    handle._pump = recording_pump
    yield handle
    handle.shutdown()


@pytest.fixture
def widgets(kernel):
    return Widgets(kernel)


def field(w, name, key, dashboard=None):
    row = w.row(name, dashboard)
    return None if row is None else row.get(key)


def open_dashboard(kernel, w):
    ex = kernel.execute("%interp dashboard")
    assert ex.ok, ex.summary()
    views = [m["content"]["data"] for m in ex.of_type("execute_result", "display_data")
             if "application/vnd.jupyter.widget-view+json" in m["content"]["data"]]
    assert views, ex.summary()
    text = views[0]["text/plain"]  # what a frontend without widgets shows: the interpreters table
    assert text.startswith(("name ", "no interpreters")), text
    model = views[0]["application/vnd.jupyter.widget-view+json"]["model_id"]
    w.sync()
    assert "interp-dashboard" in w.models[model]["_dom_classes"]
    assert w.models[model]["_model_name"] == "VBoxModel"
    return model


def test_dashboard_model_follows_interpreters_and_buttons_work(kernel, widgets):
    w = widgets
    dash = open_dashboard(kernel, w)
    # a new interpreter appears without re-running the magic
    assert kernel.execute("%interp create spin").ok
    w.wait(lambda: field(w, "spin", "state", dash) == "idle", what="row spin")
    assert field(w, "spin", "config", dash) == "isolated"
    # a --bg job: the row says background (and the time column running)
    bg = kernel.submit(f"%%interp spin --bg\n{SPIN}")
    kernel.reply(bg)
    w.wait(lambda: field(w, "spin", "state", dash) == "background", what="background state")
    w.wait(lambda: (field(w, "spin", "time", dash) or "").startswith("running"), what="running time")
    assert field(w, "spin", "interrupt_disabled", dash) is False
    # Interrupt, pressed through the comm, stops the job; the row goes back to idle
    w.click(field(w, "spin", "interrupt_button", dash))
    w.wait(lambda: field(w, "spin", "state", dash) == "idle", what="idle after interrupt")
    w.wait(lambda: field(w, "spin", "cells", dash) == "1", what="one cell run")
    w.wait(lambda: field(w, "spin", "interrupt_disabled", dash) is True, what="Interrupt disabled")
    # the bg cell shows the KeyboardInterrupt, in its own cell
    error = kernel.wait_for(bg, lambda m: m["msg_type"] == "error", timeout=15)
    assert error["content"]["ename"] == "KeyboardInterrupt"
    assert "KeyboardInterrupt" in strip_ansi("\n".join(error["content"]["traceback"]))
    w.wait(lambda: any(w.models[m].get("value") == "interrupted spin"
                       for m in w.with_class("interp-dashboard-message")), what="message")

    # Reset: a fresh interpreter under the same name (new id, no cells run)
    old_id = field(w, "spin", "id", dash)
    w.click(field(w, "spin", "reset_button", dash))
    w.wait(lambda: field(w, "spin", "id", dash) not in (None, old_id), what="new id")
    w.wait(lambda: field(w, "spin", "cells", dash) == "0", what="no cells run")

    # Close on a running interpreter interrupts it first; its row goes
    fg = kernel.submit("%%interp spin --bg\nwhile True: pass")
    kernel.reply(fg)
    w.wait(lambda: field(w, "spin", "state", dash) == "background")
    w.click(field(w, "spin", "close_button", dash))
    w.wait(lambda: w.row("spin", dash) is None, timeout=20, what="row removed")
    ex = kernel.execute("%interp list")
    assert "spin" not in (ex.text or "")


def test_state_changes_when_an_interpreter_starts_and_stops(kernel, widgets):
    w = widgets
    dash = open_dashboard(kernel, w)
    msg_id = kernel.submit("%%interp fg\nimport time\nt = time.perf_counter()\nwhile time.perf_counter() - t < 1.5: pass")
    w.wait(lambda: field(w, "fg", "state", dash) == "running", what="running")
    kernel.reply(msg_id)
    w.wait(lambda: field(w, "fg", "state", dash) == "idle", what="idle")
    w.wait(lambda: (field(w, "fg", "time", dash) or "").startswith("last 1."), what="last duration")


def test_several_dashboards_and_closing_one(kernel, widgets):
    w = widgets
    first = open_dashboard(kernel, w)
    second = open_dashboard(kernel, w)
    assert first != second
    ex = kernel.execute(
        "import threading\nfrom interp_kernel.views.dashboard import Dashboard\n"
        "ds = [w for w in __import__('ipywidgets').Widget.widgets.values() if isinstance(w, Dashboard)]\n"
        "before = sum(t.name == 'interp-dashboard' for t in threading.enumerate())\n"
        f"[d for d in ds if d.model_id == {first!r}][0].close()\n"
        "after = sum(t.name == 'interp-dashboard' for t in threading.enumerate())\n"
        "before - after"
    )
    assert ex.ok and ex.text == "1", ex.summary()
    rows = [c for c in w.children(first) if c in w.with_class("interp-row")]
    w.wait(lambda: first in w.closed, what="comm_close of the closed dashboard")
    w.wait(lambda: all(r in w.closed for r in rows), what="its rows closed too")
    assert kernel.execute("%interp create later").ok
    w.wait(lambda: field(w, "later", "state", second) == "idle", what="the open one still updates")
    assert w.row("later", first) is None


def test_bg_status_line_updates_in_its_own_cell(kernel):
    bg = kernel.submit("%%interp st --bg job1\nimport time\nfor i in range(5):\n    print(i)\n    time.sleep(0.3)\n")
    kernel.reply(bg)
    first = kernel.wait_for(bg, lambda m: m["msg_type"] == "display_data"
                            and "interp-bg" in m["content"].get("transient", {}).get("display_id", ""))
    display_id = first["content"]["transient"]["display_id"]
    assert "running in st since" in first["content"]["data"]["text/plain"]
    # another cell runs meanwhile; the job's updates still belong to the job's cell
    other = kernel.execute("%interp wait job1", timeout=30)
    assert other.ok
    final = kernel.wait_for(bg, lambda m: m["msg_type"] == "update_display_data"
                            and "done" in m["content"]["data"]["text/plain"], timeout=15)
    assert final["content"]["transient"]["display_id"] == display_id
    text = final["content"]["data"]["text/plain"]
    assert "job1: done in st in" in text and "5 lines printed" in text
    updates = [m for m in kernel.all if m["msg_type"] == "update_display_data"
               and m["content"]["transient"].get("display_id") == display_id]
    assert len(updates) >= 2  # ticks while running, then the end
    assert all(m["parent_header"]["msg_id"] == bg for m in updates)
    assert not [m for m in other.of_type("display_data", "update_display_data")
                if m["content"].get("transient", {}).get("display_id") == display_id]


def test_bg_status_line_interrupted(kernel):
    bg = kernel.submit(f"%%interp st2 --bg\n{SPIN}")
    kernel.reply(bg)
    kernel.wait_for(bg, lambda m: m["msg_type"] == "stream" and "tick 3" in m["content"]["text"])
    assert kernel.execute("%interp interrupt st2").ok
    final = kernel.wait_for(bg, lambda m: m["msg_type"] == "update_display_data"
                            and "interrupted" in m["content"]["data"]["text/plain"], timeout=15)
    assert "KeyboardInterrupt" in final["content"]["data"]["text/plain"]
    assert "interp-bg-interrupted" in final["content"]["data"]["text/html"]


def test_timeline_svg_isolated_overlap_legacy_turns(kernel):
    # calibrate ~0.3 s of module-level work in the kernel's main interpreter
    ex = kernel.execute(
        "import time as _t\n_ns = {}\n_c = _t.thread_time()\nexec('x = 0\\nfor i in range(200000):\\n    x += i\\n', _ns)\n"
        "int(0.3 / max(_t.thread_time() - _c, 1e-4) * 200000)")
    iterations = int(ex.text)
    body = f"x = 0\nfor i in range({iterations}):\n    x += i\n"
    assert kernel.execute(f"%%interp tl-a tl-b\n{body}", timeout=60).ok
    iso = kernel.execute("%interp timeline --last 2")
    assert iso.ok, iso.summary()
    svg = iso.result["image/svg+xml"]
    assert kernel.execute(f"%%interp tl-la tl-lb --config legacy\n{body}", timeout=60).ok
    leg = kernel.execute("%interp timeline --last 2").result["image/svg+xml"]

    root = parse(svg)
    assert set(lanes(root)) == {"tl-a", "tl-b"} and len(bars(root)) == 2
    a, b = ([span(r) for r in busy(root, n)] for n in ("tl-a", "tl-b"))
    root = parse(leg)
    assert set(lanes(root)) == {"tl-la", "tl-lb"} and len(bars(root)) == 2
    la, lb = ([span(r) for r in busy(root, n)] for n in ("tl-la", "tl-lb"))
    print(f"isolated overlap {overlap(a, b):.1f} px of {length(a):.1f}/{length(b):.1f}; "
          f"legacy overlap {overlap(la, lb):.1f} px of {length(la):.1f}/{length(lb):.1f}")
    assert overlap(la, lb) <= 0.05 * min(length(la), length(lb))
    assert overlap(a, b) > max(3.0, 2 * overlap(la, lb))
    bar = {x.get("data-lane"): x for x in bars(root)}
    cpu = sum(float(bar[n].get("data-cpu")) for n in ("tl-la", "tl-lb"))
    wall = max(float(bar[n].get("data-end")) for n in bar) - min(float(bar[n].get("data-start")) for n in bar)
    assert cpu <= 1.15 * wall + 0.01


def test_timeline_whole_and_since_reset(kernel):
    assert kernel.execute("%%interp tr\n1").ok
    assert kernel.execute("%interp reset tr").ok
    assert kernel.execute("%%interp tr\n2").ok
    whole = parse(kernel.execute("%interp timeline").result["image/svg+xml"])
    assert "tr" in lanes(whole)
    labels = [b.get("data-label") for b in bars(whole) if b.get("data-lane") == "tr"]
    assert labels == ["1", "2"]
    ex = kernel.execute("%interp timeline --since-reset")
    recent = parse(ex.result["image/svg+xml"])
    assert [b.get("data-label") for b in bars(recent) if b.get("data-lane") == "tr"] == ["2"]
    assert "interp timeline" in ex.text
    bad = kernel.execute("%interp timeline --last 2 --since-reset")
    assert not bad.ok
