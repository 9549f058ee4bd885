"""The interp kernel driven through jupyter_client: iopub messages of %%interp cells.

One kernel per module (tests use distinct interpreter names so they do not interfere);
tests that shut the kernel down get their own.
"""

import time

import pytest

from conftest import cell, start_kernel, strip_ansi

pytestmark = pytest.mark.timeout(120)




# -- normal cells keep working ------------------------------------------------------------


def test_plain_cells_still_work(kernel):
    ex = kernel.execute("x_main = 6 * 7\nx_main")
    assert ex.ok and ex.text == "42"
    ex = kernel.execute("%load_ext interp_kernel\n%lsmagic")
    assert ex.ok and "interp" in ex.text
    info = kernel.kc.kernel_info(reply=True)["content"]
    assert info["implementation"] == "interp_kernel"
    assert info["language_info"]["name"] == "python"


# -- %%interp basics -----------------------------------------------------------------------


def test_streaming_arrives_before_the_cell_ends(kernel):
    msg_id = kernel.submit(cell("""
        %%interp stream
        import time
        print("before", flush=True)
        time.sleep(1.0)
        print("after")
    """))
    first = kernel.wait_for(msg_id, lambda m: m["msg_type"] == "stream" and "before" in m["content"]["text"])
    messages = kernel.wait_idle(msg_id)
    idle = messages[-1]
    assert idle["msg_type"] == "status"
    assert idle["received"] - first["received"] > 0.7, "'before' only arrived at the end of the cell"
    texts = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert texts.index("before") < texts.index("after")
    assert all(m["content"]["name"] == "stdout" for m in messages if m["msg_type"] == "stream")


def test_stderr_and_print_from_a_thread(kernel):
    ex = kernel.execute(cell("""
        %%interp stream
        import sys, threading
        print("to stderr", file=sys.stderr)
        t = threading.Thread(target=lambda: print("from a thread"))
        t.start(); t.join()
    """))
    assert ex.ok
    assert "to stderr" in ex.stderr
    assert "from a thread" in ex.stdout


def test_result_with_rich_reprs(kernel):
    ex = kernel.execute(cell("""
        %%interp rich
        class Fancy:
            def __repr__(self): return "Fancy()"
            def _repr_html_(self): return "<b>fancy</b>"
            def _repr_markdown_(self): return "**fancy**"
            def _repr_json_(self): return {"fancy": True}
            def _repr_png_(self): return b"\\x89PNG fake"
        Fancy()
    """))
    assert ex.ok, ex.summary()
    data = ex.result
    assert data["text/plain"] == "Fancy()"
    assert data["text/html"] == "<b>fancy</b>"
    assert data["text/markdown"] == "**fancy**"
    assert data["application/json"] == {"fancy": True}
    import base64

    assert base64.b64decode(data["image/png"]) == b"\x89PNG fake"
    assert ex.of_type("execute_result")[0]["content"]["execution_count"] == ex.content["execution_count"]


def test_no_result_for_a_statement_or_none(kernel):
    ex = kernel.execute("%%interp rich\ny = 1")
    assert ex.ok and ex.result is None
    ex = kernel.execute("%%interp rich\nNone")
    assert ex.ok and ex.result is None


def test_display_inside_the_body(kernel):
    ex = kernel.execute(cell("""
        %%interp rich
        class Pic:
            def _repr_svg_(self): return "<svg xmlns='http://www.w3.org/2000/svg'/>"
        display(Pic())
        print("after display")
    """))
    assert ex.ok, ex.summary()
    displays = ex.of_type("display_data")
    assert displays and "image/svg+xml" in displays[0]["content"]["data"]
    kinds = [m["msg_type"] for m in ex.messages if m["msg_type"] in ("display_data", "stream")]
    assert kinds.index("display_data") < kinds.index("stream")


