"""Lane geometry of the timeline, in seconds (no drawing): which lanes, and when each
run was on a CPU.

Bars show *wall* time. What a run did inside its bar comes from its CPU samples
(:class:`~interp_kernel.views.recorder.ActivityRecorder`): the moments it was actually
on a CPU are its "busy" segments. Two isolated interpreters (one GIL each) are busy at
the same time: their segments overlap. Interpreters that share the main GIL (config
``legacy``, and ``main``) can only run one at a time: within each sample their CPU
times are laid end to end, so the picture shows them taking turns. The amounts are
measured; the order of the turns inside one sample (a few ms) is drawn, not measured.
"""

__all__ = ["SHARED_GIL_CONFIGS", "busy_segments", "cpu_seconds", "lane_names"]

#: Configs whose interpreters share one GIL (main's): they run one at a time.
SHARED_GIL_CONFIGS = ("legacy", "main")


def lane_names(records, extra=None):
    """Lane names in order of first run, then ``extra`` lanes; ``main`` first when present."""
    names = []
    for r in records:
        if r.session not in names:
            names.append(r.session)
    for name in extra or ():
        if name not in names:
            names.append(name)
    if "main" in names:
        names.remove("main")
        names.insert(0, "main")
    return names


def _pieces(samples, start, end):
    """(t0, t1, cpu seconds) per sample interval, clipped to the run."""
    pieces = []
    for (t0, c0), (t1, c1) in zip(samples, samples[1:]):
        t0, t1 = max(t0, start), min(t1, end)
        if t1 <= t0:
            continue
        pieces.append((t0, t1, min(max(c1 - c0, 0.0), t1 - t0)))
    return pieces


def cpu_seconds(samples, start, end):
    """CPU seconds the samples show between ``start`` and ``end``."""
    return sum(cpu for _t0, _t1, cpu in _pieces(samples, start, end))


def busy_segments(runs, shared):
    """Busy segments per run: ``runs`` maps key -> (start, end, samples).

    Runs that do not share a GIL are busy from the start of each sample interval for
    the CPU time it used. Runs in ``shared`` (one GIL between them) are laid end to end
    inside each elementary interval, the one that ran last going first, so they never
    overlap. Returns key -> [(t0, t1)] (merged, sorted).
    """
    out = {}
    shared_pieces = {}
    for key, (start, end, samples) in runs.items():
        pieces = _pieces(samples, start, end) if samples else []
        if key in shared:
            shared_pieces[key] = pieces
        else:
            out[key] = _merge([(t0, t0 + cpu) for t0, _t1, cpu in pieces if cpu > 0])
    if shared_pieces:
        out.update(_pack_lanes(shared_pieces))
    return out


def _pack_lanes(pieces_by_key):
    """Lay the CPU time of runs that share one GIL end to end, interval by interval."""
    bounds = sorted({t for pieces in pieces_by_key.values() for p in pieces for t in p[:2]})
    cursors = {key: 0 for key in pieces_by_key}
    segments = {key: [] for key in pieces_by_key}
    order = list(pieces_by_key)
    for u0, u1 in zip(bounds, bounds[1:]):
        width = u1 - u0
        if width <= 0:
            continue
        demand = {}
        for key, pieces in pieces_by_key.items():
            i = cursors[key]
            while i < len(pieces) and pieces[i][1] <= u0:
                i += 1
            cursors[key] = i
            if i < len(pieces) and pieces[i][0] <= u0 and pieces[i][1] >= u1:
                t0, t1, cpu = pieces[i]
                d = cpu * width / (t1 - t0)
                if d > 0:
                    demand[key] = d
        if not demand:
            continue
        scale = min(1.0, width / sum(demand.values()))
        t = u0
        turns = [k for k in order if k in demand]
        for key in turns:
            d = demand[key] * scale
            segments[key].append((t, t + d))
            t += d
        # whoever ran last goes first in the next interval (continuous turns)
        order.remove(turns[-1])
        order.insert(0, turns[-1])
    return {key: _merge(segs) for key, segs in segments.items()}


def _merge(segments, gap=1e-6):
    """Sorted segments, those closer than ``gap`` joined, empty ones dropped."""
    merged = []
    for t0, t1 in sorted(segments):
        if t1 <= t0:
            continue
        if merged and t0 <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], t1)
        else:
            merged.append([t0, t1])
    return [tuple(s) for s in merged]
