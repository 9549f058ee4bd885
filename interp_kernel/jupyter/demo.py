"""Run notebooks headless on the ``interp`` kernel and print them in the terminal.

``python -m interp_kernel.jupyter.demo notebooks/tour.ipynb`` executes the notebook with
nbclient and prints every cell as it runs: its source (markdown cells too, dimmed),
then its outputs — streams, results, errors with their tracebacks. Rich outputs show
their ``text/plain`` and a one-line note of what else they carry, e.g.
``[image/svg+xml, 12 KB]``. The exit status is 0 when every cell ran, 1 when a cell
failed that was not tagged ``raises-exception`` (or the kernel died or timed out).

Options: ``--timeout S`` per cell, ``--kernel NAME``, ``--save OUT.ipynb`` to keep the
executed notebook, ``--no-markdown``, ``--color/--no-color`` (default: when stdout is a
terminal).
"""

import argparse
import os
import re
import sys
import time

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class Printer:
    """Writes cells and their outputs to a stream, with or without colour."""

    def __init__(self, stream=None, color=None, markdown=True):
        self.stream = stream or sys.stdout
        if color is None:
            color = hasattr(self.stream, "isatty") and self.stream.isatty() and not os.environ.get("NO_COLOR")
        self.color = color
        self.markdown = markdown

    # -- low level -------------------------------------------------------------------

    def style(self, text, code):
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def write(self, text=""):
        if not self.color:
            text = _ANSI.sub("", text)
        self.stream.write(text if text.endswith("\n") else text + "\n")
        self.stream.flush()

    # -- cells -----------------------------------------------------------------------

    def cell_start(self, cell, index):
        if cell.cell_type == "markdown":
            if self.markdown:
                self.write(self.style(f"── [{index}] markdown " + "─" * 40, "2"))
                self.write(self.style(cell.source.rstrip(), "2"))
                self.write()
            return
        if cell.cell_type != "code":
            return
        note = "  (an error is expected here)" if "raises-exception" in cell.metadata.get("tags", []) else ""
        self.write(self.style(f"── [{index}] In " + "─" * 44 + note, "1;34"))
        self.write(cell.source.rstrip() or "")

    def cell_done(self, cell, index, seconds=None):
        if cell.cell_type != "code":
            return
        outputs = coalesce(cell.get("outputs", []))
        if outputs:
            self.write(self.style("   Out:", "1;32"))
        for output in outputs:
            self.output(output)
        if seconds is not None:
            self.write(self.style(f"   ({seconds:.2f} s)", "2"))
        self.write()

    def output(self, output):
        kind = output.get("output_type")
        if kind == "stream":
            text = output.get("text", "")
            self.write(self.style(text.rstrip("\n"), "31") if output.get("name") == "stderr" else text.rstrip("\n"))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            for line in describe_bundle(data):
                self.write(line)
        elif kind == "error":
            traceback = output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"]
            self.write("\n".join(traceback))
        else:
            self.write(f"[{kind} output]")


def coalesce(outputs):
    """Consecutive stream outputs of the same stream joined into one."""
    merged = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and last is not None
                and last.get("output_type") == "stream" and last.get("name") == output.get("name")):
            merged[-1] = dict(last, text=last.get("text", "") + output.get("text", ""))
        else:
            merged.append(output)
    return merged


def _size(value):
    n = len(value if isinstance(value, (str, bytes)) else str(value))
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.0f} KB"


def describe_bundle(data):
    """Lines for one MIME bundle: its text/plain, then a note of the other types."""
    lines = []
    if _WIDGET_VIEW in data:
        model = data[_WIDGET_VIEW].get("model_id", "?") if isinstance(data[_WIDGET_VIEW], dict) else "?"
        lines.append(f"[widget {model[:8]} — live in JupyterLab]")
    text = data.get("text/plain")
    if text is not None and _WIDGET_VIEW not in data:
        lines.append(text if isinstance(text, str) else "".join(text))
    others = [f"{mime}, {_size(value)}" for mime, value in data.items() if mime not in ("text/plain", _WIDGET_VIEW)]
    if others:
        lines.append("[" + "; ".join(others) + "]")
    if not lines:
        lines.append("[empty output]")
    return lines


