"""Run CPython 3.14's own interpreter tests against interp_kernel.interpreters.

Usage: python tools/conformance.py [--tests DIR] [--stdlib | --ours] [-k PATTERN] [--log FILE]

The tests are CPython's ``Lib/test/test_interpreters/`` (test_api, test_queues,
test_lifecycle, test_stress) with ``test/_crossinterp_definitions.py`` and the two ``test/`` modules they import, from Debian's ``libpython3.14-testsuite``
(downloaded once into ``~/.cache/interp-conformance``; ``--tests DIR`` names a folder
that already holds them).  They are not kept in this repository: they are CPython's code.  On 3.13 (or
with ``--ours``) their imports of ``concurrent.interpreters`` are rewritten to
``interp_kernel.interpreters`` / ``interp_kernel.compat``; on 3.14+ they run against
the stdlib as the baseline (there the LowLevelTests of the private C modules are
left out: those modules are the running Python's own).  ``test.support`` is the
running Python's own, with two 3.14 helpers added on 3.13.

Prints the counts and every failing test.  Exit status 0 when every failure is one
of the differences listed in docs/interpreters.md for this mode (a line with the
test's id in backticks under a heading naming the mode), 1 otherwise.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = ["test_api", "test_queues", "test_lifecycle", "test_stress"]
DOCS = os.path.join(ROOT, "docs", "interpreters.md")
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "interp-conformance")
PACKAGE = "libpython3.14-testsuite"

# (pattern, replacement) for --ours; the definitions module moves out of the test package.
OURS = [
    (r"from concurrent\.interpreters import _queues", "from interp_kernel.compat import _queues"),
    (r"from concurrent\.interpreters import", "from interp_kernel.interpreters import"),
    (r"from concurrent import interpreters", "from interp_kernel import interpreters"),
]
HELPERS = ["_crossinterp_definitions.py", "_code_definitions.py"]  # test/ modules the tests import
ALWAYS = [(rf"\btest\.{h[:-3]}\b", h[:-3]) for h in HELPERS]

# Added to the package's __init__: helpers 3.14's tests use that 3.13 lacks.
SUPPORT_SHIM = """

def _shim_test_support():
    import contextlib
    from test import support
    try:
        import _testinternalcapi
    except ImportError:
        _testinternalcapi = None
    if _testinternalcapi is not None and not hasattr(_testinternalcapi, 'get_code_var_counts'):
        def get_code_var_counts(obj):  # 3.14: counts of a code's variables; equal codes, equal counts
            code = getattr(obj, '__code__', obj)
            return (code.co_argcount, code.co_kwonlyargcount, len(code.co_varnames),
                    len(code.co_cellvars), len(code.co_freevars), len(code.co_names))
        _testinternalcapi.get_code_var_counts = get_code_var_counts
    if not hasattr(support, 'nomemtest'):
        support.nomemtest = lambda test: test  # 3.14: marks tests that fill memory
    if not hasattr(support, 'inject_memory_error_cm'):
        @contextlib.contextmanager
        def inject_memory_error_cm(*args, **kwargs):
            raise unittest.SkipTest("needs 3.14's test.support.inject_memory_error_cm")
            yield
        support.inject_memory_error_cm = inject_memory_error_cm


