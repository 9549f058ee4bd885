"""Reliability: Hypothesis fuzzing of magic arguments and of values that cross.

* Argument strings of ``%%interp`` and ``%interp``, made of the magics' own words,
  bad names, quotes, numbers and random text: every outcome is success or a clear
  error of the magics (UsageError, a one-line error, the interpreter's own error) and
  never a traceback of ours, never a hang. Most run in an in-process IPython shell
  (``%load_ext interp_kernel``) for speed; a few through the real kernel.
* Values pushed into an interpreter and pulled back: picklable values come back
  equal; unpicklable ones (also deep inside containers) are a NotTransferableError
  that names the variable, and nothing is bound.
"""

import base64
import os
import pickle
import socket
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from conftest import strip_ansi
from interp_kernel.errors import NotTransferableError
from interp_kernel.jupyter.rendering import InterpCellError, InterpMagicError

pytestmark = pytest.mark.timeout(300)

# Fixed examples in `make test` (no flakes); INTERP_FUZZ_EXAMPLES=N explores N random ones.
_EXPLORE = int(os.environ.get("INTERP_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=_EXPLORE or 150, deadline=None, derandomize=not _EXPLORE,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

NAMES = ["fa", "fb", "fz-1", "_f", "1bad", "a.b", "ñ", "x y", "class"]
OPTIONS = ["--in", "--out", "--bg", "--config", "--maxsize", "--timeout", "--all", "--last", "--since-reset",
           "--width", "--bogus", "-h", "--help", "--", "-", "--bg=", "--in=x", "--con", "--b"]
VALUES = ["isolated", "legacy", "x", "y", "job", "0", "1", "-1", "0.01", "1e309", "nan", "inf", "None", "lots"]
ODD = ["'", '"', "'a b'", '"x"', "\\", "=", "%", "%%interp", "\t", "\x00", "🙂", "$x", "{x}"]
COMMANDS = ["list", "create", "close", "reset", "push", "pull", "interrupt", "wait", "queue", "timeline",
            "help", "frob", ""]
BODIES = ["1", "x = 1", "print('hi')", "raise ValueError('v')", "y = x"]

# (a magic's line cannot hold a line break: nor can the words)
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
token = st.one_of(
    st.sampled_from(NAMES), st.sampled_from(OPTIONS), st.sampled_from(VALUES), st.sampled_from(ODD),
    st.text(st.characters(blacklist_characters=LINE_BREAKS, blacklist_categories=("Cs",)), max_size=8),
)
words = st.lists(token, max_size=7).map(" ".join)

ALLOWED = (UsageError, InterpMagicError, InterpCellError)


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "interp_kernel")
    shell.user_ns.update(x=1, y=2)
    yield shell
    shell.run_line_magic("interp", "close --all")
    shell.run_line_magic("unload_ext", "interp_kernel")


def outcome(result):
    error = result.error_before_exec or result.error_in_exec
    if error is not None and not isinstance(error, ALLOWED):
        import traceback

        tb = "".join(traceback.format_exception(error))
        pytest.fail(f"a traceback of ours: {tb}")
    return error


def finish_jobs(shell):
    """Let background jobs end so that the next example does not wait behind them."""
    from interp_kernel.jupyter.extension import context_for

    for job in list(context_for(shell).background.values()):
        job._done.wait(10)


@FUZZ
@given(line=words, body=st.sampled_from(BODIES))
def test_cell_magic_arguments(ip, line, body):
    outcome(ip.run_cell(f"%%interp {line}\n{body}"))
    finish_jobs(ip)
    assert ip.run_cell("1 + 1").result == 2


@FUZZ
@given(command=st.sampled_from(COMMANDS), line=words)
def test_line_magic_arguments(ip, command, line):
    outcome(ip.run_cell(f"%interp {command} {line}"))
    finish_jobs(ip)
    assert ip.run_cell("1 + 1").result == 2


def test_the_shell_is_sane_after_fuzzing(ip):
    import signal

    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the magic gave SIGINT back
    result = ip.run_cell("%%interp fuzz_after\n6 * 7")
    assert result.error_in_exec is None and repr(result.result) == "42"


# -- through the real kernel ---------------------------------------------------------------


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(magic=st.sampled_from(["%%interp", "%interp"]), line=words)
def test_arguments_through_the_kernel(kernel, magic, line):
    code = f"{magic} {line}\nx = 1" if magic == "%%interp" else f"%interp {line}"
    ex = kernel.execute(code, timeout=60)
    if not ex.ok:
        for error in ex.errors:
            tb = strip_ansi("\n".join(error["traceback"]))
            assert "interp_kernel/" not in tb and "run_cell_magic" not in tb, tb
    assert kernel.execute("1 + 1", timeout=30).text == "2"


# -- values ---------------------------------------------------------------------------------------

hashable = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
    st.binary(max_size=20), st.complex_numbers(allow_nan=False), st.fractions(), st.uuids(),
    st.decimals(allow_nan=False), st.dates(), st.datetimes(), st.timedeltas(),
)
picklable = st.recursive(
    hashable,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.tuples(inner, inner),
        st.dictionaries(hashable, inner, max_size=5),
        st.frozensets(hashable, max_size=5), st.sets(hashable, max_size=5),
        st.builds(bytearray, st.binary(max_size=50)),
    ),
    max_leaves=25,
)


