"""The timeline SVG: pure records -> SVG, and real interpreters running in parallel or taking turns."""

import time
import xml.etree.ElementTree as ET

import pytest
from svg_reading import SVG, bars, busy, lanes, length, overlap, parse, span

from interp_kernel.runtime.jobs import RunRecord
from interp_kernel.views.lanes import busy_segments
from interp_kernel.views.recorder import recorder_for, select_records
from interp_kernel.views.timeline import COLORS, Timeline, timeline_for, timeline_svg

pytestmark = pytest.mark.timeout(120)


def record(session, job, start, end, status="ok", label=None):
    r = RunRecord(session, job, label if label is not None else f"cell {job}", start)
    if end is not None:
        r.close(status, end)
    return r


# -- pure: records -> SVG --------------------------------------------------------------


def test_lanes_bars_and_axis():
    base = 1000.0
    records = [
        record("a", 1, base + 0.0, base + 1.0),
        record("b", 2, base + 0.5, base + 2.0, "error"),
        record("main", 3, base + 0.2, base + 0.4),
        record("a", 4, base + 2.0, base + 3.0, "interrupted"),
    ]
    svg = timeline_svg(records, width=800)
    root = parse(svg)  # well-formed XML
    assert root.tag == SVG + "svg" and root.get("width") == "800"
    assert lanes(root) == ["main", "a", "b"]  # main first, then by first run
    found = bars(root)
    assert [b.get("data-job") for b in found] == ["1", "3", "2", "4"]
    by_job = {b.get("data-job"): b for b in found}
    assert float(by_job["1"].get("data-start")) == pytest.approx(0.0)
    assert float(by_job["1"].get("data-end")) == pytest.approx(1.0)
    assert float(by_job["2"].get("data-start")) == pytest.approx(0.5)
    # x and width follow the axis scale
    scale = float(root.get("data-scale"))
    x0 = float(root.get("data-plot-x"))
    for b in found:
        assert float(b.get("x")) == pytest.approx(x0 + float(b.get("data-start")) * scale, abs=0.01)
        assert float(b.get("width")) == pytest.approx(
            (float(b.get("data-end")) - float(b.get("data-start"))) * scale, abs=0.01)
        assert float(b.get("x")) + float(b.get("width")) <= 800
    # same lane -> same y; different lanes -> different y
    assert by_job["1"].get("y") == by_job["4"].get("y") != by_job["2"].get("y")
    # axis: seconds, from 0 to at least the last end
    ticks = [t.text for t in root.iter(SVG + "text") if t.text and t.text.endswith(" s")]
    assert ticks[0] == "0 s"
    assert max(float(t.split()[0]) for t in ticks) >= 3.0


def test_colours_by_outcome_and_running_bars_end_now():
    records = [
        record("w", 1, 10.0, 11.0, "ok"),
        record("w", 2, 11.0, 12.0, "error"),
        record("w", 3, 12.0, 13.0, "interrupted"),
        record("w", 4, 13.0, None),  # still running
    ]
    root = parse(timeline_svg(records, now=15.0))
    fills = {b.get("data-status"): b.get("fill") for b in bars(root)}
    assert fills == {"ok": COLORS["ok"], "error": COLORS["error"],
                     "interrupted": COLORS["interrupted"], "running": COLORS["running"]}
    assert len(set(fills.values())) == 4
    running = [b for b in bars(root) if b.get("data-status") == "running"][0]
    assert float(running.get("data-end")) == pytest.approx(5.0)  # now - origin


def test_tooltips_name_the_cell_and_its_duration():
    records = [record("w", 7, 0.0, 0.3125, label="total = sum(range(10**8))"),
               record("w", 8, 1.0, 3.5, "error", label="1/0")]
    root = parse(timeline_svg(records))
    groups = [g for g in root.iter(SVG + "g") if (g.get("class") or "").startswith("interp-run")]
    titles = [g.find(SVG + "title").text for g in groups]
    assert "total = sum(range(10**8))" in titles[0] and "312.5 ms" in titles[0] and "ok" in titles[0]
    assert "1/0" in titles[1] and "2.50 s" in titles[1] and "error" in titles[1]


