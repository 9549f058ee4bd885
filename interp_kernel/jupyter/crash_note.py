"""What killed the previous kernel process: one note, once, after a restart.

A segfault (or abort) in an interpreter takes the whole kernel process down: the
frontend gets no error, only the restarted kernel. The kernel therefore keeps
``faulthandler`` writing to a file of its own in Jupyter's runtime directory, named
after its connection file (a restart by the KernelManager reuses it). At start-up the
kernel reads what the previous process left there: when it holds a fault, the note
names the fault, the interpreter and the cell (from the ``<interp NAME: In [N]>``
filename of the crashing frame; the cell's first line when IPython's history of the
previous session has it — its saving thread may not have written it before the crash) and goes to the kernel log and, once, to the first cell's stderr.
Nothing runs per cell; a clean exit removes the file, and a kernel starting removes
the files of kernels that were killed without a fault (their first line names the pid).
"""

import faulthandler
import os
import re
import sys

from interp_kernel.runtime import lifecycle

_CELL_FRAME = re.compile(r'File "<interp (?P<name>[^:>]+): In \[(?P<count>\d+)\]>", line (?P<line>\d+)')
_HEADER = "interp_kernel crash file of kernel pid "
_FAULT = re.compile(r"^Fatal Python error: (?P<fault>.+)$", re.MULTILINE)


def crash_file(connection_file):
    """The faulthandler file of the kernel whose connection file is ``connection_file``."""
    from jupyter_core.paths import jupyter_runtime_dir

    stem = os.path.splitext(os.path.basename(connection_file or f"pid-{os.getpid()}"))[0]
    return os.path.join(jupyter_runtime_dir(), f"interp-crash-{stem}.txt")


def note_from(text, first_line=None):
    """The one-line note for a faulthandler dump, or None when it holds no fault.

    ``first_line(count)`` gives the first line of main's cell ``In [count]`` (or None).
    """
    fault = _FAULT.search(text or "")
    if fault is None:
        return None
    where = ""
    cell = _CELL_FRAME.search(text[fault.end():])
    if cell is not None:
        count = int(cell["count"])
        source = first_line(count) if first_line is not None else None
        shown = f": {source!r}" if source else ""
        where = f" in interpreter {cell['name']!r}, cell In [{count}] line {cell['line']}{shown}"
    return (f"interp_kernel: the previous kernel process died: {fault['fault']}{where} "
            f"(an interpreter is not a process: a crash in C code ends the kernel)")


def install(shell, connection_file, log):
    """Read what the previous process left, then point faulthandler at the file anew.

    ``log(text)`` writes to the kernel log. Returns the note (or None); it is also
    printed to stderr at the start of the first cell. Never raises.
    """
    try:
        path = crash_file(connection_file)
        note = None
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                note = note_from(f.read(), lambda count: _first_line(shell, count))
        stream = open(path, "w")
        stream.write(f"{_HEADER}{os.getpid()}\n")
        stream.flush()
        faulthandler.enable(file=stream, all_threads=True)
        _remove_stale(os.path.dirname(path), path)
    except Exception as exc:
        log(f"no crash note: {exc!r}")
        return None
    lifecycle.at_exit(_clean_exit, stream, path)
    if note is not None:
        log(note.removeprefix("interp_kernel: "))
        _show_once(shell, note)
    return note


def _remove_stale(directory, own):
    """Remove the crash files of kernels that are gone and left no fault (killed hard)."""
    for entry in os.scandir(directory):
        if not (entry.name.startswith("interp-crash-") and entry.name.endswith(".txt")) or entry.path == own:
            continue
        try:
            with open(entry.path, errors="replace") as f:
                text = f.read(4096)
            header, _, rest = text.partition("\n")
            if rest.strip() or not header.startswith(_HEADER):
                continue
            os.kill(int(header.removeprefix(_HEADER)), 0)
        except ProcessLookupError:
            try:
                os.remove(entry.path)
            except OSError:
                pass
        except (OSError, ValueError):
            continue


def _first_line(shell, count):
    """The first line of cell ``count`` of the previous session (None if unknown)."""
    try:
        for _, _, source in shell.history_manager.get_range(session=-1, start=count, stop=count + 1, raw=True):
            lines = [line for line in source.splitlines() if line.strip()]
            body = [line for line in lines if not line.startswith("%%")]
            return (body or lines or [None])[0]
    except Exception:
        return None
    return None


def _show_once(shell, note):
    def show(*_):
        shell.events.unregister("pre_run_cell", show)
        print(note, file=sys.stderr)

    shell.events.register("pre_run_cell", show)


def _clean_exit(stream, path):
    faulthandler.disable()
    stream.close()
    try:
        os.remove(path)
    except OSError:
        pass
