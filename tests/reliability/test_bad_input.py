"""Reliability: a corpus of bad input, run through the real kernel.

Every case is one table row: the cell to run (after an optional set-up cell), the
error it must produce (or None: it must work), and words the error (or the output)
must contain. After every case the test checks:

* the error is clear: the expected name, the words, and no traceback of ours
  (one line for the magics' own errors; for errors inside an interpreter, only
  frames of the cell or of the modules it called);
* the kernel is alive and an unrelated interpreter (``canary``) kept its state;
* the interpreter the case used still runs cells (or is gone, when that was asked).

Cases that must not share a kernel with others (fatal ones) are not here: see
docs/reliability.md for what takes the whole kernel down (``os._exit``, crashes in C).

Set ``INTERP_RELIABILITY_FIGURES=path.jsonl`` to collect the figures.
"""

import sys
from dataclasses import dataclass, field

import pytest

from conftest import cell, report, strip_ansi

pytestmark = pytest.mark.timeout(120)






@dataclass
class Case:
    id: str
    code: str
    ename: str | None  # None: the cell must succeed
    words: list = field(default_factory=list)  # in the error text (or the output when it succeeds)
    setup: str | list | None = None  # cell(s) run first, which must succeed
    interp: str | None = "bi"  # must still run cells afterwards (None: no check)
    gone: str | None = None  # must not exist afterwards
    main_side: bool = False  # an error of code in main (IPython shows its frames, ours included)
    check: object = None  # check(kernel, execution) for anything else
    allow_stdin: bool = False
    timeout: float = 60


def _result(text):
    def check(kernel, ex):
        assert ex.text == text, ex.summary()
    return check


def _in_stderr(*words):
    def check(kernel, ex):
        for word in words:
            assert word in ex.stderr, ex.summary()
    return check


def _interp_value(interp, expr, text):
    def check(kernel, ex):
        got = kernel.execute(f"%%interp {interp}\n{expr}")
        assert got.text == text, got.summary()
    return check


def _main_value(expr, text):
    def check(kernel, ex):
        got = kernel.execute(expr)
        assert got.text == text, got.summary()
    return check


def _all(*checks):
    def check(kernel, ex):
        for one in checks:
            one(kernel, ex)
    return check


def _wait_error(handle, ename, *words):
    def check(kernel, ex):
        waited = kernel.execute(f"%interp wait {handle} --timeout 30")
        assert waited.error["ename"] == ename, waited.summary()
        text = strip_ansi("\n".join(waited.error["traceback"]))
        for word in words:
            assert word in text, text
    return check


def _stdout_size(size):
    def check(kernel, ex):
        assert len(ex.stdout) == size, len(ex.stdout)
    return check


CLASSES = cell("""
    class NoPickle:
        def __reduce__(self):
            raise RuntimeError("no pickling for you")
    class BoomOnLoad:
        def __reduce__(self):
            return (exec, ("raise ValueError('boom on load')",))
""")

SPIN = "while True:\n    pass"

