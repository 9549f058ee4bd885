"""Shell escapes in normal cells while interpreters exist: ``!cmd``, aliases, ``%pip``, ``%%bash``.

IPython's own ``system()`` forks the kernel in Python (pexpect's ``pty.fork``); with a
subinterpreter alive that child crashes (CPython gh-139759) and the command is lost.
Every escape here runs with an isolated and a legacy interpreter alive, once with both
idle and once with a ``--bg`` job running, through the real kernel; the same in
``jupyter console``, in a plain ipykernel with ``%load_ext interp_kernel`` and in
terminal IPython.
"""

import os
import re
import shutil
import sys
import time

import pytest

from conftest import cell, kernel_env, require_kernelspec, start_kernel, strip_ansi

pytestmark = pytest.mark.timeout(180)

_INTERPRETERS = ["%%interp iso\nx = 1", "%%interp leg --config legacy\nx = 1"]
_BG_JOB = cell("""
    %%interp iso --bg slow
    import time
    for _ in range(1200):
        time.sleep(0.25)
""")
_ISO_BUSY = re.compile(r"^iso\s+\d+\s+isolated\s+background\b", re.M)
_CRASH_WORDS = ("Fatal Python error", "gh-139759", "os.fork()")


def _listing(handle):
    """What ``%interp list`` shows, as text."""
    ex = handle.execute("%interp list")
    shown = [m["content"]["data"].get("text/plain", "") for m in ex.of_type("display_data", "execute_result")]
    return ex.stdout + "".join(shown)


@pytest.fixture(scope="module", params=["idle", "bg-job"])
def kernel(request):
    """A kernel with an isolated (``iso``) and a legacy (``leg``) interpreter; ``iso`` busy with a job for bg-job."""
    handle = start_kernel()
    try:
        for code in _INTERPRETERS:
            ex = handle.execute(code)
            assert ex.ok, ex.summary()
        if request.param == "bg-job":
            ex = handle.execute(_BG_JOB)
            assert ex.ok, ex.summary()
            assert _ISO_BUSY.search(_listing(handle))
        yield handle
        if request.param == "bg-job":
            assert _ISO_BUSY.search(_listing(handle)), "the job ended while the escapes ran"
            handle.execute("%interp interrupt slow")
    finally:
        handle.shutdown()


def _check_clean(ex):
    assert ex.ok, ex.summary()
    for words in _CRASH_WORDS:
        assert words not in ex.stderr, ex.summary()


_CASES = [
    # id, code, in stdout, in stderr, in the result's text
    ("bang", "!echo out-1; echo err-1 >&2", "out-1\n", "err-1\n", None),
    ("bang-bang", "!!echo out-2", "", "", "['out-2']"),
    ("assign", "files = !echo out-3\nfiles", "", "", "['out-3']"),
    ("sx", "%sx echo out-4", "", "", "['out-4']"),
    ("system", "%system echo out-5", "", "", "['out-5']"),
    ("ls", "%ls -d /etc", "/etc", "", None),
    ("cat", "import tempfile\n_p = tempfile.mktemp()\nopen(_p, 'w').write('cat-me\\n')\n%cat $_p", "cat-me\n", "", None),
    ("clear", "clear", "\x1b[", "", None),
    ("user-alias", "%alias shout echo shouted %s\n%shout loudly", "shouted loudly\n", "", None),
    ("pip", "%pip --version", "pip ", "", None),
    ("bash", "%%bash\necho bash-out; echo bash-err >&2", "bash-out\n", "bash-err\n", None),
    ("sh", "%%sh\necho sh-out; echo sh-err >&2", "sh-out\n", "sh-err\n", None),
    ("script", "%%script bash\necho script-out; echo script-err >&2", "script-out\n", "script-err\n", None),
]
if shutil.which("conda"):
    _CASES.append(("conda", "%conda --version", "conda ", "", None))


@pytest.mark.parametrize("code, out, err, text", [c[1:] for c in _CASES], ids=[c[0] for c in _CASES])
def test_escape_runs(kernel, code, out, err, text):
    ex = kernel.execute(code, timeout=60)
    _check_clean(ex)
    stdout = ex.stdout if out.startswith("\x1b") else strip_ansi(ex.stdout)  # clear's output is escapes
    assert out in stdout, ex.summary()
    assert err in ex.stderr, ex.summary()
    if text is not None:
        assert ex.text is not None and text in ex.text, ex.summary()


def test_exit_code_is_set(kernel):
    for command, code in (("!exit 3", "3"), ("!true", "0"), ("!kill -TERM $$", "-15")):
        _check_clean(kernel.execute(command))
        assert kernel.execute("_exit_code").text == code, command


def test_output_arrives_as_it_is_written(kernel):
    msg_id = kernel.submit("!echo first; sleep 1; echo second >&2; sleep 1; echo third")
    streams = [m for m in kernel.wait_idle(msg_id) if m["msg_type"] == "stream"]  # times as they arrive
    kernel.reply(msg_id)
    texts = [(m["content"]["name"], m["content"]["text"]) for m in streams]
    assert texts == [("stdout", "first\n"), ("stderr", "second\n"), ("stdout", "third\n")], texts
    gaps = [b["received"] - a["received"] for a, b in zip(streams, streams[1:])]
    assert all(gap > 0.5 for gap in gaps), gaps


