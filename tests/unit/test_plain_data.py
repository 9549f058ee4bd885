"""Plain builtin data crosses push and pull as marshal; everything else keeps pickle's types."""

import collections
import decimal
import fractions

import pytest

from interp_kernel.runtime.encoding import SHARE_NATIVELY_FROM

pytestmark = pytest.mark.timeout(60)


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


def test_slices_cover_a_sequence_of_scalars_and_refuse_anything_else():
    from interp_kernel._marshalling import SLICE_ITEMS, slices

    seq = tuple(range(2 * SLICE_ITEMS + 3))
    cut = list(slices(seq))
    assert [len(items) for items in cut] == [SLICE_ITEMS, SLICE_ITEMS, 3]
    assert all(type(items) is tuple for items in cut) and sum(cut, ()) == seq
    assert list(slices([0] * SLICE_ITEMS + [[1]] + [0] * 5))[-1] is None
    assert list(slices([1, 2.5, 1j, "s", b"b", None, True, collections.UserString("x")])) == [None]
    unique = [True, 1, 2.5, 1j, "", "s", b"b", None, "-".join(["made", "here"]), bytes(range(5))]
    assert list(slices(unique)) == [unique]
    shared = "held twice " * 10
    assert list(slices([shared, shared])) == [None]  # would arrive as two copies: marshalled whole
    assert list(slices([shared])) == [None]  # also held by the name `shared`


def test_a_long_list_repeating_one_str_arrives_sharing_it(worker):
    from interp_kernel._marshalling import SLICE_ITEMS

    worker.run(f"line = 'x' * 1000\nlines = [line] * (3 * {SLICE_ITEMS})\nlines_t = tuple(lines)")
    lines, lines_t = worker.pull("lines", "lines_t").values()
    assert lines == ["x" * 1000] * (3 * SLICE_ITEMS) and len({id(s) for s in lines}) == 1
    assert len({id(s) for s in lines_t}) == 1
    line = "y" * 1000
    worker.push(lines=[line] * (3 * SLICE_ITEMS))
    assert worker.run("len({id(s) for s in lines}), len(lines)").value_repr == f"(1, {3 * SLICE_ITEMS})"


def test_long_lists_and_tuples_of_scalars_cross_in_slices_unchanged(worker):
    from interp_kernel._marshalling import SLICE_ITEMS

    worker.run(f"n = {SLICE_ITEMS}\n"
               "mixed = [i if i % 5 else (str(i), float(i), i % 2 == 0, None, b'b', 1j)[i % 6] for i in range(3 * n + 7)]\n"
               "exact = list(range(n + 1))\n"
               "frozen = tuple(mixed)\n"
               "small = [1, 2]")
    got = worker.pull("mixed", "exact", "frozen", "small", "exact")
    n = SLICE_ITEMS
    mixed = [i if i % 5 else (str(i), float(i), i % 2 == 0, None, b"b", 1j)[i % 6] for i in range(3 * n + 7)]
    assert got["mixed"] == mixed and type(got["mixed"]) is list
    assert [type(v) for v in got["mixed"]] == [type(v) for v in mixed]  # True stays a bool, 1.0 a float
    assert got["exact"] == list(range(n + 1)) and got["frozen"] == tuple(mixed) and type(got["frozen"]) is tuple
    assert got["small"] == [1, 2]
    assert worker.pull("exact") == list(range(n + 1))


def test_a_long_list_holding_containers_after_its_first_slice_keeps_its_references(worker):
    from interp_kernel._marshalling import SLICE_ITEMS

    worker.run(f"inner = [1]\nlate = list(range({SLICE_ITEMS} + 10)) + [inner, inner]\nlate.append(late)\n"
               f"class Point: pass\nobjects = list(range({SLICE_ITEMS} + 10)) + [Point()]")
    late = worker.pull("late")
    assert late[-1] is late and late[-2] is late[-3] and late[:SLICE_ITEMS + 10] == list(range(SLICE_ITEMS + 10))
    objects = worker.pull("objects")
    assert len(objects) == SLICE_ITEMS + 11 and type(objects[-1]).__name__ == "Point"