def test_display_ids_update_in_place_and_clear_output(kernel):
    """``display(obj, display_id=True)`` returns a handle whose ``update`` replaces the
    output in place; ``update_display`` and ``clear_output`` work as in IPython."""
    ex = kernel.execute(cell("""
        %%interp rich
        print("before")
        handle = display("step 1", display_id=True)
        handle.update("step 2")
        update_display("step 3", display_id=handle.display_id)
        clear_output(wait=True)
        print("after")
        handle
    """))
    assert ex.ok, ex.summary()
    shown = [(m["msg_type"], m["content"]) for m in ex.messages
             if m["msg_type"] in ("stream", "display_data", "update_display_data", "clear_output")]
    kinds = [kind for kind, _ in shown]
    assert kinds == ["stream", "display_data", "update_display_data", "update_display_data",
                     "clear_output", "stream"], shown
    ids = {content["transient"]["display_id"] for kind, content in shown if "display" in kind}
    assert len(ids) == 1 and ids.pop()
    assert [content["data"]["text/plain"] for kind, content in shown if "display" in kind] == [
        "'step 1'", "'step 2'", "'step 3'"]
    assert shown[4][1] == {"wait": True}
    assert ex.text.startswith("<DisplayHandle display_id=")


def test_error_shows_the_interpreters_traceback(kernel):
    ex = kernel.execute(cell("""
        %%interp err
        kept = "still here"
        def inner():
            return 1 / 0
        inner()
    """))
    assert not ex.ok
    assert ex.content["ename"] == "ZeroDivisionError"
    error = ex.error
    assert error["ename"] == "ZeroDivisionError"
    assert error["evalue"] == "division by zero"
    tb = ex.traceback_text()
    assert "line 5" in tb and "line 4" in tb, tb  # the cell's own line numbers (line 1: %%interp)
    assert "return 1 / 0" in tb
    for ours in ("interp_kernel", "agent.py", "cell_magic.py", "context.py", "session.py", "run_cell_magic"):
        assert ours not in tb, tb
    assert len(ex.errors) == 1
    # the kernel and the interpreter's state survive
    ex = kernel.execute("%%interp err\nkept")
    assert ex.ok and ex.text == "'still here'"


def test_ipython_syntax_in_the_body_gets_a_hint(kernel):
    ex = kernel.execute("%%interp err\n%time 1 + 1")
    assert ex.error["ename"] == "SyntaxError"
    assert "plain Python" in ex.traceback_text()


def test_refused_module_gets_a_hint(kernel):
    ex = kernel.execute("%%interp err\nimport _testsinglephase")
    if ex.ok:
        pytest.skip("_testsinglephase loads here")
    if ex.error["ename"] == "ModuleNotFoundError":
        pytest.skip("no _testsinglephase in this Python")
    assert ex.error["ename"] == "ImportError"
    assert "hint:" in ex.traceback_text() and "legacy" in ex.traceback_text()


# -- --in / --out -------------------------------------------------------------------------


def test_in_and_out_with_a_dict(kernel):
    assert kernel.execute("d = {'a': 1, 'nested': [1, 2, 3]}").ok
    ex = kernel.execute(cell("""
        %%interp io --in d --out r n
        r = dict(d, b=2)
        n = len(r)
    """))
    assert ex.ok, ex.summary()
    ex = kernel.execute("r, n")
    assert ex.text == "({'a': 1, 'nested': [1, 2, 3], 'b': 2}, 3)"


def test_in_with_an_unpicklable_value_runs_nothing(kernel):
    assert kernel.execute("import threading\nlock = threading.Lock()\nfine = 1").ok
    ex = kernel.execute("%%interp io2 --in fine lock\nprint('ran')")
    assert not ex.ok
    assert ex.error["ename"] == "NotTransferableError"
    assert "'lock'" in ex.error["evalue"]
    assert len(ex.error["traceback"]) == 1  # one line, no traceback of ours
    assert "ran" not in ex.stdout
    ex = kernel.execute("%%interp io2\n'fine' in globals(), 'lock' in globals()")
    assert ex.text == "(False, False)"


def test_out_of_an_undefined_name_is_a_clear_error(kernel):
    ex = kernel.execute("%%interp io3 --out nothing_here\nx = 1")
    assert ex.error["ename"] == "NameError"
    assert "nothing_here" in ex.error["evalue"]
    assert len(ex.error["traceback"]) == 1


# -- several targets ------------------------------------------------------------------------