def test_a_python_child_writes_to_a_terminal(kernel):
    """Like pexpect's: the command sees a terminal, so a Python child's prints are line-buffered."""
    ex = kernel.execute(f"!{sys.executable} -c 'import sys; print(sys.stdout.isatty(), sys.stderr.isatty())'")
    _check_clean(ex)
    assert ex.stdout == "True True\n", ex.summary()


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_interrupt_stops_the_command_and_its_children(kernel):
    msg_id = kernel.submit("!sleep 30 & echo $$ $!; wait\nprint('after the command')")
    first = kernel.wait_for(msg_id, lambda m: m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
    shell_pid, sleep_pid = map(int, first["content"]["text"].split())
    assert _pid_alive(shell_pid) and _pid_alive(sleep_pid)
    started = time.monotonic()
    kernel.interrupt()
    reply = kernel.reply(msg_id)
    took = time.monotonic() - started
    ex_stdout = "".join(m["content"]["text"] for m in kernel.wait_idle(msg_id)
                        if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
    assert reply["content"]["status"] == "ok"
    assert took < 5, took
    assert "after the command" in ex_stdout  # as IPython's: the interrupt stops the command, not the cell
    deadline = time.monotonic() + 2
    while (_pid_alive(shell_pid) or _pid_alive(sleep_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _pid_alive(shell_pid) and not _pid_alive(sleep_pid)
    assert kernel.execute("_exit_code").text != "0"
    ex = kernel.execute("!echo still-works")
    _check_clean(ex)
    assert ex.stdout == "still-works\n"


def test_interrupt_stops_a_plain_sleep(kernel):
    msg_id = kernel.submit("!echo $$; exec sleep 30")
    first = kernel.wait_for(msg_id, lambda m: m["msg_type"] == "stream")
    pid = int(first["content"]["text"])
    kernel.interrupt()
    kernel.reply(msg_id, timeout=10)
    kernel.wait_idle(msg_id)
    assert not _pid_alive(pid)
    assert kernel.execute("_exit_code").text == "-2"


def test_commands_leave_no_descriptor_open(kernel):
    # terminals and pipes are what running a command opens (IPython's history database
    # opens and closes its journal file on its own schedule: not counted)
    # (a descriptor another thread closes between listdir and readlink is skipped)
    count = ("import os as _os\n"
             "def _link(fd):\n"
             "    try:\n"
             "        return _os.readlink(f'/proc/self/fd/{fd}')\n"
             "    except OSError:\n"
             "        return ''\n"
             "_links = [_link(fd) for fd in _os.listdir('/proc/self/fd')]\n"
             "sum(link.startswith(('/dev/pts', '/dev/ptmx', 'pipe:')) for link in _links)")
    before = kernel.execute(count).text
    _check_clean(kernel.execute("for _ in range(30):\n    !true"))
    assert kernel.execute(count).text == before


def test_a_background_command_is_refused(kernel):
    ex = kernel.execute("!sleep 1 &")
    assert not ex.ok and ex.error["ename"] == "OSError", ex.summary()


def test_plain_ipykernel_with_the_extension():
    """The stock ipykernel (``python3`` kernelspec) after ``%load_ext interp_kernel``."""
    handle = start_kernel(kernel_name="python3")
    try:
        for code in ["%load_ext interp_kernel", *_INTERPRETERS]:
            assert handle.execute(code).ok, code
        ex = handle.execute("!echo plain-$((6 * 7)); echo plain-err >&2")
        _check_clean(ex)
        assert (ex.stdout, ex.stderr) == ("plain-42\n", "plain-err\n"), ex.summary()
        assert handle.execute("%unload_ext interp_kernel").ok
        assert handle.execute("get_ipython().system.__func__.__qualname__").text == "'ZMQInteractiveShell.system_piped'"
    finally:
        handle.shutdown()


def _spawn(argv):
    pexpect = pytest.importorskip("pexpect")
    env = kernel_env()
    env["TERM"] = "xterm"
    return pexpect, pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=60, dimensions=(40, 200))


def _type_cell(child, lines):
    for line in lines:
        child.send(line + "\r")
    child.send("\r")
    child.send("\r")


@pytest.mark.parametrize("frontend", ["jupyter-console", "ipython"])
def test_terminal_frontends(frontend):
    bindir = os.path.dirname(sys.executable)
    if frontend == "jupyter-console":
        require_kernelspec()
        argv = [os.path.join(bindir, "jupyter"), "console", "--kernel", "interp"]
    else:
        argv = [os.path.join(bindir, "ipython"), "--no-banner", "--colors=nocolor",
                "--TerminalInteractiveShell.simple_prompt=True"]
    pexpect, child = _spawn(argv)
    try:
        child.expect(r"In ?\[")
        if frontend == "ipython":
            child.send("%load_ext interp_kernel\r")
            child.expect(r"In ?\[")
        _type_cell(child, ["%%interp term", "x = 6 * 7", "print('x is', x)"])
        child.expect("x is 42")
        child.expect(r"In ?\[")
        child.send("!echo shell-$((6 * 7))\r")
        child.expect("shell-42")
        child.expect(r"In ?\[")
        assert "Fatal Python error" not in child.before
        child.send("exit\r")
        child.expect(pexpect.EOF, timeout=30)
    finally:
        if child.isalive():
            child.terminate(force=True)