def test_long_lists_and_tuples_of_scalars_pushed_in_slices_arrive_whole(worker):
    from interp_kernel._marshalling import SLICE_ITEMS

    mixed = [i if i % 5 else (str(i), float(i), i % 2 == 0, None, b"b", 1j)[i % 6] for i in range(2 * SLICE_ITEMS + 9)]
    inner = [0]
    shared = list(range(SLICE_ITEMS + 1)) + [inner, inner]
    busy = worker.submit("import time; time.sleep(0.3)")  # the push waits in the queue, its slices in their channel
    worker.push(mixed=mixed, frozen=tuple(mixed), shared=shared)
    assert busy.finished()
    assert worker.run("type(mixed).__name__, type(frozen).__name__, len(mixed), shared[-1] is shared[-2]"
                      ).value_repr == f"('list', 'tuple', {len(mixed)}, True)"
    worker.push(expected=mixed)
    assert worker.run("mixed == expected and list(frozen) == expected"
                      " and [type(v) for v in mixed] == [type(v) for v in expected]").value_repr == "True"
    assert worker.pull("mixed") == mixed


def test_a_named_queue_carries_plain_data_as_marshal_and_the_rest_pickled(manager):
    there, back = manager.queue("there"), manager.queue("back")
    echo = manager.session("echo")
    job = echo.submit("import sys\nwhile (item := there.get(timeout=10)) != 'stop':\n    back.put(item)\n"
                      "'pickle' in sys.modules")
    shared = [1]
    for item in [7, True, ("t", b"b", 1.5, None), {"twice": [shared, shared]}]:
        there.put(item)
        echoed = back.get(timeout=5)
        assert echoed == item and type(echoed) is type(item)
    assert echoed["twice"][0] is echoed["twice"][1]
    there.put("stop")
    assert job.wait(10).value_repr == "False"  # plain data never loaded pickle in there
    there.put(collections.OrderedDict(a=1))
    assert type(there.get(timeout=5)) is collections.OrderedDict


def test_a_push_refused_after_a_long_list_binds_nothing_and_leaks_no_channel(worker):
    import threading

    from interp_kernel import _core
    from interp_kernel._marshalling import SLICE_ITEMS
    from interp_kernel.errors import NotTransferableError

    worker.run("pass")  # makes the reply channel the session keeps for the jobs it waits for
    before = set(_core.channel_list())
    with pytest.raises(NotTransferableError, match="'lock'.*lock"):
        worker.push(big=list(range(SLICE_ITEMS + 1)), lock=threading.Lock())
    assert set(_core.channel_list()) == before
    assert worker.run("'big' in globals()").value_repr == "False"
    worker.push(big=list(range(SLICE_ITEMS + 1)))
    assert worker.run("len(big)").value_repr == str(SLICE_ITEMS + 1)
    assert set(_core.channel_list()) == before


def test_a_slice_that_cannot_be_joined_fails_the_pull_instead_of_shortening_the_list(worker, monkeypatch):
    from interp_kernel._marshalling import SLICE_ITEMS
    from interp_kernel.errors import NotTransferableError
    from interp_kernel.runtime import encoding

    class OutOfMemoryOnTheSecondSlice(encoding.PulledSlices):
        def add(self, name, items):
            if name in self._lists:
                items = _Unjoinable()
            super().add(name, items)

    class _Unjoinable:
        def __iter__(self):
            raise MemoryError("no room")

    monkeypatch.setattr(encoding, "PulledSlices", OutOfMemoryOnTheSecondSlice)
    monkeypatch.setattr("interp_kernel.runtime.transfers.PulledSlices", OutOfMemoryOnTheSecondSlice)
    worker.run(f"big = list(range(3 * {SLICE_ITEMS}))")
    with pytest.raises(NotTransferableError, match="'big'.*joining its slices failed.*no room"):
        worker.pull("big")
    monkeypatch.undo()
    assert worker.pull("big") == list(range(3 * SLICE_ITEMS))
