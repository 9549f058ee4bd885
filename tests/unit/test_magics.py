"""The magics in a plain in-process IPython shell (no kernel), the parsers, the installer."""

import json
import subprocess
import sys
import time

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from interp_kernel.jupyter.cells import split_interp_cell
from interp_kernel.jupyter.extension import context_for
from interp_kernel.jupyter.rendering import InterpCellError, InterpMagicError
from interp_kernel.jupyter.routing import CellTarget, Labeller

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "interp_kernel")
    yield shell
    shell.run_line_magic("unload_ext", "interp_kernel")


def run(ip, code):
    result = ip.run_cell(code)
    return result


# -- help and parsing --------------------------------------------------------------------


def test_help_of_both_magics(ip):
    cell_doc = ip.find_cell_magic("interp").__doc__
    for option in ("--config", "--in", "--out", "--bg", "NAME"):
        assert option in cell_doc
    line_doc = ip.find_line_magic("interp").__doc__
    for command in ("list", "create", "close", "reset", "push", "pull", "interrupt", "wait", "queue", "help"):
        assert command in line_doc
    assert "--maxsize" in line_doc and "--timeout" in line_doc and "--all" in line_doc


@pytest.mark.parametrize("line", ["--bogus", "a --config nope", "a --in", ""])
def test_cell_magic_argument_errors_are_usage_errors(ip, line):
    with pytest.raises(UsageError, match="%%interp"):
        ip.run_cell_magic("interp", line, "1")


@pytest.mark.parametrize("line", ["bogus", "create", "wait", "queue q --maxsize x", "close a --all"])
def test_line_magic_argument_errors_are_usage_errors(ip, line):
    with pytest.raises(UsageError):
        ip.run_line_magic("interp", line)


def test_bad_and_unknown_names_are_one_line_errors(ip):
    with pytest.raises(InterpMagicError) as info:
        ip.run_cell_magic("interp", "bad.name", "1")
    assert type(info.value).__name__ == "BadNameError"
    assert info.value._render_traceback_()[0].count("\n") == 0
    with pytest.raises(InterpMagicError) as info:
        ip.run_line_magic("interp", "reset ghost")
    assert type(info.value).__name__ == "UnknownInterpreterError"


def test_split_interp_cell():
    assert split_interp_cell("%%interp a b --in x\nbody") == (["a", "b"], "%%interp a b --in x", 20)
    assert split_interp_cell("%%interp a") == (["a"], "%%interp a", 10)
    assert split_interp_cell("%%interpolate a\nx") is None
    assert split_interp_cell("x = 1") is None


def test_our_frames_are_dropped_from_tracebacks():
    from interp_kernel.jupyter.rendering import _without_our_frames

    lines = [
        "Traceback (most recent call last):",
        '  File "<interp a: In [1]>", line 2, in <module>',
        "    x = input()",
        '  File "/x/site-packages/interp_kernel/agent.py", line 331, in input',
        "    answer = marshal.loads(_core.channel_recv(agent.replies))",
        "                           ~~~~~~~~~~~~~~~~~~^^^^^^^^^^^^^^^",
        "KeyboardInterrupt",
    ]
    assert _without_our_frames(lines) == lines[:3] + lines[-1:]


def test_labeller_labels_every_line_once():
    sent = []

    class FakeRouter:
        def stream(self, target, name, text):
            sent.append((name, text))

    label = Labeller(FakeRouter(), CellTarget(), "w")
    label("stdout", "a\nb")
    label("stdout", "c\n")
    label("stderr", "e\n")
    label("stdout", "d\n\n")
    assert "".join(t for n, t in sent if n == "stdout") == "[w] a\n[w] bc\n[w] d\n[w] \n"
    assert "".join(t for n, t in sent if n == "stderr") == "[w] e\n"


# -- running cells in a plain shell -------------------------------------------------------------


def test_cell_output_result_and_state(ip, capsys):
    result = run(ip, "%%interp m1\nprint('hello')\nvalue = 6 * 7\nvalue")
    assert result.success
    assert repr(result.result) == "42"
    assert "hello" in capsys.readouterr().out
    assert repr(run(ip, "%%interp m1\nvalue + 1").result) == "43"


