"""Shared pieces of the benchmark suite: statistics, result records, real kernels, a cluster.

Everything here runs in the main interpreter of the benchmark driver (psutil, zmq and
jupyter_client refuse or do not belong in subinterpreters).
"""

import json
import os
import queue
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# -- statistics ------------------------------------------------------------------------------


def summary(samples):
    """median, p90, min, mean and n of a list of numbers (in the unit they are in)."""
    s = sorted(samples)
    n = len(s)
    if n == 0:
        return {"median": None, "p90": None, "min": None, "mean": None, "n": 0}
    p90 = s[0] if n == 1 else statistics.quantiles(s, n=10, method="inclusive")[8]
    return {"median": statistics.median(s), "p90": p90, "min": s[0], "mean": statistics.fmean(s), "n": n}


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - t0, value


# -- result records --------------------------------------------------------------------------


class Family:
    """The rows and targets of one measure (P1 ... P8), as stored in the results JSON.

    A row is one contender (``ours`` True for interp_kernel): its statistics in ``unit``.
    A target is a check against a limit with its verdict; a missed one stays in the record.
    """

    def __init__(self, key, title, unit):
        self.key = key
        self.title = title
        self.unit = unit
        self.rows = []
        self.targets = []
        self.notes = []
        self.summary = None  # {"ours": [row keys], "others": [row keys]} for the summary table
        self.chart = None  # {"keys": [row keys], "line": [value, label] or None} for the SVG chart
        self.extra = {}

    def add(self, label, samples, *, ours=False, scale=1.0, unit=None, key=None, **extra):
        """A row from raw samples (seconds are scaled to the family unit by ``scale``)."""
        stats = summary([x * scale for x in samples])
        row = {"key": key or label, "label": label, "ours": ours, "unit": unit or self.unit, **stats, **extra}
        if stats["n"] <= 60:
            row["samples"] = [round(x * scale, 6) for x in samples]
        self.rows.append(row)
        return row

    def value(self, label, value, *, ours=False, unit=None, key=None, p90=None, n=1, **extra):
        """A row that is one derived number (a speed-up, a throughput)."""
        row = {"key": key or label, "label": label, "ours": ours, "unit": unit or self.unit, "median": value,
               "p90": p90, "min": None, "mean": None, "n": n, **extra}
        self.rows.append(row)
        return row

    def row(self, key):
        for row in self.rows:
            if row["key"] == key:
                return row
        raise KeyError(key)

    def target(self, text, value, op, limit, unit, *, headline=True):
        """Record a target: ``value op limit`` (op is ``<=`` or ``>=``)."""
        if value is None:
            met, margin = False, "not measured"
        elif limit == 0:
            met = value <= 0 if op == "<=" else value >= 0
            margin = "met" if met else f"missed by {fmt(abs(value), unit)}"
        elif op == "<=":
            met = value <= limit
            diff = value - limit
            margin = (f"{fmt(-diff, unit)} under the limit" if met
                      else f"missed by {fmt(diff, unit)} ({value / limit:.2f}× the limit)")
        else:
            met = value >= limit
            diff = value - limit
            margin = (f"{fmt(diff, unit)} above the target" if met
                      else f"missed by {fmt(-diff, unit)} (reached {value / limit:.0%} of the target)")
        self.targets.append({"text": text, "value": value, "op": op, "limit": limit, "unit": unit, "met": met,
                             "margin": margin, "headline": headline})

    def note(self, text):
        self.notes.append(text)

    def headline(self, ours, others, short=None):
        """The rows the summary table shows for this measure (``short``: key -> short label)."""
        self.summary = {"ours": list(ours), "others": list(others), "short": dict(short or {})}

    def plot(self, keys, line=None, line_label=None):
        """The rows the SVG chart shows (all in one unit), with an optional target line."""
        self.chart = {"keys": list(keys), "line": line, "line_label": line_label}

    def to_json(self):
        return {"key": self.key, "title": self.title, "unit": self.unit, "rows": self.rows,
                "targets": self.targets, "notes": self.notes, "summary": self.summary, "chart": self.chart,
                **self.extra}


def fmt(value, unit):
    """A number with its unit, with sensible precision."""
    if value is None:
        return "–"
    if unit == "×":
        return f"{value:.2f}×"
    if unit in ("ms", "µs", "MB", "MB/s", "s", "lines"):
        a = abs(value)
        if unit == "lines":
            return f"{value:,.0f} lines"
        if a >= 100:
            text = f"{value:,.0f}"
        elif a >= 10:
            text = f"{value:.1f}"
        elif a >= 1:
            text = f"{value:.2f}"
        else:
            text = f"{value:.3f}"
        return f"{text} {unit}"
    return f"{value:g} {unit}"


