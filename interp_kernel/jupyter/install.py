"""Install the ``interp`` kernelspec: ``python -m interp_kernel install [options]``.

The spec directory is ``share/jupyter/kernels/interp/`` of the source tree (or of the
prefix a wheel installed it into); the installed ``kernel.json`` names this Python
(``sys.executable``) so the kernel starts in the environment it was installed from.
"""

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

KERNEL_NAME = "interp"
LOGOS = ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg")


def default_display_name():
    return f"Python {sys.version_info.major}.{sys.version_info.minor} (subinterpreters)"


def spec_source_dir():
    """The spec directory shipped with the project (source tree or installed data files)."""
    candidates = [
        Path(__file__).resolve().parent.parent.parent / "share" / "jupyter" / "kernels" / KERNEL_NAME,
        Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME,
    ]
    for candidate in candidates:
        if (candidate / "kernel.json").is_file():
            return candidate
    return None


def kernel_json(display_name=None, executable=None):
    """The kernel.json content: argv with an absolute Python, signal interrupts."""
    debugger = importlib.util.find_spec("debugpy") is not None  # as ipykernel's own spec
    return {
        "argv": [executable or sys.executable, "-m", "interp_kernel", "-f", "{connection_file}"],
        "display_name": display_name or default_display_name(),
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {"debugger": bool(debugger)},
    }


def write_spec(directory, display_name=None, executable=None):
    """Write kernel.json and copy the logos into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    source = spec_source_dir()
    if source is not None:
        for logo in LOGOS:
            if (source / logo).is_file():
                shutil.copy(source / logo, directory / logo)
    with open(directory / "kernel.json", "w") as f:
        json.dump(kernel_json(display_name, executable), f, indent=2)
        f.write("\n")
    return directory


def install(*, user=False, sys_prefix=False, prefix=None, name=KERNEL_NAME, display_name=None):
    """Install the kernelspec through jupyter_client; returns the installed directory."""
    from jupyter_client.kernelspec import KernelSpecManager

    if sys_prefix:
        prefix = sys.prefix
    with tempfile.TemporaryDirectory() as tmp:
        spec_dir = write_spec(os.path.join(tmp, name), display_name)
        return KernelSpecManager().install_kernel_spec(
            str(spec_dir), kernel_name=name, user=user, prefix=prefix
        )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m interp_kernel install",
        description="Install the interp kernelspec (an IPython kernel with the %%interp magics).",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user")
    where.add_argument("--sys-prefix", action="store_true",
                       help=f"install into this Python's prefix ({sys.prefix}); the right choice in a venv")
    where.add_argument("--prefix", metavar="P", help="install into the prefix P (P/share/jupyter/kernels)")
    parser.add_argument("--name", default=KERNEL_NAME, help=f"kernelspec name (default: {KERNEL_NAME})")
    parser.add_argument("--display-name", metavar="D", default=None,
                        help=f"name shown in frontends (default: {default_display_name()!r})")
    args = parser.parse_args(argv)
    try:
        path = install(user=args.user, sys_prefix=args.sys_prefix, prefix=args.prefix,
                       name=args.name, display_name=args.display_name)
    except OSError as exc:
        parser.exit(1, f"error: could not install the kernelspec: {exc}\n"
                       f"(try --user or --sys-prefix)\n")
    print(f"Installed kernelspec {args.name} in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