def test_labels_are_escaped_and_truncated():
    label = "<script>alert('x')</script> & " + "y" * 200
    svg = timeline_svg([record("w", 1, 0.0, 5.0, label=label)])
    assert "<script>" not in svg
    root = parse(svg)
    assert root.find(f".//{SVG}g[@class='interp-run run-ok']/{SVG}title").text.startswith("w · <script>")
    bar_texts = [t.text for t in root.iter(SVG + "text") if t.text and t.text.startswith("<script>")]
    assert bar_texts and all(len(t) < 120 for t in bar_texts)


def test_readable_at_notebook_width():
    names = [f"worker-{i}" for i in range(6)]
    records = [record(n, i, i * 0.1, i * 0.1 + 0.05) for i, n in enumerate(names)]
    root = parse(timeline_svg(records, width=800))
    sizes = {float(t.get("font-size", "12")) for t in root.iter(SVG + "text")}
    assert min(sizes) >= 11
    height = float(root.get("height"))
    assert height >= 6 * 24  # a lane per interpreter, not squeezed
    assert all(float(b.get("height")) >= 14 for b in bars(root))


def test_empty_and_extra_lanes():
    root = parse(timeline_svg([]))
    assert bars(root) == [] and "no runs yet" in ET.tostring(root, encoding="unicode")
    root = parse(timeline_svg([record("a", 1, 0, 1)], lanes=["a", "idle-one"]))
    assert lanes(root) == ["a", "idle-one"]


def test_legacy_lanes_are_labelled():
    root = parse(timeline_svg([record("a", 1, 0, 1), record("b", 2, 0, 1)], configs={"b": "legacy"}))
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "b (legacy)" in texts and "a" in texts


def test_timeline_object_displays_as_svg():
    t = Timeline(timeline_svg([record("a", 1, 0, 1)]), lanes=["a"], runs=1)
    assert t._repr_svg_().startswith("<svg")
    bundle = t._repr_mimebundle_()
    assert bundle["image/svg+xml"] == t.svg and t.svg in bundle["text/html"]
    assert "1 run in a" in repr(t)


def test_select_last_n():
    records = [record("a", i, float(i), i + 0.5) for i in range(10)]
    assert [r.job for r in select_records(records, last=3)] == [7, 8, 9]
    assert select_records(records, last=0) == []
    assert len(select_records(records)) == 10


# -- busy segments from CPU samples ---------------------------------------------------------


def test_busy_segments_overlap_without_shared_gil_and_alternate_with_it():
    # two runs, each on a CPU all the time, sampled every 10 ms for 100 ms
    samples = [(i * 0.01, i * 0.01) for i in range(11)]
    runs = {"a": (0.0, 0.1, samples), "b": (0.0, 0.1, samples)}
    own = busy_segments(runs, shared=set())
    assert own["a"] == own["b"] == [(0.0, pytest.approx(0.1))]
    # sharing a GIL, each got half of every sample interval: laid end to end, no overlap
    half = [(i * 0.01, i * 0.005) for i in range(11)]
    shared = busy_segments({"a": (0.0, 0.1, half), "b": (0.0, 0.1, half)}, shared={"a", "b"})
    assert overlap(shared["a"], shared["b"]) == pytest.approx(0.0, abs=1e-12)
    assert length(shared["a"]) == pytest.approx(0.05) and length(shared["b"]) == pytest.approx(0.05)
    # more CPU than wall (clock noise) is squeezed, never drawn overlapping
    full = busy_segments({"a": (0.0, 0.1, samples), "b": (0.0, 0.1, samples)}, shared={"a", "b"})
    assert overlap(full["a"], full["b"]) == pytest.approx(0.0, abs=1e-12)


