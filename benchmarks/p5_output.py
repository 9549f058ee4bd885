"""P5: 100k printed lines from a cell to the client.

`for i in range(100000): print(i)` as a plain cell (interp kernel and stock
ipykernel), as a `%%interp w` cell and as a `%%px` cell (1 engine), timed from the
client until the reply and idle status are in; every stdout message of the cell is
collected and the lines checked against what was printed (lost = printed lines that
had not arrived when the cell was idle; `%%px` shows output as an updated display).
"""

from bench_records import Family

LINES = 100_000
BODY = f"for i in range({LINES}):\n    print(i)\n"
EXPECTED = [str(i) for i in range(LINES)]


def _stdout(ex):
    """The cell's stdout as the client got it: stream messages, or (ipyparallel's %%px) the
    last version of each `...-stdout` display (display_data + update_display_data)."""
    text = ex.stream("stdout")
    displays = {}
    for msg in ex.of_type("display_data", "update_display_data"):
        display_id = msg["content"].get("transient", {}).get("display_id") or ""
        if display_id.endswith("-stdout"):
            displays[display_id] = msg["content"]["data"].get("text/plain", "")
    for shown in displays.values():
        if shown.startswith("[stdout:"):
            shown = shown.split("] ", 1)[1]
        text += shown
    return text


def _lost(text):
    """Printed lines that did not arrive."""
    got = text.splitlines()
    if got == EXPECTED:
        return 0
    seen = set(got)
    return sum(1 for line in EXPECTED if line not in seen)


def run(ctx):
    fam = Family("P5", f"{LINES:,} printed lines from a cell to the client", "s")
    reps = ctx.reps(3, 1)
    cells = ctx.cell_contenders(BODY)
    samples = {key: [] for key, _, _ in cells}
    lost = {key: [] for key, _, _ in cells}
    messages = {key: [] for key, _, _ in cells}
    for _ in range(reps):
        for key, kernel, code in cells:
            ex = kernel.execute(code, timeout=300)
            samples[key].append(ex.elapsed)
            lost[key].append(_lost(_stdout(ex)))
            messages[key].append(len(ex.of_type("stream", "display_data", "update_display_data")))
    labels = {"interp": "`%%interp w` cell", "plain": "plain cell (interp kernel)",
              "stock": "plain cell (stock python3 ipykernel)", "px": "`%%px` cell, 1 engine"}
    for key, _, _ in cells:
        fam.add(labels[key], samples[key], ours=key == "interp", key=key, lost_max=max(lost[key]),
                stream_messages=messages[key])
    for key, _, _ in cells:
        fam.value(f"lines lost: {labels[key]}", max(lost[key]), ours=key == "interp", unit="lines",
                  key=f"lost_{key}", n=reps)
    ratio = fam.row("interp")["median"] / fam.row("plain")["median"]
    fam.value("ratio `%%interp` / plain cell", ratio, ours=True, unit="×", key="ratio")
    fam.headline(["interp", "lost_interp"], ["plain", "stock", "px"],
                 {"interp": "`%%interp w`", "lost_interp": "lost", "plain": "plain cell", "stock": "stock ipykernel",
                  "px": "`%%px`"})
    fam.plot(["interp", "plain", "stock", "px"], 2 * fam.row("plain")["median"], "2 × plain")
    fam.target("`%%interp` ≤ 2× a plain cell", ratio, "<=", 2.0, "×")
    fam.target("0 lines lost", max(lost["interp"]), "<=", 0, "lines")
    return fam
