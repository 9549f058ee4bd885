"""Plain builtin data crosses push and pull as marshal; everything else keeps pickle's types."""

import collections
import decimal
import fractions

import pytest

from interp_kernel.runtime.encoding import SHARE_NATIVELY_FROM

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def worker(manager):
    return manager.session("plain")


def _nested():
    shared = [1.5, -2, None]
    value = {
        "ints": list(range(-3, 3)), "flags": (True, False, 1, 0), "tags": {"a", "b"},
        "frozen": frozenset({b"x", 7}), "z": 1 + 2j, "big": 10**40, "text": "naïve ✓",
        "twice": [shared, shared], 5: {"deep": [[[("end",)]]]},
    }
    value["self"] = value
    return value


def test_plain_data_round_trips_without_pickle_in_the_interpreter(worker):
    worker.push(data=_nested(), small=[1, "two"])
    assert worker.run("import sys; 'pickle' in sys.modules").value_repr == "False"
    assert worker.run(
        "data['self'] is data, data['twice'][0] is data['twice'][1], type(data['flags'][0]).__name__, small"
    ).value_repr == "(True, True, 'bool', [1, 'two'])"
    worker.run("data['ints'].append(99)")
    back = worker.pull("data")
    assert worker.run("'pickle' in sys.modules").value_repr == "False"
    assert back["self"] is back and back["twice"][0] is back["twice"][1]
    assert back["ints"][-1] == 99 and back["flags"] == (True, False, 1, 0)
    assert [type(v) for v in back["flags"]] == [bool, bool, int, int]
    assert back[5] == {"deep": [[[("end",)]]]} and back["frozen"] == frozenset({b"x", 7})


def test_large_plain_data_crosses_beside_the_command(worker):
    large = list(range(2 * SHARE_NATIVELY_FROM))
    worker.push(large=large)
    assert worker.run("len(large), large[-1]").value_repr == f"({len(large)}, {len(large) - 1})"
    assert worker.pull("large") == large


def test_subclasses_and_other_objects_inside_containers_keep_their_types(worker):
    worker.push(od=collections.OrderedDict(a=1), mixed=[1, decimal.Decimal("1.5"), {"f": fractions.Fraction(1, 3)}],
                buf=bytearray(b"ab"))
    assert worker.run("type(od).__name__, type(mixed[1]).__name__, type(mixed[2]['f']).__name__,"
                      " type(buf).__name__").value_repr == "('OrderedDict', 'Decimal', 'Fraction', 'bytearray')"
    worker.run("import collections; dq = [collections.deque([1])]; counts = collections.Counter('aab')")
    assert worker.pull("dq", "counts") == {"dq": [collections.deque([1])], "counts": collections.Counter("aab")}
    assert type(worker.pull("counts")) is collections.Counter
    assert type(worker.pull("od")) is collections.OrderedDict
