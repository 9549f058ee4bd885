"""Warm spares in the real interp kernel (jupyter_client): the first `%%interp NEW` cell
gets an interpreter started ahead of time, spares never show as the user's
interpreters, ``%config InterpSettings.spares`` turns them off and up, and a normal
cell that forks still gets a healthy child while only spares exist.
"""

import pytest

from conftest import cell, start_kernel
from interp_kernel.jupyter.settings import SPARES_OFF_BY_DEFAULT

pytestmark = pytest.mark.timeout(120)

SPARE_IDS = cell("""
    import _interpreters
    from interp_kernel.jupyter.extension import manager_for
    assert manager_for(get_ipython()).wait_for_spares(20)
    sorted(i[0] for i in _interpreters.list_all() if i[0] != 0)
""")


@pytest.fixture
def fresh():
    """A new kernel keeping one spare (on 3.13.0 spares are off by default: turned on here)."""
    handle = start_kernel()
    if SPARES_OFF_BY_DEFAULT:
        assert ids(handle) == [], "3.13.0 keeps no spare unless asked"
        assert handle.execute("%config InterpSettings.spares = 1").ok
    yield handle
    handle.shutdown()


def ids(kernel):
    ex = kernel.execute(SPARE_IDS)
    assert ex.ok, ex.error_text()
    return eval(ex.text)


def test_first_interp_cell_after_start_takes_the_spare(fresh):
    (spare,) = ids(fresh)
    listing = fresh.execute("%interp list")
    assert listing.ok and "spare" not in listing.stdout + listing.text
    ex = fresh.execute("%%interp w\nprint('hi')\n6 * 7")
    assert ex.ok and ex.stdout == "hi\n" and ex.text == "42"
    ex = fresh.execute("from interp_kernel.jupyter.extension import manager_for\nmanager_for(get_ipython()).get('w').id")
    assert ex.text == str(spare)
    after = ids(fresh)
    assert spare in after and len(after) == 2, "no replacement spare"
    listing = fresh.execute("%interp list")
    assert "w" in listing.stdout + listing.text and listing.text.count("isolated") <= 1


def test_config_turns_spares_off_and_up(fresh):
    assert len(ids(fresh)) == 1
    assert fresh.execute("%config InterpSettings.spares = 0").ok
    assert ids(fresh) == []
    ex = fresh.execute("%%interp --config legacy old\nimport sys\nsys.version_info >= (3, 13)")
    assert ex.ok and ex.text == "True"
    assert fresh.execute("%config InterpSettings.spares = 3").ok
    assert len(ids(fresh)) == 4  # the legacy interpreter and three spares
    fresh.execute("%config InterpSettings.spares = -1")  # IPython logs the TraitError
    assert "Current: 3" in fresh.execute("%config InterpSettings").stdout
    assert len(ids(fresh)) == 4, "a bad setting changed the spares"


def test_a_fork_with_only_spares_gives_a_healthy_child(fresh):
    assert len(ids(fresh)) == 1
    ex = fresh.execute(cell("""
        import os, warnings
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    """))
    assert ex.ok and ex.text == "7", ex.summary()
    assert "will crash" not in ex.stderr
    assert len(ids(fresh)) == 1, "the spare was not built again after the fork"
    assert fresh.execute("!echo shell escapes still work").stdout.strip() == "shell escapes still work"


def test_the_kernel_command_line_turns_spares_off():
    handle = start_kernel(extra_arguments=["--InterpSettings.spares=0"])
    try:
        assert ids(handle) == []
        ex = handle.execute("%%interp w\n6 * 7")
        assert ex.ok and ex.text == "42"
        assert len(ids(handle)) == 1, "a spare was built although the command line turned them off"
    finally:
        handle.shutdown()