CASES = [
    # -- magic syntax ---------------------------------------------------------------------------
    Case("unknown-option", "%%interp bi --bogus\n1", "UsageError", ["--bogus"]),
    Case("options-only", "%%interp --in x\n1", "UsageError", ["NAME"], interp=None),
    Case("bg-without-name", "%%interp --bg\n1", "UsageError", ["NAME"], interp=None),
    Case("name-starts-with-digit", "%%interp 9lives\n1", "BadNameError", ["9lives"], gone="9lives"),
    Case("name-with-dot", "%%interp a.b\n1", "BadNameError", ["a.b"], interp=None),
    Case("name-not-ascii", "%%interp ñame\n1", "BadNameError", ["ñame"], interp=None),
    Case("name-quoted", "%%interp 'a b'\n1", "BadNameError", ["a b"], interp=None),
    Case("unbalanced-quote", "%%interp bi 'oops\n1", "UsageError", ["quotation"]),
    Case("duplicate-target", "%%interp bi bi\n1", "UsageError", ["'bi'", "twice"]),
    Case("config-unknown", "%%interp bi --config fast\n1", "UsageError", ["fast", "isolated", "legacy"]),
    Case("config-without-value", "%%interp bi --config\n1", "UsageError", ["--config"]),
    Case("in-without-variable", "%%interp bi --in\n1", "UsageError", ["--in"]),
    Case("out-without-variable", "%%interp bi --out\n1", "UsageError", ["--out"]),
    Case("in-undefined", "%%interp bi --in never_defined_anywhere\n1", "NameError",
         ["never_defined_anywhere", "main"]),
    Case("in-bad-variable", "%%interp bi --in 2x\n1", "BadNameError", ["2x"]),
    Case("in-keyword", "%%interp bi --in lambda\n1", "BadNameError", ["lambda", "keyword"]),
    Case("out-never-set", "%%interp bi --out never_set\nran_it = 'yes'", "NameError", ["never_set"],
         check=_all(_interp_value("bi", "ran_it", "'yes'"), _main_value("'never_set' in globals()", "False"))),
    Case("out-bad-variable", "%%interp bi --out x-y\n1", "BadNameError", ["x-y"]),
    Case("bg-bad-handle", "%%interp bi --bg 1job\n1", "BadNameError", ["1job"]),
    Case("bg-keyword-handle", "%%interp bi --bg class\n1", "BadNameError", ["class", "keyword"]),
    Case("bg-two-handles", "%%interp bi --bg j extra\n1", "UsageError", ["extra"]),
    Case("config-mismatch", "%%interp bi --config legacy\n1", "ConfigMismatchError", ["isolated", "legacy"]),
    Case("config-mismatch-in-several", "%%interp cfl bi --config legacy\n1", "ConfigMismatchError", ["'bi'"],
         setup="%interp create cfl --config legacy"),
    Case("in-given-twice-adds-up", "%%interp bi --in rin_a --in rin_b\nrin_a + rin_b", None,
         setup="rin_a, rin_b = 1, 2", check=_result("3")),
    Case("in-a-module-crosses-by-name", "%%interp bi --in os_module\nos_module.sep", None,
         setup="import os as os_module", check=_result("'/'")),
    Case("empty-body", "%%interp bi\n", "UsageError", ["empty"]),
    # -- line magics ----------------------------------------------------------------------------
    Case("line-no-command", "%interp", None, ["queue", "--bg"]),
    Case("line-unknown-command", "%interp frob 'x", "UsageError", ["quotation"]),
    Case("line-extra-argument", "%interp list extra", "UsageError", ["extra"]),
    Case("close-without-names", "%interp close", "UsageError", ["--all"]),
    Case("close-names-and-all", "%interp close bi --all", "UsageError", ["not both"]),
    Case("reset-unknown", "%interp reset nosuch_r", "UnknownInterpreterError", ["nosuch_r"]),
    Case("interrupt-unknown", "%interp interrupt nosuch_i", "UnknownInterpreterError", ["nosuch_i"]),
    Case("interrupt-idle", "%interp interrupt bi", None, ["bi was not running"]),
    Case("pull-without-variable", "%interp pull bi", "UsageError", ["VAR"]),
    Case("pull-undefined", "%interp pull bi undefined_in_bi", "NameError", ["undefined_in_bi"]),
    Case("pull-bad-variable", "%interp pull bi 3x", "BadNameError", ["3x"]),
    Case("push-without-variable", "%interp push bi", "UsageError", ["VAR"]),
    Case("push-keyword", "%interp push bi for", "BadNameError", ["for"]),
    Case("wait-without-name", "%interp wait", "UsageError", ["NAME"]),
    Case("wait-on-nothing", "%interp wait bi", "LookupError", ["no background job", "bi"]),
    Case("wait-bad-timeout", "%interp wait bi --timeout soon", "UsageError", ["--timeout"]),
    Case("wait-times-out", "%interp wait slowjob --timeout 0.05", "TimeoutError", ["slowjob", "still running"],
         setup="%%interp slow --bg slowjob\nimport time\ntime.sleep(0.5)\n'slow done'", interp="slow"),
    Case("wait-timeout-inf", "%interp wait infjob --timeout inf", None, ["inf done"],
         setup="%%interp slow --bg infjob\nimport time\ntime.sleep(0.2)\n'inf done'", interp="slow",
         check=_result("'inf done'")),
    Case("wait-timeout-nan", "%interp wait nanjob --timeout nan", "UsageError", ["nan"],
         setup="%%interp slow --bg nanjob\n1", interp="slow"),
    Case("wait-timeout-negative", "%interp wait negjob --timeout -1", "UsageError", [">= 0"],
         setup="%%interp slow --bg negjob\n1", interp="slow"),
    Case("queue-bad-name", "%interp queue 1q", "BadNameError", ["bad queue name", "1q"]),
    Case("queue-keyword", "%interp queue while", "BadNameError", ["while", "keyword"]),
    Case("queue-dash", "%interp queue q-x", "BadNameError", ["q-x"]),
    Case("queue-negative-maxsize", "%interp queue bq --maxsize -1", "ValueError", ["maxsize"]),
    Case("queue-huge-maxsize", "%interp queue bq --maxsize 99999999999999999999", "ValueError", ["too large"]),
    Case("queue-maxsize-not-a-number", "%interp queue bq --maxsize lots", "UsageError", ["lots"]),
    Case("queue-other-maxsize", "%interp queue bq2 --maxsize 3", "ValueError", ["maxsize 0"],
         setup="%interp queue bq2"),
    Case("timeline-last-zero", "%interp timeline --last 0", "UsageError", ["--last"]),
    Case("timeline-conflicting", "%interp timeline --last 2 --since-reset", "UsageError", ["not allowed"]),
    Case("create-bad-name", "%interp create 1bad", "BadNameError", ["1bad"]),
    Case("create-config-mismatch", "%interp create bi --config legacy", "ConfigMismatchError", ["bi"]),
    # -- values ---------------------------------------------------------------------------------
    Case("push-lock", "%interp push bi v_lock", "NotTransferableError", ["v_lock", "lock"],
         setup="import threading\nv_lock = threading.Lock()"),
    Case("push-pickling-raises", "%interp push bi v_nopickle", "NotTransferableError",
         ["v_nopickle", "no pickling for you"], setup=CLASSES + "\nv_nopickle = NoPickle()"),
    Case("push-unpickling-raises", "%interp push bi v_boom", "NotTransferableError", ["boom on load"],
         setup=CLASSES + "\nv_boom = BoomOnLoad()", check=_interp_value("bi", "'v_boom' in globals()", "False")),
    Case("push-all-or-nothing", "%interp push bi v_fine v_lock", "NotTransferableError", ["v_lock"],
         setup="import threading\nv_fine = 1\nv_lock = threading.Lock()",
         check=_interp_value("bi", "'v_fine' in globals()", "False")),
    Case("push-recursive", "%interp push bi v_rec v_rd", None,
         setup="v_rec = []\nv_rec.append(v_rec)\nv_rd = {}\nv_rd['self'] = v_rd",
         check=_interp_value("bi", "v_rec[0] is v_rec, v_rd['self'] is v_rd", "(True, True)")),
    Case("pull-recursive", "%%interp bi --out v_rec2\nv_rec2 = [1]\nv_rec2.append(v_rec2)", None,
         check=_main_value("v_rec2[1] is v_rec2, v_rec2[0]", "(True, 1)")),
    Case("push-deeply-nested", "%interp push bi v_deep", "NotTransferableError", ["v_deep", "recursion"],
         setup="v_deep = []\nfor _ in range(100_000):\n    v_deep = [v_deep]"),
    Case("push-64mb", "%interp push bi v_big", None, setup="v_big = bytes(64 * 2**20)",
         check=_interp_value("bi", "len(v_big)", str(64 * 2**20))),
    Case("pull-64mb", "%%interp bi --out v_big2\nv_big2 = b'y' * (64 * 2**20)\ndel v_big", None,
         check=_main_value("len(v_big2), v_big2[-1:]", f"({64 * 2**20}, b'y')")),
    Case("free-the-big-values", "del v_big, v_big2", None),
    Case("in-generator", "%%interp bi --in v_gen\n1", "NotTransferableError", ["v_gen", "generator"],
         setup="v_gen = (i for i in range(3))"),
    Case("in-lambda-crosses-by-value", "%%interp bi --in v_fn\nv_fn()", None,
         setup="v_fn = lambda: 1", check=_result("1")),
    Case("pull-class-of-interp-main-by-value", "%interp pull bi v_local", None,
         setup="%%interp bi\nclass OnlyHere:\n    pass\nv_local = OnlyHere()",
         check=_main_value("type(v_local).__name__", "'OnlyHere'")),
    Case("pull-class-of-module-only-there", "%interp pull bi v_mod", "NotTransferableError",
         ["v_mod", "only_bi", "cannot import"],
         setup="%%interp bi\nimport sys, types\nsys.modules['only_bi'] = only_bi = types.ModuleType('only_bi')\n"
               "exec('class C:\\n    pass', only_bi.__dict__)\nv_mod = only_bi.C()"),
    Case("out-lock", "%%interp bi --out v_lk\nimport threading\nv_lk = threading.Lock()", "NotTransferableError",
         ["v_lk", "lock"]),
    Case("pull-pickling-raises", "%interp pull bi v_refuse", "NotTransferableError", ["v_refuse", "refuse"],
         setup="%%interp bi\nclass Refuse:\n    def __reduce__(self):\n        raise RuntimeError('refuse')\n"
               "v_refuse = Refuse()"),
    Case("pull-unpickling-raises", "%interp pull bi v_evil", "NotTransferableError", ["unpickling failed", "boom"],
         setup="%%interp bi\nclass Evil:\n    def __reduce__(self):\n"
               "        return (exec, (\"raise ValueError('boom in main')\",))\nv_evil = Evil()",
         check=lambda k, ex: "__main__ do not exist" not in ex.error["evalue"]),
    # -- bodies ---------------------------------------------------------------------------------
    Case("syntax-error", "%%interp bi\nx = (", "SyntaxError", ["never closed", "line 2"]),
    Case("indentation-error", "%%interp bi\nx = 1\n  y = 2", "IndentationError", ["unexpected indent", "line 3"]),
    Case("tab-error", "%%interp bi\nif True:\n\tx = 1\n        y = 2", "TabError", ["tabs and spaces"]),
    Case("ipython-shell-escape", "%%interp bi\n!ls", "SyntaxError", ["plain Python", "!"]),
    Case("ipython-help-syntax", "%%interp bi\nlen?", "SyntaxError", ["plain Python", "?help"]),
    Case("top-level-await", "%%interp bi\nawait something()", "SyntaxError", ["await"]),
    Case("return-outside-function", "%%interp bi\nreturn 5", "SyntaxError", ["outside function"]),
    Case("system-exit", "%%interp bi\nraise SystemExit(3)", "SystemExit", ["3", "line 2"]),
    Case("exit-builtin", "%%interp bi\nexit()", "SystemExit", ["exit()"]),
    Case("sys-exit", "%%interp bi\nimport sys\nsys.exit('bye')", "SystemExit", ["bye"]),
    Case("recursion-error", "%%interp bi\ndef f():\n    return f()\nf()", "RecursionError",
         ["maximum recursion depth", "Previous line repeated"]),
    Case("memory-error", "%%interp bi\nx = bytearray(10**13)", "MemoryError", ["bytearray"]),
    Case("parser-overflow", "%%interp bi\nx = " + "-" * 100_000 + "1", "MemoryError", ["too complex"]),
    Case("too-deeply-nested", "%%interp bi\nx = eval('[' * 10**6)", "SyntaxError", ["too many nested"]),
    Case("str-of-exception-raises", "%%interp bi\nclass BadStr(Exception):\n    def __str__(self):\n"
         "        raise ValueError('no str')\nraise BadStr()", "BadStr", ["str() failed"]),
    Case("str-and-repr-raise", "%%interp bi\nclass Worse(Exception):\n    def __str__(self):\n        raise ValueError\n"
         "    def __repr__(self):\n        raise ValueError\nraise Worse()", "Worse", ["Worse"]),
    Case("odd-exception-name", "%%interp bi\nraise type('Odd Name!', (Exception,), {})('odd')", "Odd Name!", ["odd"]),
    Case("base-exception-subclass", "%%interp bi\nclass Halt(BaseException):\n    pass\nraise Halt('halt')",
         "Halt", ["halt"]),
    Case("keyboard-interrupt-by-hand", "%%interp bi\nraise KeyboardInterrupt('by hand')", "KeyboardInterrupt",
         ["by hand"]),
    Case("repr-of-result-raises", "%%interp bi\nclass R:\n    def __repr__(self):\n"
         "        raise ValueError('bad repr')\nR()", "ValueError", ["bad repr"]),
    Case("huge-repr-result", "%%interp bi\nclass Big:\n    def __repr__(self):\n        return 'r' * 20_000_000\nBig()",
         None, check=lambda k, ex: len(ex.text) == 20_000_000),
    Case("lone-surrogate-output", "%%interp bi\nprint('bad \\udcff byte')", None, ["bad \ufffd byte"]),
    Case("non-utf8-to-fd-1", "%%interp bi\nimport os\nos.write(1, b'\\xff\\xfe raw\\n')\n'written'", None,
         check=_result("'written'")),
    Case("stdout-buffer", "%%interp bi\nimport sys\nsys.stdout.buffer.write(b'\\xff')", "AttributeError", ["buffer"]),
    Case("bytes-to-stdout", "%%interp bi\nimport sys\nsys.stdout.write(b'x')", "TypeError", ["str", "bytes"]),
    Case("control-characters", "%%interp bi\nprint('nul\\x00 cr\\r bell\\x07 esc\\x1b[31m')", None,
         ["nul\x00 cr\r bell\x07 esc\x1b[31m"]),
    Case("ten-mb-line", "%%interp bi\nprint('x' * 10_000_000)\nprint('end')", None, ["end"],
         check=_stdout_size(10_000_000 + 1 + 4)),
    Case("daemon-thread", "%%interp bi\nimport threading\nthreading.Thread(target=print, daemon=True).start()",
         "RuntimeError", ["daemon"]),
    Case("fork", "%%interp bi\nimport os\nos.fork()", "RuntimeError", ["fork"]),
    Case("signal-handler", "%%interp bi\nimport signal\nsignal.signal(signal.SIGINT, print)", "ValueError",
         ["main interpreter"]),
    Case("display-unsendable", "%%interp bi\ndisplay({'text/plain': object()}, raw=True)", "TypeError",
         ["display", "cannot be sent"]),
    # pdb meets the end of its input: 3.13 raises BdbQuit, 3.14 quits with SystemExit(1)
    Case("breakpoint-without-stdin", "%%interp bi\nbreakpoint()\n'after'",
         "SystemExit" if sys.version_info >= (3, 14) else "BdbQuit", []),
    Case("input-in-bg-job", "%%interp bi --bg inbg\ninput('name? ')", None,
         check=_wait_error("inbg", "EOFError", "input")),
    Case("refusing-module", "%%interp bi\nimport numpy", "ImportError", ["numpy", "hint:", "legacy"]),
    Case("stdout-replaced-by-none", "%%interp own_out\nimport sys\nsys.stdout = None\nprint('lost')\n'still'", None,
         interp="own_out", check=_result("'still'")),
    # -- lifecycle ------------------------------------------------------------------------------
    Case("close-while-running", "%interp close lc1", None, setup=f"%%interp lc1 --bg lc1job\n{SPIN}",
         interp=None, gone="lc1", check=_wait_error("lc1job", "KeyboardInterrupt")),
    Case("reset-while-running", "%interp reset lc2", None, setup=f"%%interp lc2 --bg lc2job\nkeep = 1\n{SPIN}",
         interp="lc2", check=_all(_interp_value("lc2", "'keep' in globals()", "False"),
                                  _wait_error("lc2job", "KeyboardInterrupt"))),
    # The set-up waits until the cell is inside the C wait: an interrupt that lands earlier
    # (during `import threading`, ~40 ms in a fresh interpreter of Debian's 3.13) stops the
    # cell, and the old interpreter is then destroyed without a warning, rightly.
    Case("reset-while-stuck-in-c", "%interp reset lc7", None,
         setup=["%interp queue lc7ready",
                "%%interp lc7 --bg\nimport threading\nstuck = threading.Event()\nlc7ready.put(1)\nstuck.wait()",
                "lc7ready.get(timeout=30)"], interp="lc7",
         check=_all(_interp_value("lc7", "'threading' in globals()", "False"),
                    _in_stderr("lc7 could not be destroyed", "a fresh interpreter has its name"))),
    Case("use-a-closed-interpreter", "%interp push lc3 v_one", "UnknownInterpreterError", ["lc3"],
         setup="v_one = 1\n%interp create lc3\n%interp close lc3", interp=None, gone="lc3"),
    Case("closed-interpreter-comes-back-fresh", "%%interp lc4\n'v_old' in globals()", None,
         setup="v_old = 1\n%interp create lc4\n%interp push lc4 v_old\n%interp close lc4",
         interp="lc4", check=_result("False")),
    Case("close-twice", "%interp close lc5", "UnknownInterpreterError", ["lc5"],
         setup="%interp create lc5\n%interp close lc5", interp=None),
    Case("handle-of-a-closed-job", "lc6job.interrupt(), lc6job.done, lc6job.status", None,
         setup=[f"%%interp lc6 --bg lc6job\n{SPIN}", "%interp close lc6"], interp=None,
         check=_result("(False, True, 'error')")),
    # -- queues ---------------------------------------------------------------------------------
    Case("queue-get-empty", "%%interp bi\nbadq.get(timeout=0.05)", "Empty", ["badq", "empty"],
         setup="%interp queue badq"),
    Case("queue-put-unpicklable", "%%interp bi\nimport threading\nbadq.put(threading.Lock())", "TypeError",
         ["badq", "lock", "not picklable"]),
    Case("queue-negative-timeout", "%%interp bi\nbadq.get(timeout=-1)", "ValueError", ["timeout"]),
    Case("queue-put-full", "%%interp bi\nfullq.put(1, timeout=0.05)", "Full", ["fullq", "full"],
         setup="%interp queue fullq --maxsize 1\nfullq.put(0)"),
    Case("queue-closed", "%%interp bi\nclosedq.get()", "ValueError", ["closedq", "closed"],
         setup="%interp queue closedq\nclosedq.close()"),
    Case("queue-object-of-interp-class-by-value", "type(badq.get(timeout=5)).__name__", None,
         setup="%%interp bi\nclass QOnly:\n    pass\nbadq.put(QOnly())", check=_result("'QOnly'")),
    # -- shell escapes in a normal cell, interpreters alive (IPython's pexpect fork crashed there) ---
    Case("shell-escape-with-interpreters", "!echo shell-$((6 * 7)); echo to-stderr >&2", None, ["shell-42"],
         check=_all(_in_stderr("to-stderr"), _main_value("_exit_code", "0"))),
]