_shim_test_support()
"""


def fetch_tests():
    """The folder holding test_interpreters/ and _crossinterp_definitions.py (downloads once)."""
    dest = os.path.join(CACHE, "3.14")
    if all(os.path.exists(os.path.join(dest, f)) for f in HELPERS + ["test_interpreters"]):
        return dest
    work = tempfile.mkdtemp(prefix="interp-conformance-")
    try:
        # The private apt state of ../shared/python/setup.sh 3.14 knows Debian sid's packages.
        state = os.path.join(os.path.dirname(CACHE), "interp-py314", "apt")
        options = []
        if os.path.exists(os.path.join(state, "sid.list")):
            options = ["-o", f"Dir::Etc::SourceList={state}/sid.list", "-o", "Dir::Etc::SourceParts=/dev/null",
                       "-o", f"Dir::State::Lists={state}/lists", "-o", f"Dir::Cache={state}/cache",
                       "-o", "Dir::Etc::Preferences=/dev/null", "-o", "Dir::Etc::PreferencesParts=/dev/null"]
        subprocess.run(["apt-get", *options, "download", "-qq", PACKAGE], cwd=work, check=True)
        deb = next(f for f in os.listdir(work) if f.endswith(".deb"))
        subprocess.run(["dpkg-deb", "-x", deb, "x"], cwd=work, check=True)
        source = os.path.join(work, "x", "usr", "lib", "python3.14", "test")
        os.makedirs(dest + ".part", exist_ok=True)
        shutil.copytree(os.path.join(source, "test_interpreters"), os.path.join(dest + ".part", "test_interpreters"))
        for helper in HELPERS:
            shutil.copy(os.path.join(source, helper), dest + ".part")
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(dest + ".part", dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def prepare(source, ours):
    """A temporary copy of the tests with the imports rewritten; returns its path."""
    work = tempfile.mkdtemp(prefix="interp-conformance-run-")
    rules = ALWAYS + (OURS if ours else [])
    for rel in HELPERS + [
            os.path.join("test_interpreters", f) for f in os.listdir(os.path.join(source, "test_interpreters"))]:
        if not rel.endswith(".py"):
            continue
        with open(os.path.join(source, rel), encoding="utf-8") as f:
            text = f.read()
        for pattern, replacement in rules:
            text = re.sub(pattern, replacement, text)
        if rel == os.path.join("test_interpreters", "__init__.py"):
            text += SUPPORT_SHIM
        os.makedirs(os.path.dirname(os.path.join(work, rel)), exist_ok=True)
        with open(os.path.join(work, rel), "w", encoding="utf-8") as f:
            f.write(text)
    return work


def known_differences(mode):
    """Test ids listed in docs/interpreters.md under a heading that names ``mode``."""
    known, active = set(), False
    with open(DOCS, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                active = f"[{mode}]" in line
            elif active:
                known.update(re.findall(r"`(test_\w+\.\w+\.test_\w+)`", line))
    return known


def test_names(work, ours):
    """What unittest runs: the modules, or for ours every class but LowLevelTests (those
    test the private C modules _interpreters/_interpqueues, which this layer does not
    replace: on 3.13 they are 3.13's own)."""
    if not ours:
        return [f"test_interpreters.{m}" for m in MODULES]
    names = []
    for module in MODULES:
        with open(os.path.join(work, "test_interpreters", module + ".py"), encoding="utf-8") as f:
            classes = re.findall(r"^class (\w+)\(", f.read(), re.M)
        names += [f"test_interpreters.{module}.{c}" for c in classes
                  if c not in ("TestBase", "LowLevelTests") and "Test" in c]
    return names


def run(work, names, pattern):
    env = dict(os.environ, PYTHONPATH=work + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "unittest", "-v"] + (["-k", pattern] if pattern else []) + names
    done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=1500)
    return done.returncode, done.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", help="a folder holding test_interpreters/ and _crossinterp_definitions.py")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--ours", action="store_true", help="test interp_kernel.interpreters (default on 3.13)")
    which.add_argument("--stdlib", action="store_true", help="test concurrent.interpreters (default on 3.14+)")
    parser.add_argument("-k", dest="pattern", help="only tests matching this (unittest -k)")
    parser.add_argument("--log", help="write unittest's whole output here")
    args = parser.parse_args()
    ours = args.ours or (not args.stdlib and sys.version_info < (3, 14))
    mode = "ours" if ours else "stdlib"
    work = prepare(args.tests or fetch_tests(), ours)
    try:
        returncode, log = run(work, test_names(work, ours), args.pattern)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.log:
        with open(args.log, "w", encoding="utf-8") as f:
            f.write(log)
    ran = re.search(r"^Ran (\d+) tests?", log, re.M)
    if ran is None:
        print(log[-3000:])
        return 1
    failed = sorted({f"{where}.{name}" for name, where in re.findall(
        r"^(?:FAIL|ERROR|UNEXPECTED SUCCESS): (test_\w+) \(test_interpreters\.([\w.]+?)\.test_\w+\)", log, re.M)})
    skipped = re.search(r"skipped=(\d+)", log.rsplit("Ran ", 1)[-1])
    skipped = int(skipped.group(1)) if skipped else 0
    total = int(ran.group(1))
    if returncode and not failed:  # e.g. a module that does not import
        print(log[-3000:])
        return 1
    known = known_differences(mode)
    unexpected = [t for t in failed if t not in known]
    version = sys.version.split()[0]
    print(f"conformance {version} [{mode}]: {total} tests, {total - len(failed) - skipped} passed, "
          f"{len(failed)} failed ({len(failed) - len(unexpected)} documented), {skipped} skipped")
    for test_id in failed:
        print(f"  {'documented' if test_id in known else 'FAILED    '} {test_id}")
    for test_id in sorted(known - set(failed)):
        if test_id.split(".")[0] in MODULES and not args.pattern:
            print(f"  listed in docs/interpreters.md [{mode}] but passes on this Python: {test_id}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
