"""The kernel's shell (InterpShell): an %%interp cell becomes the Python line IPython
would make of it, without IPython's tokenizing, and only while IPython's transformers
are the shell's own."""

import json

import pytest

from conftest import cell

pytestmark = pytest.mark.timeout(120)

SOURCES = [
    "%%interp w\npass",
    "%%interp w\n",
    "%%interp w",
    "%%interp a b --in x y --out z\nz = x + y\nz\n",
    "%%interp   w  --bg job \r\nprint('a\\tb')\r\n'''q'''",
    "%%interp w\n%time 1\n!ls\nx?\n",
    "%%interp\tw\npass",
    "%%interp w\u2028x\n1",
    "%%interp w\n\n\n   \n",
    "%%interp w\nprint('%%interp in the body')\n",
    "%%interp w\n>>> x = 1\n... \n>>> x\n",
    "%%interp? w\n1",
    "%%interpolate w\n1",
    "x = 1\n%%interp w\n1",
]


def test_an_interp_cell_becomes_what_ipython_makes_of_it_and_needs_no_event_loop(kernel):
    result = kernel.execute(cell(f"""
        import json
        from ipykernel.zmqshell import ZMQInteractiveShell
        ip = get_ipython()
        rows = []
        for source in {SOURCES!r}:
            ours = ip.transform_cell(source)
            theirs = ZMQInteractiveShell.transform_cell(ip, source)
            rows.append([ours == theirs, ours, theirs,
                         ip.should_run_async(source, transformed_cell=ours, preprocessing_exc_tuple=None)])
        print(json.dumps([type(ip).__name__, rows]))
    """), check=True)
    shell_class, rows = json.loads(result.stdout)
    assert shell_class == "InterpShell"
    for source, (same, ours, theirs, run_async) in zip(SOURCES, rows):
        assert same, (source, ours, theirs)
        assert run_async is False, source
    assert len(rows) == len(SOURCES)
    assert kernel.execute("%%interp w\nx = 7\nx * 6", check=True).text == "42"


def test_a_transformer_of_the_user_sees_interp_cells_too(kernel):
    result = kernel.execute(cell("""
        ip = get_ipython()
        seen = []
        def note(lines):
            seen.append("".join(lines))
            return lines
        ip.input_transformers_post.append(note)
        try:
            ip.transform_cell("%%interp w\\n1")
        finally:
            ip.input_transformers_post.remove(note)
        print(repr(seen))
    """), check=True)
    assert "run_cell_magic('interp', 'w', '1\\\\n')" in result.stdout
