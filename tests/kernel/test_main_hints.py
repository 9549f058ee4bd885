"""A main cell's ImportError caused by an interpreter gets the interpreters' hint (issue 17).

Under ``legacy`` only the first interpreter that imports numpy can use it: once an
interpreter did, ``import numpy`` in main fails, and main's traceback says why.
A kernel of its own: numpy must not be loaded in main before the test.
"""

import pytest

from conftest import start_kernel, strip_ansi

pytestmark = pytest.mark.timeout(120)


def test_numpy_first_in_a_legacy_interpreter_explains_mains_import_error():
    pytest.importorskip("numpy")
    kernel = start_kernel()
    try:
        first = kernel.execute("%%interp np_first --config legacy\nimport numpy\nprint('loaded')", check=True)
        assert "loaded" in first.stdout
        ex = kernel.execute("import numpy")
        tb = strip_ansi("\n".join(ex.error["traceback"]))
        assert ex.error["ename"] == "ImportError"
        assert "hint:" in tb and "only one interpreter per process" in tb, tb
        missing = kernel.execute("import no_such_module_here")
        assert missing.error["ename"] == "ModuleNotFoundError"
        assert "hint:" not in strip_ansi("\n".join(missing.error["traceback"]))
        assert kernel.execute("1 + 1").text == "2"
    finally:
        kernel.shutdown()