def test_several_targets_run_in_parallel_with_labelled_output(kernel):
    for name in ("pa", "pb"):
        assert kernel.execute(f"%%interp {name}\nwho = {name!r}").ok
    start = time.monotonic()
    ex = kernel.execute(cell("""
        %%interp pa pb
        import time
        print("hello from", who)
        time.sleep(1.0)
        who.upper()
    """))
    elapsed = time.monotonic() - start
    assert ex.ok, ex.summary()
    lines = ex.stdout.splitlines()
    assert "[pa] hello from pa" in lines and "[pb] hello from pb" in lines
    assert elapsed < 1.9, f"targets ran one after the other ({elapsed:.2f} s; 2.0 s in turn)"
    assert ex.text == "[pa] 'PA'\n[pb] 'PB'"
    assert "<table" in ex.result["text/html"]


def test_a_failure_in_one_target_does_not_hide_the_others(kernel):
    ex = kernel.execute(cell("""
        %%interp pa pb
        print("running in", who)
        if who == "pa":
            raise ValueError("pa broke")
        who
    """))
    assert not ex.ok
    assert "[pa] running in pa" in ex.stdout and "[pb] running in pb" in ex.stdout
    assert ex.error["ename"] == "ValueError"
    tb = ex.traceback_text()
    assert "[pa]" in tb and "pa broke" in tb and "line 4" in tb
    displays = ex.of_type("display_data")
    assert displays and "[pb] 'pb'" in displays[0]["content"]["data"]["text/plain"]


def test_out_with_several_targets_is_a_dict(kernel):
    ex = kernel.execute("%%interp pa pb --out who\npass")
    assert ex.ok, ex.summary()
    assert kernel.execute("who").text == "{'pa': 'pa', 'pb': 'pb'}"


# -- background jobs --------------------------------------------------------------------------


def test_bg_output_lands_in_the_starting_cell(kernel):
    start_id = kernel.submit(cell("""
        %%interp bgw --bg job
        import time
        for i in range(8):
            print("tick", i, flush=True)
            time.sleep(0.25)
        "bg done"
    """))
    reply = kernel.reply(start_id, timeout=10)
    assert reply["content"]["status"] == "ok"
    kernel.wait_idle(start_id)
    started = kernel.messages(start_id)
    # the starting cell shows the job's live status line (not a repr that would stay "running")
    assert any("bgw" in str(m["content"].get("data", {})) and "running" in str(m["content"].get("data", {}))
               for m in started if m["msg_type"] == "display_data"), started
    assert not [m for m in started if m["msg_type"] == "execute_result"]

    other = kernel.execute("import time\ntime.sleep(1.0)\nprint('main cell')")
    assert other.stdout == "main cell\n"
    assert "tick" not in other.stdout

    waited = kernel.execute("%interp wait job --timeout 20")
    assert waited.ok, waited.summary()
    assert waited.text == "'bg done'"
    kernel.drain(0.3)
    ticks = "".join(m["content"]["text"] for m in kernel.messages(start_id) if m["msg_type"] == "stream")
    assert [f"tick {i}" for i in range(8)] == ticks.splitlines()
    # some ticks arrived while the other cell was running, still addressed to the starting cell
    during = [m for m in kernel.messages(start_id) if m["msg_type"] == "stream"
              and other.messages[0]["received"] <= m["received"] <= other.messages[-1]["received"]]
    assert during, "no output of the bg job arrived while the other cell ran"
    finals = [m for m in kernel.messages(start_id) if m["msg_type"] == "display_data"]
    assert finals and finals[-1]["content"]["data"]["text/plain"] == "'bg done'"


def test_bg_job_handle_and_list_state(kernel):
    kernel.execute("%%interp bgl --bg slow\nimport time\ntime.sleep(1.5)")
    listing = kernel.execute("%interp list")
    row = [line for line in listing.text.splitlines() if line.startswith("bgl ")]
    assert row and " background " in row[0], listing.text
    assert kernel.execute("slow.done").text == "False"
    assert kernel.execute("%interp wait slow").ok
    listing = kernel.execute("%interp list")
    row = [line for line in listing.text.splitlines() if line.startswith("bgl ")]
    assert " idle " in row[0] and "1.5" in row[0], listing.text


