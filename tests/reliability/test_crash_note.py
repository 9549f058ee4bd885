"""Reliability: after a crash in an interpreter, the restarted kernel says what died
(issue 17). A segfault (``ctypes.string_at(0)``) ends the kernel process; restarted
through its KernelManager, the kernel's first cell shows one note naming the fault,
the interpreter and the cell, and only the first cell does.
"""

import time

import pytest

from conftest import start_kernel

pytestmark = pytest.mark.timeout(120)


def test_restarted_kernel_names_what_died():
    kernel = start_kernel()
    try:
        kernel.execute("%%interp crasher\nx = 1", check=True)
        kernel.submit("%%interp crasher\nimport ctypes\nctypes.string_at(0)")
        deadline = time.monotonic() + 30
        while kernel.km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not kernel.km.is_alive()
        kernel.km.restart_kernel(now=True)
        kernel.kc.wait_for_ready(timeout=60)
        first = kernel.execute("1 + 1", check=True)
        assert "died: Segmentation fault in interpreter 'crasher', cell In [2] line 3" in first.stderr, first.summary()
        assert first.stderr.count("died") == 1
        assert first.text == "2"
        second = kernel.execute("2 + 2", check=True)
        assert "died" not in second.stderr
    finally:
        kernel.shutdown()


def test_a_starting_kernel_removes_only_crash_files_of_killed_kernels(tmp_path):
    """Kernels killed hard (no fault) leave a header-only file; the next kernel to start
    removes it, and keeps the files of live kernels and any file holding a fault."""
    import os
    import subprocess

    from jupyter_core.paths import jupyter_runtime_dir

    from interp_kernel.jupyter import crash_note

    gone = subprocess.Popen(["true"])
    gone.wait()
    runtime = jupyter_runtime_dir()
    files = {
        "killed": f"{crash_note._HEADER}{gone.pid}\n",
        "alive": f"{crash_note._HEADER}{os.getpid()}\n",
        "faulted": f"{crash_note._HEADER}{gone.pid}\nFatal Python error: Segmentation fault\n",
    }
    paths = {key: os.path.join(runtime, f"interp-crash-test-{key}-{os.getpid()}.txt") for key in files}
    try:
        for key, text in files.items():
            with open(paths[key], "w") as f:
                f.write(text)
        kernel = start_kernel()
        try:
            kernel.execute("1", check=True)
        finally:
            kernel.shutdown()
        assert not os.path.exists(paths["killed"])
        assert os.path.exists(paths["alive"]) and os.path.exists(paths["faulted"])
    finally:
        for path in paths.values():
            if os.path.exists(path):
                os.remove(path)
