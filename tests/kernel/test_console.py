"""``jupyter console --kernel interp``: a terminal REPL that runs %%interp cells."""

import os
import shutil
import sys

import pytest

from conftest import kernel_env, require_kernelspec

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.timeout(120)

_ESC = r"(?:\x1b\[[0-9;?]*[a-zA-Z])*"  # prompt_toolkit colours and cursor moves


def _prompt(kind, n):
    return kind + r" ?\[" + _ESC + str(n) + _ESC + r"\]"


def _jupyter():
    candidate = os.path.join(os.path.dirname(sys.executable), "jupyter")
    return candidate if os.path.exists(candidate) else shutil.which("jupyter")


def _send_cell(child, lines):
    """Type a multi-line cell as a user would (a cell magic ends with two empty lines)."""
    for line in lines:
        child.send(line + "\r")
    child.send("\r")
    child.send("\r")


def test_console_runs_an_interp_cell():
    require_kernelspec()
    jupyter = _jupyter()
    if jupyter is None:
        pytest.skip("no jupyter command")
    env = kernel_env()
    env["TERM"] = "xterm"
    child = pexpect.spawn(jupyter, ["console", "--kernel", "interp"], env=env, encoding="utf-8",
                          timeout=60, dimensions=(40, 200))
    try:
        child.expect(_prompt("In", 1))
        _send_cell(child, ["%%interp con", "import sys", "print('printed in', 'con', 6 * 7)", "sys.version_info[:2]"])
        child.expect("printed in con 42")
        child.expect(_prompt("Out", 1) + r": " + _ESC + r"\(3, 1\d\)")
        child.expect(_prompt("In", 2))
        child.send("%interp list\r")
        child.expect(r"con\s+\d+\s+isolated\s+idle\s+1")
        child.expect(_prompt("In", 3))
        _send_cell(child, ["%%interp con", "1/0"])
        child.expect("ZeroDivisionError")
        child.expect(_prompt("In", 4))
        child.send("exit\r")
        child.expect(pexpect.EOF, timeout=30)
    finally:
        if child.isalive():
            child.terminate(force=True)