def test_interrupt_a_bg_job(kernel):
    start_id = kernel.submit("%%interp bgs --bg spinner\nkept = 'yes'\nwhile True:\n    pass")
    kernel.wait_idle(start_id)
    time.sleep(0.3)
    ex = kernel.execute("%interp interrupt spinner")
    assert ex.ok and "interrupted spinner" in ex.stdout
    waited = kernel.execute("%interp wait spinner --timeout 10")
    assert waited.error["ename"] == "KeyboardInterrupt"
    assert kernel.execute("%%interp bgs\nkept").text == "'yes'"
    kernel.drain(0.2)
    assert any(m["msg_type"] == "error" for m in kernel.messages(start_id))


def test_bg_error_shows_in_wait(kernel):
    kernel.execute("%%interp bge --bg failing\nraise RuntimeError('bg failure')")
    ex = kernel.execute("%interp wait failing")
    assert ex.error["ename"] == "RuntimeError"
    assert "bg failure" in ex.traceback_text()


# -- interrupt ------------------------------------------------------------------------------


def _interrupt_latency(kernel, code, marker):
    msg_id = kernel.submit(code)
    kernel.wait_for(msg_id, lambda m: m["msg_type"] == "stream" and marker in m["content"]["text"])
    time.sleep(0.2)
    sent = time.monotonic()
    kernel.interrupt()
    error = kernel.wait_for(msg_id, lambda m: m["msg_type"] == "error", timeout=10)
    messages = kernel.wait_idle(msg_id)
    return error["received"] - sent, error, messages


def test_interrupt_a_foreground_cell(kernel):
    latency, error, _ = _interrupt_latency(
        kernel, "%%interp spin\nkept = 41\nprint('spinning', flush=True)\nwhile True:\n    kept = 41", "spinning"
    )
    assert error["content"]["ename"] == "KeyboardInterrupt"
    tb = strip_ansi("\n".join(error["content"]["traceback"]))
    assert "line 5" in tb or "line 4" in tb, tb
    assert latency < 1.0, f"interrupt took {latency * 1000:.0f} ms"
    ex = kernel.execute("%%interp spin\nkept + 1")
    assert ex.text == "42"


def test_interrupt_several_targets(kernel):
    latency, error, messages = _interrupt_latency(
        kernel, "%%interp s1 s2\nprint('go', flush=True)\nwhile True:\n    pass", "go"
    )
    assert error["content"]["ename"] == "KeyboardInterrupt"
    tb = strip_ansi("\n".join(error["content"]["traceback"]))
    assert "[s1]" in tb and "[s2]" in tb
    assert latency < 1.0
    assert kernel.execute("%%interp s1 s2\n1").ok


def test_interrupt_of_a_blocking_call_hands_the_cell_to_the_background(kernel):
    # Event.wait blocks in C where no interrupt can reach it (time.sleep, by contrast, is cut short)
    msg_id = kernel.submit("%%interp nap\nimport threading\nprint('napping', flush=True)\n"
                           "threading.Event().wait(3.5)\n'woke'")
    kernel.wait_for(msg_id, lambda m: m["msg_type"] == "stream" and "napping" in m["content"]["text"])
    sent = time.monotonic()
    kernel.interrupt()
    error = kernel.wait_for(msg_id, lambda m: m["msg_type"] == "error", timeout=10)
    assert error["received"] - sent < 3.0
    assert error["content"]["ename"] == "KeyboardInterrupt"
    assert "background" in error["content"]["evalue"] and len(error["content"]["traceback"]) == 1
    kernel.wait_idle(msg_id)  # (a request sent before the error's reply would be aborted)
    waited = kernel.execute("%interp wait nap --timeout 10")
    # the pending KeyboardInterrupt lands when the wait returns
    assert waited.error["ename"] == "KeyboardInterrupt", waited.summary()
    assert kernel.execute("%%interp nap\n1").text == "1"


def test_a_cell_waits_for_a_bg_job_of_its_interpreter(kernel):
    kernel.execute("%%interp busy --bg\nimport time\ntime.sleep(0.5)\nstate = 'bg ran'")
    ex = kernel.execute("%%interp busy\nstate")
    assert "waiting for its background job 'busy'" in ex.stderr
    assert ex.text == "'bg ran'"


# -- queues -------------------------------------------------------------------------------------