def test_cell_error_is_named_after_the_interpreters_exception(ip):
    result = run(ip, "%%interp m1\n\n1 / 0")
    error = result.error_in_exec
    assert isinstance(error, InterpCellError)
    assert type(error).__name__ == "ZeroDivisionError"
    lines = "\n".join(error._render_traceback_())
    assert "line 3" in lines and "1 / 0" in lines


def test_in_out_and_unpicklable(ip):
    ip.user_ns["numbers"] = [1, 2, 3]
    assert run(ip, "%%interp m2 --in numbers --out total\ntotal = sum(numbers)").success
    assert ip.user_ns["total"] == 6
    import threading

    ip.user_ns["a_lock"] = threading.Lock()
    result = run(ip, "%%interp m2 --in a_lock\nprint('ran')")
    assert type(result.error_in_exec).__name__ == "NotTransferableError"
    assert "a_lock" in str(result.error_in_exec)


def test_several_targets_labelled(ip, capsys):
    result = run(ip, "%%interp m3 m4\nprint('hi')\n1")
    assert result.success
    out = capsys.readouterr().out
    assert "[m3] hi" in out and "[m4] hi" in out
    assert repr(result.result) == "[m3] 1\n[m4] 1"


def test_bg_wait_and_list(ip):
    assert run(ip, "%%interp m5 --bg h\nimport time\ntime.sleep(0.3)\n'finished'").success
    job = ip.user_ns["h"]
    assert not job.done
    table = repr(ip.run_line_magic("interp", "list"))
    assert "m5" in table and "background" in table
    assert repr(ip.run_line_magic("interp", "wait h")) == "'finished'"
    assert job.done and job.status == "ok"


def test_bg_value_is_shown_once_in_a_terminal(ip, capsys):
    assert run(ip, "%%interp m5 --bg once\n'value-of-once'").success
    assert repr(ip.run_line_magic("interp", "wait once")) == "'value-of-once'"  # IPython's Out[n]
    context_for(ip).router.flush()
    assert "value-of-once" not in capsys.readouterr().out  # not printed a second time


def test_empty_list_says_so_in_text_and_html():
    from interp_kernel.jupyter.rendering import InterpTable
    from interp_kernel.views.table import EMPTY as NO_INTERPRETERS

    empty = InterpTable([])
    assert repr(empty) == NO_INTERPRETERS
    assert NO_INTERPRETERS in empty._repr_html_() and "<th>" not in empty._repr_html_()


def test_line_help_has_no_rest_markup(ip, capsys):
    ip.run_line_magic("interp", "help")
    out = capsys.readouterr().out
    assert "%interp wait [--timeout S] NAME" in out and "%%interp NAME" in out
    assert not [line for line in out.splitlines() if line.strip() == "::"]


def test_queue_push_pull_close(ip):
    ip.run_line_magic("interp", "queue mq")
    q = ip.user_ns["mq"]
    assert run(ip, "%%interp m6\nmq.put('from m6')").success
    assert q.get(timeout=5) == "from m6"
    ip.user_ns["pushed"] = {"k": 1}
    ip.run_line_magic("interp", "push m6 pushed")
    assert run(ip, "%%interp m6\npulled = pushed['k'] + 1").success
    ip.run_line_magic("interp", "pull m6 pulled")
    assert ip.user_ns["pulled"] == 2
    ip.run_line_magic("interp", "close m6")
    assert "m6" not in repr(ip.run_line_magic("interp", "list"))


def test_interrupt_line_magic(ip, capsys):
    run(ip, "%%interp m7 --bg spin7\nwhile True:\n    pass")
    time.sleep(0.2)
    ip.run_line_magic("interp", "interrupt spin7")
    assert "interrupted spin7" in capsys.readouterr().out
    with pytest.raises(InterpCellError) as info:
        ip.run_line_magic("interp", "wait spin7 --timeout 10")
    assert type(info.value).__name__ == "KeyboardInterrupt"


