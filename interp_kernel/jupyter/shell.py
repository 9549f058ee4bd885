"""Shell escapes (``!cmd``, aliases, ``%pip``, ``clear``) that never fork Python in Python.

IPython's piped ``system()`` (what ``!cmd``, every alias, ``%pip``, ``%conda`` and
ipykernel's ``clear`` call) runs the command through pexpect, which forks the
process with ``pty.fork()`` and runs Python code in the child before ``exec``. A
child forked like that from a process with live subinterpreters crashes
(CPython gh-139759): a fatal-error dump, and the command never runs.

:func:`install` replaces the shell's ``system`` / ``system_piped`` with
:func:`run_command`, which starts the command with :mod:`subprocess` (fork and
exec happen in C, no Python runs in the child) and keeps what pexpect gave: the
command's stdout and stderr are terminals (each its own pseudo-terminal, so
programs line-buffer, colour and draw progress bars as before), and what they
write reaches the cell as it comes, stdout to ``sys.stdout`` and stderr to
``sys.stderr``. Its stdin is ``/dev/null``: a command that asks a question reads
end-of-file instead of waiting for an answer nobody can type.

The replacement is installed whenever the extension loads, interpreters or not:
the same command behaves the same before and after the first interpreter, and
interpreters made without the magics (``interp_kernel.Manager``, the
``interpreters`` module) are covered too. ``!!cmd``, ``x = !cmd``, ``%sx`` and
``%system`` go through IPython's ``getoutput``, which already uses
:mod:`subprocess`, and ``%%bash`` / ``%%sh`` / ``%%script`` use asyncio's
subprocesses: neither needs replacing.
"""

import codecs
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
import types

_MARK = "_interp_kernel_system"  # the shell attribute that says install() replaced system
_READ_SIZE = 65536
_LINGER_S = 0.2  # how long output may trail the command's exit (a background child holding the terminal)
_STOP_STEPS = ((signal.SIGINT, 1.0), (signal.SIGTERM, 1.0))  # signal to the process group, then wait


def install(shell):
    """Make ``shell.system`` / ``shell.system_piped`` run commands with :func:`run_command`.

    Does nothing outside POSIX, where the shell keeps its own, or when ``system``
    was already replaced on this shell (by us: idempotent; by the user, e.g.
    ``ip.system = ip.system_raw``: their choice stays). A shell whose class makes
    ``system`` something other than the piped one (terminal IPython runs
    ``system_raw``, a plain ``subprocess.call`` on the real terminal) keeps that
    ``system``; only its ``system_piped`` is replaced.
    """
    if os.name != "posix" or "system" in vars(shell) or "system_piped" in vars(shell):
        return
    method = types.MethodType(_system_piped, shell)
    shell.system_piped = method
    cls = type(shell)
    if getattr(cls, "system", None) is getattr(cls, "system_piped", None):
        shell.system = method
    setattr(shell, _MARK, True)


def uninstall(shell):
    """Give the shell its own ``system`` / ``system_piped`` back (if :func:`install` replaced them)."""
    if not getattr(shell, _MARK, False):
        return
    for name in ("system", "system_piped"):
        if isinstance(vars(shell).get(name), types.MethodType) and vars(shell)[name].__func__ is _system_piped:
            delattr(shell, name)
    delattr(shell, _MARK)


def _system_piped(shell, cmd):
    """The shell's ``system``: expand ``$x``/``{x}``, run, set ``_exit_code`` (IPython's contract).

    Raises OSError for a command ending in ``&`` (a background job would outlive the
    cell's output), and ``subprocess.CalledProcessError`` for a failed command when
    the shell's ``system_raise_on_error`` is set.
    """
    if cmd.rstrip().endswith("&"):
        raise OSError("Background processes not supported.")
    exit_code = run_command(shell.var_expand(cmd, depth=1))
    shell.user_ns["_exit_code"] = exit_code
    if getattr(shell, "system_raise_on_error", False) and exit_code != 0:
        raise subprocess.CalledProcessError(exit_code, cmd)


