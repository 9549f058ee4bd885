"""Install the ``interp`` kernelspec: ``python -m interp_kernel install [options]``.

The spec directory is ``share/jupyter/kernels/interp/`` of the source tree (or of the
prefix a wheel installed it into); its ``kernel.json`` is the one definition of the
kernel. The installed copy differs only in naming this Python (``sys.executable``) in
its argv, so the kernel starts in the environment it was installed from.
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
LOGOS = ("logo-32x32.png", "logo-64x64.png")


def spec_source_dir():
    """The spec directory shipped with the project (source tree or installed data files)."""
    candidates = [
        Path(__file__).resolve().parent.parent.parent / "share" / "jupyter" / "kernels" / KERNEL_NAME,
        Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME,
    ]
    for candidate in candidates:
        if (candidate / "kernel.json").is_file():
            return candidate
    raise FileNotFoundError(f"no share/jupyter/kernels/{KERNEL_NAME}/kernel.json next to interp_kernel "
                            f"or in {sys.prefix}")


def kernel_json(display_name=None, executable=None):
    """The shipped kernel.json (the one definition of the kernel) with an absolute
    Python in its argv, ``display_name`` if given, and the debugger flag set by
    whether debugpy is importable (as ipykernel's own spec). Raises
    FileNotFoundError when the spec directory is missing."""
    with open(spec_source_dir() / "kernel.json") as f:
        spec = json.load(f)
    spec["argv"][0] = executable or sys.executable
    if display_name:
        spec["display_name"] = display_name
    spec.setdefault("metadata", {})["debugger"] = importlib.util.find_spec("debugpy") is not None
    return spec


def write_spec(directory, display_name=None, executable=None):
    """Write kernel.json and copy the logos into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    source = spec_source_dir()
    for logo in LOGOS:
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
                        help="name shown in frontends (default: the shipped kernel.json's)")
    args = parser.parse_args(argv)
    try:
        path = install(user=args.user, sys_prefix=args.sys_prefix, prefix=args.prefix,
                       name=args.name, display_name=args.display_name)
    except OSError as exc:  # FileNotFoundError included
        parser.exit(1, f"error: could not install the kernelspec: {exc}\n"
                       f"(try --user or --sys-prefix)\n")
    print(f"Installed kernelspec {args.name} in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