# -- install --------------------------------------------------------------------------------------


def test_install_writes_an_absolute_python_and_logos(tmp_path):
    from interp_kernel.jupyter.install import install

    path = install(prefix=str(tmp_path), name="interp-test", display_name="Test D")
    spec = json.loads((tmp_path / "share/jupyter/kernels/interp-test/kernel.json").read_text())
    assert spec["argv"] == [sys.executable, "-m", "interp_kernel", "-f", "{connection_file}"]
    assert spec["display_name"] == "Test D"
    assert spec["language"] == "python" and spec["interrupt_mode"] == "signal"
    assert (tmp_path / "share/jupyter/kernels/interp-test/logo-64x64.png").is_file()
    assert path.endswith("interp-test")


def test_install_command_line(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "interp_kernel", "install", "--prefix", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    spec = json.loads((tmp_path / "share/jupyter/kernels/interp/kernel.json").read_text())
    assert "subinterpreters" in spec["display_name"]
    bad = subprocess.run([sys.executable, "-m", "interp_kernel", "install", "--user", "--sys-prefix"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "not allowed" in bad.stderr


def test_installed_kernelspec_is_found():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("interp")
    assert spec.argv[1:3] == ["-m", "interp_kernel"]
    assert spec.language == "python"


def test_timeline_subcommand(ip):
    assert run(ip, "%%interp m8\nx = 1").success
    picture = ip.run_line_magic("interp", "timeline --last 1")
    assert "m8" in repr(picture) and "<svg" in picture._repr_mimebundle_()["image/svg+xml"]
    with pytest.raises(UsageError):
        ip.run_line_magic("interp", "timeline --last 2 --since-reset")
    with pytest.raises(UsageError):
        ip.run_line_magic("interp", "timeline --last 0")


def test_display_ids_and_clear_output_in_a_terminal_shell(ip, capsys):
    result = run(ip, "%%interp term_display\nh = display('one', display_id=True)\nh.update('two')\nclear_output()\n'done'")
    assert result.success, result.error_in_exec
    context_for(ip).router.flush()
    out = capsys.readouterr().out
    assert out.index("'one'") < out.index("'two'") < out.index("\x1b[2K")  # shown, updated, cleared


# -- compiling ahead ---------------------------------------------------------------------


def test_an_interp_cell_is_compiled_ahead_as_the_magic_runs_it_and_only_once(ip, monkeypatch):
    ip.run_cell("%%interp early1 early2\nx = 1")
    manager = context_for(ip).manager
    woken, sent = [], []
    for name in ("early1", "early2"):
        session = manager.get(name)
        monkeypatch.setattr(session, "wake", lambda code=None, _w=session.wake, _n=name: (woken.append((_n, code)), _w(code)))
        monkeypatch.setattr(session, "submit", lambda code, _s=session.submit, _n=name, **kw: (sent.append((_n, code)), _s(code, **kw))[1])
    cells = ["%%interp early1\nprint(x)", "%%interp early1\nx += 1\nx\n", "%%interp early1 --out x\nx = 5",
             "%%interp early1 early2\r\nx = 2", "%%interp early1 new_one\n'new'"]
    for cell in cells:
        woken.clear(), sent.clear()
        assert ip.run_cell(cell).success
        assert woken == [s for s in sent if s[0] != "new_one"] and sent, cell
    preparer = context_for(ip).cell_preparer
    woken.clear(), sent.clear()
    preparer.early("%%interp early1\n'early'")  # what the kernel does when the request arrives
    assert ip.run_cell("%%interp early1\n'early'").success
    assert woken == sent == [("early1", "\n'early'\n")]
    woken.clear()
    for cell in ("x = 1", "%%interpolate a\n1", "%%interp $name\n1", "%%interp early1", "%%interp nobody_yet --bg\n1"):
        preparer.pre_run_cell(type("Info", (), {"raw_cell": cell})())
    assert woken == [("early1", "\n")]
    ip.run_line_magic("interp", "close early1 early2 new_one")