def run_command(cmd):
    """Run ``cmd`` with ``$SHELL -c`` (else ``sh``), streaming its output; returns its exit code.

    Blocks until the command exits. Its stdout and stderr arrive in ``sys.stdout``
    and ``sys.stderr`` as they are written. The exit code follows IPython: the
    command's status, or minus the signal that ended it (also when the shell
    reports it as ``128 + n``).

    A ``KeyboardInterrupt`` while waiting (the kernel's interrupt) stops the command's
    whole process group (SIGINT, then SIGTERM, then SIGKILL), prints ``^C`` to
    stderr and returns the exit code; no process of the command is left. Raises
    OSError when the shell cannot be found or the terminals cannot be opened.
    """
    sh = _shell_path()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    fds, proc = [], None  # every descriptor opened here is closed on the way out
    try:
        terminals = []
        for _ in range(2):
            terminals.append(_open_terminal())
            fds.extend(terminals[-1])
        proc = subprocess.Popen(
            [sh, "-c", cmd], stdin=subprocess.DEVNULL, stdout=terminals[0][1], stderr=terminals[1][1],
            start_new_session=True, close_fds=True)  # its own process group: stopped as a whole
        for _master, slave in terminals:
            fds.remove(slave)
            os.close(slave)  # the command holds the only copies: reading ends when it exits
        outputs = {terminals[0][0]: _Output(sys.stdout), terminals[1][0]: _Output(sys.stderr)}
        try:
            _copy_until_exit(proc, outputs)
        except KeyboardInterrupt:
            _stop_group(proc)
            _drain(outputs)
            sys.stderr.write("^C\n")
            sys.stderr.flush()
        for output in outputs.values():
            output.close()
    finally:
        if proc is not None and proc.poll() is None:  # any other error: no command outlives the call
            _stop_group(proc)
        for fd in fds:
            os.close(fd)
    code = proc.returncode
    return -(code - 128) if code > 128 else code


def _shell_path():
    name = os.environ.get("SHELL") or "sh"
    path = shutil.which(name) or shutil.which("sh")
    if path is None:
        raise OSError(f"{name!r} shell not found")
    return path


def _open_terminal():
    """A pseudo-terminal (master, slave) that passes ``\\n`` as is, 24 rows by 80 columns (as pexpect's)."""
    import fcntl
    import termios

    master, slave = os.openpty()
    try:
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.OPOST  # no "\n" -> "\r\n"
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    except BaseException:
        os.close(master)
        os.close(slave)
        raise
    return master, slave


class _Output:
    """Decodes one terminal's bytes as they come and writes them to a stream."""

    def __init__(self, stream):
        from IPython.utils.encoding import DEFAULT_ENCODING

        self.stream = stream
        self.open = True
        self._decoder = codecs.getincrementaldecoder(DEFAULT_ENCODING)(errors="replace")

    def feed(self, data):
        text = self._decoder.decode(data)
        if text:
            self.stream.write(text)
            self.stream.flush()

    def close(self):
        if self.open:
            self.open = False
            tail = self._decoder.decode(b"", final=True)
            if tail:
                self.stream.write(tail)
                self.stream.flush()


def _read_ready(outputs, timeout):
    """Copy what is readable within ``timeout`` s; a terminal whose writers are all gone is closed.

    Returns whether anything was read.
    """
    fds = [fd for fd, output in outputs.items() if output.open]
    if not fds:
        return False
    ready, _, _ = select.select(fds, [], [], timeout)
    for fd in ready:
        try:
            data = os.read(fd, _READ_SIZE)
        except OSError:  # EIO: every writer closed the terminal
            data = b""
        if data:
            outputs[fd].feed(data)
        else:
            outputs[fd].close()
    return bool(ready)


def _copy_until_exit(proc, outputs):
    """Copy output until the command has exited and its terminals are closed (or quiet for a moment)."""
    exited_at = None
    while any(output.open for output in outputs.values()):
        if _read_ready(outputs, 0.1):
            continue
        if proc.poll() is not None:
            exited_at = exited_at or time.monotonic()
            if time.monotonic() - exited_at > _LINGER_S:
                break  # something the command left in the background keeps a terminal open
    proc.wait()


def _drain(outputs):
    """Copy the output that is already there, without waiting for more."""
    while _read_ready(outputs, 0):
        pass


def _stop_group(proc):
    """Stop the command's process group: SIGINT, SIGTERM, then SIGKILL; reaps the command.

    A second ``KeyboardInterrupt`` while waiting goes straight to SIGKILL.
    """
    try:
        for signum, wait_s in _STOP_STEPS:
            if not _signal_group(proc, signum):
                break
            try:
                proc.wait(wait_s)
                break
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        pass
    _signal_group(proc, signal.SIGKILL)  # whatever of the group is still there
    proc.wait()


def _signal_group(proc, signum):
    """Send ``signum`` to the command's process group; returns False when the group is gone."""
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        return False
    return True