def test_queue_between_two_interpreters_and_main(kernel):
    ex = kernel.execute("%interp queue q")
    assert ex.ok, ex.summary()
    producer = kernel.submit("%%interp qa --bg\nfor i in range(5):\n    q.put(i)\nq.put('end')")
    consumer = kernel.execute(cell("""
        %%interp qb
        items = []
        while (item := q.get(timeout=10)) != 'end':
            items.append(item * 10)
        q.put(sum(items))
        items
    """))
    assert consumer.text == "[0, 10, 20, 30, 40]", consumer.summary()
    assert kernel.execute("q.get(timeout=10)").text == "100"
    kernel.wait_idle(producer)
    # an interpreter created later sees the queue too, and main can put
    kernel.execute("q.put({'from': 'main'})")
    assert kernel.execute("%%interp qlate\nq.get(timeout=5)").text == "{'from': 'main'}"


# -- completion and inspection -------------------------------------------------------------


def test_process_pools_work_once_interpreters_exist(kernel):
    """A forked child of a process with subinterpreters crashes (CPython gh-139759): the
    kernel makes 'forkserver' multiprocessing's default (3.14's default; 3.13's is fork),
    so a plain process pool still works next to interpreters."""
    assert kernel.execute("%%interp pools\n1").ok
    ex = kernel.execute(cell("""
        import multiprocessing
        print(multiprocessing.get_start_method())
        with multiprocessing.Pool(2) as pool:
            print(pool.map_async(abs, [-1, -2, -3]).get(30))
    """), timeout=60)
    assert ex.ok, ex.summary()
    assert ex.stdout.splitlines() == ["forkserver", "[1, 2, 3]"]
    assert "os.fork()" not in ex.stderr


def test_a_fork_next_to_interpreters_is_explained(kernel):
    """An explicit fork still crashes its child: the cell says why, before it happens."""
    assert kernel.execute("%%interp forked\n1").ok
    ex = kernel.execute(cell("""
        import multiprocessing, resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the child's crash leaves no core file
        child = multiprocessing.get_context("fork").Process(target=abs, args=(1,))
        child.start()
        child.join(30)
        if child.is_alive():  # (never seen: the child dies at once) leave no process behind
            child.kill()
            child.join(5)
        print(child.exitcode)
    """), timeout=60)
    assert ex.ok, ex.summary()
    assert int(ex.stdout.strip()) < 0  # killed by a signal (SIGABRT on 3.13, SIGSEGV on 3.14)
    assert "os.fork() while" in ex.stderr and "subinterpreter(s) exist" in ex.stderr
    assert "forkserver" in ex.stderr


def test_completion_inside_interp_cell(kernel):
    kernel.execute("main_only_name = 1")
    kernel.execute("%%interp comp\nimport collections\nmy_long_variable = 1")
    code = "%%interp comp\nx = my_lo"
    reply = kernel.complete(code)
    assert reply["status"] == "ok"
    assert "my_long_variable" in reply["matches"]
    assert code[reply["cursor_start"]:reply["cursor_end"]] == "my_lo"
    assert kernel.complete("%%interp comp\nmain_on")["matches"] == []
    reply = kernel.complete("%%interp comp\ncollections.Ord")
    assert any(m.endswith("OrderedDict") for m in reply["matches"])
    # outside %%interp: normal IPython completion of main's namespace
    assert "main_only_name" in kernel.complete("main_on")["matches"]
    # on the first line: options and interpreter names
    assert "--config" in kernel.complete("%%interp comp --co")["matches"]
    assert "comp" in kernel.complete("%%interp co")["matches"]
    # the line magic: subcommands, then interpreter names
    assert kernel.complete("%interp re")["matches"] == ["reset"]
    assert "comp" in kernel.complete("%interp reset co")["matches"]


def test_inspection_inside_interp_cell(kernel):
    kernel.execute('%%interp comp\ndef helper(a, b=2):\n    "Helps with things."')
    reply = kernel.inspect("%%interp comp\nhelper", len("%%interp comp\nhelp"))
    assert reply["found"]
    text = reply["data"]["text/plain"]
    assert "helper(a, b=2)" in text and "Helps with things." in text
    assert kernel.inspect("len", 2)["found"]  # normal cells: IPython's inspection


# -- input --------------------------------------------------------------------------------------


def test_input_asks_the_frontend(kernel):
    ex, prompts = kernel.execute_with_input("%%interp inp\nname = input('who? ')\nprint('hi', name)\nname", ["bob"])
    assert prompts == ["who? "]
    assert ex.ok, ex.summary()
    assert "hi bob" in ex.stdout
    assert ex.text == "'bob'"


