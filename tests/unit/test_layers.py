"""The package's layers, read from the source: who may import whom.

Every import of every module under ``interp_kernel/`` counts, also those inside
functions (lazy imports load the same code, only later). A module may import its
own unit and lower ranks only. Code that runs inside subinterpreters (the agent
and what it imports) may use the standard library and nothing third-party.
"""

import ast
import pathlib
import sys

import interp_kernel

PACKAGE = pathlib.Path(interp_kernel.__file__).parent

#: unit -> rank, low to high. A unit is a module or subpackage right under
#: interp_kernel ("" is the package's own __init__).
RANKS = {
    "errors": 0, "_version": 0, "_protocol": 0, "_queue": 0, "_pickling": 0, "_chunks": 0, "_core": 0,  # base
    "_marshalling": 0,
    "compat": 1,
    "agent": 2, "runtime": 2,
    "views": 3,
    "jupyter": 4,
    "": 5, "__main__": 5, "interpreters": 5, "dask": 5,  # the public surface
}
BASE = {unit for unit, rank in RANKS.items() if rank == 0}
#: What the agent (code running inside every interpreter) may import of ours.
AGENT_MAY_IMPORT = BASE | {"compat", "agent"}
#: Units that run inside subinterpreters: standard library only.
INSIDE_INTERPRETERS = AGENT_MAY_IMPORT
#: The one exception: _pickling imports cloudpickle (pure Python, a dependency) lazily,
#: for values defined in a ``__main__``.
THIRD_PARTY_INSIDE = {"_pickling": {"cloudpickle"}}


def unit_of(module):
    """``"agent"`` for interp_kernel.agent.cells, ``""`` for interp_kernel itself,
    None for a module that is not ours."""
    parts = module.split(".")
    if parts[0] != "interp_kernel":
        return None
    return parts[1] if len(parts) > 1 else ""


def same_unit(a, b):
    return a == b or (a in BASE and b in BASE)


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(module, source, is_package=False):
    """(line, module) for each import in ``source``; ``from X import name`` counts as
    X.name when that is one of our modules, else as X."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append((node.lineno, candidate if _is_ours(candidate) else base))
    return sorted(set(found))


def _is_ours(module):
    relative = pathlib.Path(*module.split(".")[1:])
    return module.startswith("interp_kernel.") and (
        (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative / "__init__.py").exists()
        or any(PACKAGE.glob(f"{relative}.*.so")))


def violations(module, source, is_package=False):
    """Why ``module`` (with this source) breaks the layering: a list of lines of text."""
    unit = unit_of(module)
    problems = []
    for line, target in imported_modules(module, source, is_package):
        where = f"{module} line {line}: imports {target}"
        target_unit = unit_of(target)
        if target_unit is None:
            top = target.partition(".")[0]
            if (unit in INSIDE_INTERPRETERS and top not in sys.stdlib_module_names
                    and top not in THIRD_PARTY_INSIDE.get(unit, ())):
                problems.append(f"{where}, not in the standard library (this code runs inside interpreters)")
            continue
        if target_unit not in RANKS:
            problems.append(f"{where}: {target_unit!r} has no rank in RANKS")
            continue
        if unit == "agent" and target_unit not in AGENT_MAY_IMPORT:
            problems.append(f"{where}: the agent imports only {', '.join(sorted(AGENT_MAY_IMPORT))}")
        elif not same_unit(unit, target_unit) and RANKS[target_unit] >= RANKS[unit]:
            problems.append(f"{where}: rank {RANKS[target_unit]} ({target_unit or 'interp_kernel'}) is not "
                            f"below rank {RANKS[unit]} ({unit or 'interp_kernel'})")
    return problems


def our_modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_unit_has_a_rank():
    units = {unit_of(module_name(path)) for path in our_modules()}
    assert units - set(RANKS) == set(), "add these to RANKS in tests/unit/test_layers.py"


def test_no_module_imports_a_higher_layer():
    problems = []
    for path in our_modules():
        problems += violations(module_name(path), path.read_text(), path.name == "__init__.py")
    assert problems == [], "\n".join(problems)


def test_the_check_sees_lazy_third_party_and_upward_imports():
    source = (
        "import marshal\n"
        "from interp_kernel import _core\n"
        "from interp_kernel.agent import cells\n"
        "def f():\n"
        "    import IPython\n"
        "    from interp_kernel.runtime import session\n"
        "    from ..jupyter import magics\n"
    )
    found = violations("interp_kernel.agent.example", source)
    assert [p.split(":")[0] for p in found] == [
        "interp_kernel.agent.example line 5", "interp_kernel.agent.example line 6",
        "interp_kernel.agent.example line 7",
    ], found
    assert violations("interp_kernel.runtime.example", "from interp_kernel.views import units\n")
    assert violations("interp_kernel.runtime.example", "from interp_kernel import interpreters\n")
    assert not violations("interp_kernel.jupyter.example", "import IPython\nfrom ..runtime.session import CONFIGS\n")