def _generator():
    yield 1


_SOCKET = socket.socket()

# (a maker, a word the error must show: pickle's reason names the culprit)
UNPICKLABLE = [
    (lambda: threading.Lock(), "lock"),
    (lambda: _generator(), "generator"),
    (lambda: _SOCKET, "socket"),  # (open files and memoryviews cross: cloudpickle copies their data)
    (lambda: threading.Event(), "lock"),
]


@pytest.fixture(scope="module")
def manager():
    from interp_kernel.runtime.manager import Manager

    m = Manager()
    yield m
    m.shutdown(timeout=5)


@FUZZ
@given(value=picklable)
def test_picklable_values_round_trip(manager, value):
    session = manager.session("fuzz_values")
    session.push(v=value)
    back = session.pull("v")
    assert back == value and type(back) is type(value)
    # and they cross again, in the other direction, through the interpreter's own pickle
    result = session.run("w = v")
    assert result.ok
    assert session.pull("w") == value


@FUZZ
@given(outer=picklable, make=st.sampled_from(UNPICKLABLE), where=st.sampled_from(["alone", "list", "dict", "deep"]))
def test_unpicklable_values_are_a_clear_error(manager, outer, make, where):
    session = manager.session("fuzz_values")
    make, word = make
    bad = make()
    value = {"alone": bad, "list": [outer, bad], "dict": {"k": outer, "bad": bad},
             "deep": [[[{"x": (outer, bad)}]]]}[where]
    session.push(marker="before")
    with pytest.raises(NotTransferableError) as info:
        session.push(marker="after", bad_value=value)
    message = str(info.value)
    assert "'bad_value'" in message and "pickl" in message and word in message, message
    assert session.pull("marker") == "before"  # nothing was bound


@FUZZ
@given(outer=picklable, where=st.sampled_from(["alone", "list", "dict", "deep"]))
def test_functions_and_modules_cross_inside_any_value(manager, outer, where):
    """A lambda crosses by value and a module by name, wherever they sit in a value."""
    session = manager.session("fuzz_values")
    add = 40
    item = (lambda x: x + add, pickle)
    value = {"alone": item, "list": [outer, item], "dict": {"k": outer, "bad": item},
             "deep": [[[{"x": (outer, item)}]]]}[where]
    session.push(v=value)
    find = {"alone": "v", "list": "v[1]", "dict": "v['bad']", "deep": "v[0][0][0]['x'][1]"}[where]
    result = session.run(f"fn, mod = {find}\nfn(2), mod.__name__")
    assert result.ok and result.value_repr == "(42, 'pickle')", result


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(value=picklable)
def test_values_through_the_kernel(kernel, value):
    payload = base64.b64encode(pickle.dumps(value)).decode()
    assert kernel.execute(f"import pickle, base64\nv = pickle.loads(base64.b64decode({payload!r}))").ok
    ex = kernel.execute("%%interp fuzz_kernel --in v --out w\nw = v")
    assert ex.ok, ex.summary()
    assert kernel.execute("w == v and type(w) is type(v)").text == "True"