def test_getpass_asks_the_frontend_for_a_password(kernel):
    msg_id = kernel.submit("%%interp inp\nimport getpass\nsecret = getpass.getpass('pin? ')\nlen(secret)",
                           allow_stdin=True)
    request = kernel.kc.get_stdin_msg(timeout=30)
    assert request["parent_header"]["msg_id"] == msg_id
    assert request["content"] == {"prompt": "pin? ", "password": True}
    kernel.kc.input("1234")
    assert kernel.reply(msg_id)["content"]["status"] == "ok"
    ex = kernel.wait_idle(msg_id)
    assert [m["content"]["data"]["text/plain"] for m in ex if m["msg_type"] == "execute_result"] == ["4"]
    assert "1234" not in str([m["content"] for m in ex])  # never echoed


def test_interrupt_while_waiting_for_input(kernel):
    msg_id = kernel.submit("%%interp inp\nkept = 'k'\nx = input('say: ')", allow_stdin=True)
    request = kernel.kc.get_stdin_msg(timeout=10)
    assert request["content"]["prompt"] == "say: "
    sent = time.monotonic()
    kernel.interrupt()
    error = kernel.wait_for(msg_id, lambda m: m["msg_type"] == "error", timeout=10)
    assert error["received"] - sent < 1.0
    assert error["content"]["ename"] in ("KeyboardInterrupt", "EOFError")
    tb = strip_ansi("\n".join(error["content"]["traceback"]))
    assert "line 3" in tb and "agent.py" not in tb, tb
    kernel.wait_idle(msg_id)
    assert kernel.execute("%%interp inp\nkept").text == "'k'"


def test_input_without_stdin_is_an_eof_error(kernel):
    ex = kernel.execute("%%interp inp\ninput('x')", allow_stdin=False)
    assert ex.error["ename"] == "EOFError"


# -- line magics and errors --------------------------------------------------------------------


def test_line_magics(kernel):
    assert kernel.execute("%interp create lm1 lm2 --config legacy").ok
    listing = kernel.execute("%interp list")
    assert "lm1" in listing.text and "legacy" in listing.text
    assert "<table" in listing.result["text/html"]
    assert kernel.execute("payload = {'k': [1, 2]}\n%interp push lm1 payload").ok
    assert kernel.execute("%%interp lm1\npayload['k'].append(3)\nback = payload").ok
    assert kernel.execute("%interp pull lm1 back").ok
    assert kernel.execute("back").text == "{'k': [1, 2, 3]}"
    assert kernel.execute("%interp reset lm1").ok
    assert kernel.execute("%%interp lm1\n'back' in globals()").text == "False"
    assert kernel.execute("%interp close lm1 lm2").ok
    assert "lm1" not in kernel.execute("%interp list").text
    ex = kernel.execute("%interp help")
    assert "queue" in ex.stdout and "--bg" in ex.stdout


@pytest.mark.parametrize("code, ename, words", [
    ("%%interp e1 --bogus\n1", "UsageError", ["--bogus"]),
    ("%%interp\n1", "UsageError", ["NAME"]),
    ("%%interp 1bad\n1", "BadNameError", ["1bad"]),
    ("%interp close nosuch", "UnknownInterpreterError", ["nosuch"]),
    ("%interp frobnicate", "UsageError", ["frobnicate"]),
    ("%interp wait nojob", "UnknownInterpreterError", ["nojob"]),
    ("%interp push nosuch x_main", "UnknownInterpreterError", ["nosuch"]),
    ("%%interp e2 --in undefined_in_main\n1", "NameError", ["undefined_in_main"]),
])
def test_clear_one_line_errors(kernel, code, ename, words):
    ex = kernel.execute(code)
    assert not ex.ok
    assert ex.content["ename"] == ename
    if ename == "UsageError":
        assert not ex.errors
        assert ex.stderr.count("\n") == 1 and "UsageError" in ex.stderr
        text = ex.stderr
    else:
        assert len(ex.error["traceback"]) == 1, ex.error["traceback"]
        text = ex.error["evalue"]
    for word in words:
        assert word in text