# -- environment -----------------------------------------------------------------------------


def clean_env():
    """This process's environment without PYTEST_CURRENT_TEST (ipykernel 7 changes its capture)."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def cpu_snapshot():
    """(monotonic time, CPU seconds busy on the whole machine, CPU seconds of this process tree)."""
    import psutil

    me = psutil.Process()
    ours = 0.0
    for proc in [me] + me.children(recursive=True):
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        ours += t.user + t.system
        if proc is me:
            ours += t.children_user + t.children_system  # helpers that already ended
    total = psutil.cpu_times()
    busy = sum(getattr(total, f, 0.0) for f in ("user", "nice", "system", "irq", "softirq", "steal", "guest"))
    return time.monotonic(), busy, ours


#: A repetition of a parallel measure during which processes outside this run kept more
#: than this many cores busy is discarded and run again (P2; see `quiet_repetitions`).
QUIET_LIMIT = 0.15


def quiet_repetitions(one, reps, budget_s, limit=QUIET_LIMIT):
    """Call ``one()`` until ``reps`` calls ran while other processes left the cores alone.

    On a shared 2-core machine a parallel run loses a core to any other busy process,
    while a serial one does not notice: such repetitions would measure the neighbours.
    Returns (kept results, foreign-core figures of the discarded repetitions, foreign-core
    figures of disturbed repetitions that had to be kept): after ``budget_s`` seconds the
    least disturbed of the discarded ones fill the missing places, and the caller says so.
    """
    kept, discarded, deadline = [], [], time.monotonic() + budget_s
    while len(kept) < reps and time.monotonic() < deadline:
        before = cpu_snapshot()
        result = one()
        foreign = foreign_cores(before, cpu_snapshot())
        if foreign is not None and foreign > limit:
            discarded.append((foreign, result))
        else:
            kept.append(result)
    discarded.sort(key=lambda item: item[0])
    forced = discarded[:reps - len(kept)]
    kept.extend(result for _, result in forced)
    return kept, [f for f, _ in discarded[len(forced):]], [f for f, _ in forced]


def foreign_cores(before, after):
    """Average number of cores that processes outside this run kept busy between two snapshots."""
    elapsed = after[0] - before[0]
    if elapsed <= 0:
        return None
    return round(max(0.0, (after[1] - before[1]) - (after[2] - before[2])) / elapsed, 2)


def machine_info():
    from importlib import metadata

    versions = {}
    for dist in ("interp_kernel", "ipykernel", "jupyter_client", "ipython", "pyzmq", "ipyparallel", "psutil",
                 "tornado"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "interp_kernel", "core"], cwd=ROOT,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
    except Exception:
        commit, dirty = None, None
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import psutil

        memory_gib = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:
        memory_gib = None
    return {
        "python": sys.version.split()[0],
        "python_full": sys.version,
        "implementation": sys.implementation.name,
        "executable": sys.executable,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "platform": sys.platform,
        "kernel_release": os.uname().release,
        "packages": versions,
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
        "git_commit": commit,
        "product_tree_dirty": dirty,
    }


# -- real kernels through jupyter_client -----------------------------------------------------


class Execution:
    """One execute request: elapsed seconds (send -> reply and idle), reply, iopub messages."""

    def __init__(self, elapsed, reply, messages, t_sent):
        self.elapsed = elapsed
        self.reply = reply
        self.messages = messages  # (perf_counter when received, msg)
        self.t_sent = t_sent

    @property
    def ok(self):
        return self.reply is not None and self.reply["content"].get("status") == "ok"

    def of_type(self, *types):
        return [(t, m) for t, m in self.messages if m["msg_type"] in types]

    def stream_text(self, name="stdout"):
        return "".join(m["content"]["text"] for _, m in self.of_type("stream") if m["content"]["name"] == name)

    def error_text(self):
        errors = self.of_type("error")
        if errors:
            c = errors[0][1]["content"]
            return f"{c['ename']}: {c['evalue']}"
        if self.reply is not None and self.reply["content"].get("status") != "ok":
            c = self.reply["content"]
            return f"{c.get('ename')}: {c.get('evalue')}"
        return ""


class KernelError(RuntimeError):
    pass


class Kernel:
    """A real kernel started from its installed kernelspec, with a blocking client."""

    def __init__(self, kernel_name, startup_timeout=90):
        from jupyter_client.manager import KernelManager

        self.name = kernel_name
        self.km = KernelManager(kernel_name=kernel_name)
        t0 = time.perf_counter()
        self.km.start_kernel(env=clean_env())
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=startup_timeout)
        self.startup = time.perf_counter() - t0

    @property
    def pid(self):
        provisioner = getattr(self.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        return process.pid if process is not None else None

    def drain(self):
        while True:
            try:
                self.kc.get_iopub_msg(timeout=0.01)
            except queue.Empty:
                return

    def send(self, code):
        self.drain()
        t0 = time.perf_counter()
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False)
        return msg_id, t0

    def collect(self, msg_id, t0, timeout=120, on_message=None):
        """Wait for the reply and the idle status of ``msg_id``; returns an Execution."""
        deadline = time.monotonic() + timeout
        messages = []
        idle = False
        while not idle:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no idle within {timeout} s")
            try:
                msg = self.kc.get_iopub_msg(timeout=remaining)
            except queue.Empty:
                continue
            now = time.perf_counter()
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            messages.append((now, msg))
            if on_message is not None:
                on_message(now, msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
        reply = None
        while reply is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no reply within {timeout} s")
            msg = self.kc.get_shell_msg(timeout=remaining)
            if msg["parent_header"].get("msg_id") == msg_id:
                reply = msg
        t1 = time.perf_counter()
        return Execution(t1 - t0, reply, messages, t0)

    def execute(self, code, timeout=120, check=False, on_message=None):
        msg_id, t0 = self.send(code)
        ex = self.collect(msg_id, t0, timeout, on_message)
        if check and not ex.ok:
            raise KernelError(f"{self.name}: {code.splitlines()[0]!r} failed: {ex.error_text()}\n"
                              f"{ex.stream_text('stderr')}")
        return ex

    def interrupt(self):
        self.km.interrupt_kernel()

    def shutdown(self):
        try:
            self.kc.stop_channels()
        except Exception:
            pass
        try:
            self.km.shutdown_kernel(now=False)
        except Exception:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:
                pass


# -- an ipyparallel cluster on loopback -------------------------------------------------------


class Cluster:
    """An ipyparallel controller and engines on 127.0.0.1, started and stopped here."""

    def __init__(self):
        import ipyparallel as ipp

        self.ipp = ipp
        self.cluster = ipp.Cluster(n=1, controller_ip="127.0.0.1", engine_timeout=120, log_level=40,
                                   shutdown_atexit=True)
        self.engine_starts = []  # seconds from launching an engine until it is registered
        t0 = time.perf_counter()
        self.client = self.cluster.start_and_connect_sync()
        self.client.wait_for_engines(1, timeout=120)
        self.first_start = time.perf_counter() - t0  # controller + 1 engine
        self.engine_starts.append(self.first_start)

    def add_engine(self):
        """Start one more engine and wait until the controller has it; returns seconds."""
        n = len(self.client.ids) + 1
        t0 = time.perf_counter()
        self.cluster.start_engines_sync(1)
        self.client.wait_for_engines(n, timeout=120)
        elapsed = time.perf_counter() - t0
        self.engine_starts.append(elapsed)
        return elapsed

    def engine_pids(self):
        import os as _os

        return self.client[:].apply_sync(_os.getpid)

    def kernel_setup_code(self):
        """Code for a kernel cell that connects %%px (engine 0) and %%pxall (all engines)."""
        return (
            "import ipyparallel as __ipp\n"
            f"__rc = __ipp.Client({self.url_file()!r})  # (the url_file= keyword is ignored by ipyparallel 9)\n"
            f"__rc.wait_for_engines({len(self.client.ids)}, timeout=60)\n"
            "__v0 = __rc[0]; __v0.block = True; __v0.activate()\n"
            "__vall = __rc[:]; __vall.block = True; __vall.activate('all')\n"
        )

    def url_file(self):
        security = os.path.join(self.cluster.profile_dir, "security")
        return os.path.join(security, f"ipcontroller-{self.cluster.cluster_id}-client.json")

    def stop(self):
        try:
            self.client.close()
        except Exception:
            pass
        try:
            self.cluster.stop_cluster_sync()
        except Exception as exc:
            print(f"  (stopping the ipyparallel cluster failed: {exc!r})", file=sys.stderr)


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")