def test_activity_draws_busy_rects_inside_the_bars():
    samples = [(i * 0.01, i * 0.005) for i in range(11)]
    records = [record("a", 1, 0.0, 0.1), record("b", 2, 0.0, 0.1)]
    svg = timeline_svg(records, activity={1: samples, 2: samples}, configs={"a": "legacy", "b": "legacy"})
    root = parse(svg)
    a = [span(r) for r in busy(root, "a")]
    b = [span(r) for r in busy(root, "b")]
    assert a and b and overlap(a, b) < 0.05
    bar = bars(root)[0]
    assert float(bar.get("data-cpu")) == pytest.approx(0.05)
    x0, x1 = span(bar)
    assert all(x0 - 0.01 <= s0 and s1 <= x1 + 0.31 for s0, s1 in a)


# -- real interpreters ----------------------------------------------------------------------


def _cpu_work(seconds):
    """A cell that does about ``seconds`` of pure-Python CPU work (calibrated here, at
    module level like a cell's code)."""
    probe = 200_000
    namespace = {}
    code = "x = 0\nfor i in range({}):\n    x += i\n"
    t = time.thread_time()
    exec(code.format(probe), namespace)
    per = max(time.thread_time() - t, 1e-4) / probe
    return code.format(int(seconds / per))


def _pair(manager, names, config, code):
    results = manager.run_many(names, code, config=config)
    assert all(r.ok for r in results.values()), results
    records = [r for r in manager.history() if r.session in names]
    return timeline_for(manager, records=records)


def test_isolated_overlap_and_legacy_take_turns(manager):
    """Measured from the SVG: isolated interpreters are on a CPU at the same time, legacy
    ones (one shared GIL) are not, and their CPU time adds up to no more than the wall time.

    Robust on a loaded machine: other load only lowers the CPU the interpreters get, so
    "legacy CPU <= wall" cannot fail by noise; for isolated we ask for a modest overlap
    of the busy segments (both got some CPU in the same sample windows), not a speed-up.
    """
    recorder_for(manager)
    code = _cpu_work(0.3)

    iso = parse(_pair(manager, ["iso-a", "iso-b"], "isolated", code).svg)
    leg = parse(_pair(manager, ["leg-a", "leg-b"], "legacy", code).svg)

    for root, a, b in ((iso, "iso-a", "iso-b"), (leg, "leg-a", "leg-b")):
        assert set(lanes(root)) == {a, b}
        bar = {x.get("data-lane"): x for x in bars(root)}
        # both cells were submitted together: their wall-time bars overlap
        assert overlap([span(bar[a])], [span(bar[b])]) > 0
        assert busy(root, a) and busy(root, b)

    def measure(root, names):
        bar = {x.get("data-lane"): x for x in bars(root)}
        a, b = ([span(r) for r in busy(root, n)] for n in names)
        cpu = sum(float(bar[n].get("data-cpu")) for n in names)
        wall = (max(float(bar[n].get("data-end")) for n in names)
                - min(float(bar[n].get("data-start")) for n in names))
        return a, b, overlap(a, b), cpu, wall

    a, b, iso_shared, iso_cpu, iso_wall = measure(iso, ("iso-a", "iso-b"))
    print(f"isolated: busy {length(a):.1f} px and {length(b):.1f} px, overlapping {iso_shared:.1f} px;"
          f" CPU {iso_cpu:.3f} s in {iso_wall:.3f} s")
    la, lb, leg_shared, leg_cpu, leg_wall = measure(leg, ("leg-a", "leg-b"))
    print(f"legacy: busy {length(la):.1f} px and {length(lb):.1f} px, overlapping {leg_shared:.1f} px;"
          f" CPU {leg_cpu:.3f} s in {leg_wall:.3f} s")

    # legacy: never on a CPU at the same time (only px rounding of tiny gaps) ...
    assert leg_shared <= 0.05 * min(length(la), length(lb))
    # ... and that is measured, not just drawn: one GIL -> at most one core between them
    assert leg_cpu <= 1.15 * leg_wall + 0.01
    # isolated: busy at the same time. Other load on the machine can take a core away
    # (then they time-share it, and the picture shows that), but both still get CPU in
    # many of the same few-ms sample windows, which legacy interpreters never do.
    assert iso_shared > max(3.0, 2 * leg_shared)
    # when they got more than one core between them, the drawing cannot hide it
    # (busy time beyond the wall span must be drawn overlapping)
    union = max(x1 for _x0, x1 in a + b) - min(x0 for x0, _x1 in a + b)
    assert iso_shared >= 0.9 * (length(a) + length(b) - union) - 1.0
    # and legacy lanes say so
    texts = [t.text for t in leg.iter(SVG + "text")]
    assert "leg-a (legacy)" in texts