def test_config_mismatch_is_a_clear_error(kernel):
    assert kernel.execute("%%interp cfg\n1").ok
    ex = kernel.execute("%%interp cfg --config legacy\n1")
    assert ex.content["ename"] == "ConfigMismatchError"
    assert "isolated" in ex.error["evalue"] and len(ex.error["traceback"]) == 1


# -- shutdown and restart ----------------------------------------------------------------------


STUCK = cell("""
    %%interp stuck
    import threading, time
    def sleeper():
        while True:
            try:
                time.sleep(30)
            except BaseException:
                pass
    threading.Thread(target=sleeper).start()
    print("stuck thread started")
""")


def _pid_alive(pid):
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.timeout(90)
def test_shutdown_and_restart_with_a_stuck_thread():
    handle = start_kernel()
    try:
        ex = handle.execute(STUCK)
        assert "stuck thread started" in ex.stdout, ex.summary()
        handle.execute("%%interp other\nx = 1")
        pid = handle.km.provisioner.process.pid
        start = time.monotonic()
        handle.km.restart_kernel(now=False)
        restart_time = time.monotonic() - start
        assert restart_time < 5.0, f"restart took {restart_time:.1f} s"
        assert not _pid_alive(pid)
        handle.kc.wait_for_ready(timeout=30)
        handle._iopub.clear()
        handle._idle.clear()
        handle.drain(0.3)
        ex = handle.execute(STUCK)
        assert "stuck thread started" in ex.stdout, ex.summary()
        pid = handle.km.provisioner.process.pid
        start = time.monotonic()
        handle.kc.stop_channels()
        handle.km.shutdown_kernel(now=False)
        shutdown_time = time.monotonic() - start
        assert shutdown_time < 5.0, f"shutdown took {shutdown_time:.1f} s"
        assert not _pid_alive(pid)
    finally:
        if handle.km.is_alive():
            handle.km.shutdown_kernel(now=True)


@pytest.mark.timeout(60)
def test_load_ext_in_a_stock_ipython_kernel():
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import start_new_kernel

    from conftest import KernelHandle, kernel_env

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.skip("no python3 kernelspec")
    km, kc = start_new_kernel(kernel_name="python3", env=kernel_env(), startup_timeout=60)
    handle = KernelHandle(km, kc)
    try:
        assert handle.execute("%load_ext interp_kernel").ok
        ex = handle.execute("%%interp stock\nprint('in stock kernel')\n6 * 7")
        assert ex.ok, ex.summary()
        assert ex.stdout == "in stock kernel\n" and ex.text == "42"
        start = handle.submit("%%interp stock --bg\nimport time\ntime.sleep(0.3)\nprint('late line')")
        handle.wait_idle(start)
        assert handle.execute("%interp wait stock").ok
        handle.drain(0.2)
        late = [m for m in handle.messages(start) if m["msg_type"] == "stream"]
        assert late and "late line" in late[0]["content"]["text"]
    finally:
        handle.shutdown()


@pytest.mark.timeout(90)
def test_nbclient_runs_a_notebook_with_interp_cells():
    import nbformat
    from nbclient import NotebookClient

    from conftest import require_kernelspec

    require_kernelspec()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("data = list(range(5))"),
        nbformat.v4.new_code_cell("%%interp nb --in data --out total\nprint('summing', len(data))\ntotal = sum(data)\ntotal"),
        nbformat.v4.new_code_cell("%%interp nb1 nb2\nprint('hi')"),
        nbformat.v4.new_code_cell("total * 2"),
    ]
    import os

    saved = os.environ.pop("PYTEST_CURRENT_TEST", None)
    try:
        NotebookClient(nb, kernel_name="interp", timeout=60, startup_timeout=60).execute()
    finally:
        if saved is not None:
            os.environ["PYTEST_CURRENT_TEST"] = saved
    outputs = [c.outputs for c in nb.cells]
    assert outputs[1][0]["text"] == "summing 5\n"
    assert outputs[1][1]["data"]["text/plain"] == "10"
    streams = "".join(o["text"] for o in outputs[2] if o["output_type"] == "stream")
    assert sorted(streams.splitlines()) == ["[nb1] hi", "[nb2] hi"]
    assert outputs[3][0]["data"]["text/plain"] == "20"