_IDS = [case.id for case in CASES]
assert len(set(_IDS)) == len(_IDS), "duplicate case ids"


@pytest.fixture(scope="module")
def corpus_kernel(kernel):
    """The module's kernel, with the canary interpreter and the default one ready."""
    ex = kernel.execute("%%interp canary\ncanary_value = 'untouched'")
    assert ex.ok, ex.summary()
    assert kernel.execute("%interp create bi").ok
    yield kernel
    report("bad_input_corpus", cases=len(CASES),
           errors=sum(1 for c in CASES if c.ename), successes=sum(1 for c in CASES if not c.ename))


def error_text(ex):
    parts = [ex.stderr, ex.stdout, ex.text or ""]
    for error in ex.errors:
        parts.append(error["evalue"])
        parts.append(strip_ansi("\n".join(error["traceback"])))
    return "\n".join(parts)


OUR_FILES = ("interp_kernel/jupyter/cell_magic.py", "interp_kernel/jupyter/line_magic.py",
             "interp_kernel/jupyter/context.py", "interp_kernel/runtime/session.py", "interp_kernel/runtime/manager.py",
             "interp_kernel/agent/__init__.py", "interp_kernel/runtime/jobs.py", "interp_kernel/jupyter/kernel.py")


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_bad_input(corpus_kernel, case):
    kernel = corpus_kernel
    for setup in [case.setup] if isinstance(case.setup, str) else case.setup or []:
        ex = kernel.execute(setup, timeout=case.timeout)
        assert ex.ok, ("set-up failed", ex.summary())
    ex = kernel.execute(case.code, timeout=case.timeout, allow_stdin=case.allow_stdin)
    text = error_text(ex)
    if case.ename is None:
        assert ex.ok, ex.summary()
    else:
        assert not ex.ok, f"expected {case.ename}; got {ex.summary()}"
        assert ex.content["ename"] == case.ename, (ex.content["ename"], text[:2000])
        if case.ename == "UsageError":  # IPython shows it as one line on stderr
            assert not ex.errors and ex.stderr.count("\n") == 1, ex.summary()
        else:
            tb = strip_ansi("\n".join(ex.error["traceback"]))
            if not case.main_side:
                for ours in OUR_FILES:
                    assert ours not in tb, tb
                assert "run_cell_magic" not in tb and "run_line_magic" not in tb, tb
    for word in case.words:
        assert word in text, (word, text[:3000])
    if case.check is not None:
        case.check(kernel, ex)
    # the kernel is alive and another interpreter untouched
    canary = kernel.execute("%%interp canary\ncanary_value")
    assert canary.text == "'untouched'", canary.summary()
    if case.interp:
        usable = kernel.execute(f"%%interp {case.interp}\n'usable'")
        assert usable.text == "'usable'", usable.summary()
    if case.gone:
        listing = kernel.execute("%interp list").text
        assert not any(line.split()[:1] == [case.gone] for line in listing.splitlines()), listing


def test_corpus_size():
    assert len(CASES) >= 60