def test_since_reset_and_last_with_a_real_manager(manager):
    w = manager.session("w")
    w.run("1")
    w.run("2")
    manager.session("other").run("3")
    manager.reset("w")
    manager.session("w").run("4")
    labels = lambda t: [b.get("data-label") for b in bars(parse(t.svg))]  # noqa: E731
    assert labels(timeline_for(manager)) == ["1", "2", "3", "4"]
    assert labels(timeline_for(manager, since_reset=True)) == ["3", "4"]
    assert labels(timeline_for(manager, last=2)) == ["3", "4"]
    assert labels(timeline_for(manager, last=1, since_reset=True)) == ["4"]


def test_recorder_samples_only_while_something_runs(manager):
    recorder = recorder_for(manager)
    assert recorder_for(manager) is recorder
    w = manager.session("w")
    job = w.submit(_cpu_work(0.1))
    time.sleep(0.02)
    job.wait()
    deadline = time.monotonic() + 3
    while recorder.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not recorder.running
    samples = recorder.samples(job.id)
    assert samples and len(samples) >= 3
    cpu = samples[-1][1] - samples[0][1]
    assert 0 < cpu <= (samples[-1][0] - samples[0][0]) * 1.1 + 0.01
    # the next runs are found by the same thread: starting one per cell cost every cell ~0.3 ms
    first = recorder._thread
    for _ in range(3):
        w.run(_cpu_work(0.01))
    assert first.is_alive() and recorder._thread is first
    recorder.PARK_LIMIT = 0.1  # idle that long: the thread ends, the next run starts another
    w.run(_cpu_work(0.01))
    first.join(3)
    assert not first.is_alive()
    job = w.submit(_cpu_work(0.05))
    job.wait()
    assert len(recorder.samples(job.id)) >= 3 and recorder._thread is not first
    recorder.close()


def test_an_idle_sampler_uses_almost_no_cpu_and_new_runs_need_no_wake_up(manager):
    recorder = recorder_for(manager)
    w = manager.session("w")
    w.run("1")
    thread = recorder._thread
    clock = time.pthread_getcpuclockid(thread.ident)
    used = time.clock_gettime(clock)
    time.sleep(0.5)
    assert time.clock_gettime(clock) - used < 0.02  # a look every POLL seconds, nothing more
    job = w.submit(_cpu_work(0.2))  # found by the next look, then sampled every 2 ms
    job.wait()
    assert recorder._thread is thread
    assert len(recorder.samples(job.id)) >= 10
    recorder.close()


def test_main_cells_get_a_lane(manager):
    from IPython.core.interactiveshell import InteractiveShell

    from interp_kernel.jupyter.timeline_cells import attach, detach

    shell = InteractiveShell.instance()
    try:
        attach(manager, shell)
        manager.session("w").run("1")
        shell.run_cell("x = 0\nfor i in range(300_000):\n    x += i\n")
        shell.run_cell("1/0")
        shell.run_cell("%%interp w\n2")  # an interpreter's cell, not main's work
        shell.run_cell("%interp list")
        records = recorder_for(manager).main_records()
        assert [(r.label, r.status) for r in records] == [("x = 0", "ok"), ("1/0", "error")]
        root = parse(timeline_for(manager).svg)
        assert lanes(root) == ["main", "w"]
        main_bars = [b for b in bars(root) if b.get("data-lane") == "main"]
        assert [b.get("data-status") for b in main_bars] == ["ok", "error"]
        assert float(main_bars[0].get("data-cpu")) > 0  # main's CPU is sampled too
    finally:
        detach(manager)
        InteractiveShell.clear_instance()