def kernel_env():
    """This process's environment without the variables pytest sets for itself
    (ipykernel changes its output capture when it sees PYTEST_CURRENT_TEST)."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def ipc_transport():
    """Kernel manager settings for a kernel that talks over Unix sockets in Jupyter's runtime directory.

    ipykernel warns about TCP without encryption and recommends IPC (or CurveZMQ keys):
    a Unix socket in the user's private runtime directory (mode 0700) is reachable only
    by that user. Returns ``{"transport": "ipc", "connection_file": ...}`` for
    ``KernelManager(**...)`` or a ``KernelManager`` config section; the sockets are
    named after that new connection file and removed when the kernel shuts down.
    """
    import uuid

    from jupyter_core.paths import jupyter_runtime_dir

    runtime = jupyter_runtime_dir()
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    return {"transport": "ipc", "connection_file": os.path.join(runtime, f"kernel-{uuid.uuid4().hex[:12]}.json")}


def run_notebook(path, *, kernel_name="interp", timeout=300, printer=None, save=None):
    """Execute one notebook, printing it as it runs; returns (ok, executed notebook)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellControlSignal, CellExecutionError, DeadKernelError

    printer = printer or Printer()
    nb = nbformat.read(path, as_version=4)
    started = {}

    def on_start(cell, cell_index):
        started[cell_index] = time.perf_counter()
        printer.cell_start(cell, cell_index)

    def on_executed(cell, cell_index, execute_reply):
        seconds = time.perf_counter() - started.get(cell_index, time.perf_counter())
        printer.cell_done(cell, cell_index, seconds)

    from traitlets.config import Config

    client = NotebookClient(
        nb,
        config=Config({"KernelManager": ipc_transport()}),
        kernel_name=kernel_name,
        timeout=timeout,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        on_cell_start=on_start,
        on_cell_executed=on_executed,
    )
    printer.write(printer.style(f"══ {path} (kernel {kernel_name}) ══", "1"))
    t0 = time.perf_counter()
    ok = True
    try:
        client.execute(env=kernel_env())
    except CellExecutionError as exc:
        ok = False
        printer.write(printer.style(f"!! a cell failed that was not tagged raises-exception:\n{exc}", "1;31"))
    except (DeadKernelError, CellControlSignal, TimeoutError, RuntimeError) as exc:
        ok = False
        printer.write(printer.style(f"!! {type(exc).__name__}: {exc}", "1;31"))
    status = "ok" if ok else "FAILED"
    printer.write(printer.style(f"══ {path}: {status} in {time.perf_counter() - t0:.1f} s ══", "1"))
    if save:
        nbformat.write(nb, save)
    return ok, nb


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m interp_kernel.jupyter.demo",
        description="Run notebooks headless on the interp kernel and print every cell's source and outputs.",
    )
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    parser.add_argument("--kernel", default="interp", help="kernelspec to run them on (default: interp)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per cell (default: 300)")
    parser.add_argument("--save", metavar="OUT", help="write the executed notebook here (one notebook only)")
    parser.add_argument("--no-markdown", dest="markdown", action="store_false", help="do not print markdown cells")
    color = parser.add_mutually_exclusive_group()
    color.add_argument("--color", dest="color", action="store_true", default=None)
    color.add_argument("--no-color", dest="color", action="store_false")
    args = parser.parse_args(argv)
    if args.save and len(args.notebooks) > 1:
        parser.error("--save takes one notebook")
    printer = Printer(color=args.color, markdown=args.markdown)
    failed = []
    for path in args.notebooks:
        if not os.path.exists(path):
            parser.error(f"no such notebook: {path}")
        ok, _ = run_notebook(path, kernel_name=args.kernel, timeout=args.timeout, printer=printer, save=args.save)
        if not ok:
            failed.append(path)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
