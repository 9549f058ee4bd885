"""Shared fixtures: the real ``interp`` kernel started through jupyter_client.

The tests sit in folders by what they exercise: ``unit/`` (the C core, the compat layer,
the runtime, the views and the magics in an in-process IPython; no kernel process),
``kernel/`` (real kernels through jupyter_client, nbclient, jupyter console),
``reliability/`` (bad input, interrupts, load, shutdown, fuzz; their figures are
in docs/reliability.md) and ``browser/`` (a real JupyterLab in headless Chromium).

The kernel is started from the *installed* kernelspec (``make setup`` installs it
with ``python -m interp_kernel install --sys-prefix``) by the client in
``kernel_client.py``, which the benchmarks share; its names are re-exported here for
the tests (``from conftest import start_kernel, strip_ansi``).
"""

import json
import os
import sys
import textwrap

import pytest

import kernel_client
from kernel_client import KERNEL_NAME, Execution, KernelHandle, kernel_env, strip_ansi

__all__ = ["KERNEL_NAME", "Execution", "KernelHandle", "cell", "kernel_env", "report", "require_kernelspec",
           "start_kernel", "strip_ansi"]


def require_kernelspec(name=KERNEL_NAME):
    """The installed kernelspec ``name``; fails the test (saying how to install it) when missing."""
    try:
        return kernel_client.require_kernelspec(name)
    except kernel_client.MissingKernelspec as exc:
        pytest.fail(str(exc))


def start_kernel(startup_timeout=60, kernel_name=KERNEL_NAME, extra_arguments=()):
    """Start an installed kernel (``interp`` unless told) over IPC; returns a :class:`KernelHandle`.
    ``extra_arguments`` go on its command line."""
    require_kernelspec(kernel_name)
    return kernel_client.start_kernel(kernel_name, startup_timeout=startup_timeout,
                                      extra_arguments=extra_arguments)


@pytest.fixture
def manager():
    """A Manager (the library, no Jupyter) of its own, shut down after the test."""
    from interp_kernel import Manager

    m = Manager()
    yield m
    m.shutdown(timeout=5)


@pytest.fixture
def worker(manager):
    """An interpreter (a Session) of the test's own manager that has run a cell."""
    session = manager.session("worker")
    session.run("pass")
    return session


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
    line = json.dumps({"test": test, "python": sys.version.split()[0], **figures})
    print(line)
    path = os.environ.get("INTERP_RELIABILITY_FIGURES")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def cell(text):
    """A cell's source written as an indented triple-quoted string."""
    return textwrap.dedent(text).strip("\n")
