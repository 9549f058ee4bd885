"""``python -m interp_kernel``: start the kernel, or ``install`` its kernelspec.

* ``python -m interp_kernel install [--user | --sys-prefix | --prefix P] [--name N] [--display-name D]``
* ``python -m interp_kernel -f CONNECTION_FILE`` (what kernel.json runs): start the kernel.
"""

import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "install":
        from interp_kernel.jupyter.install import main as install_main

        return install_main(argv[1:])
    from ipykernel.kernelapp import IPKernelApp

    from interp_kernel.jupyter.kernel import InterpKernel

    IPKernelApp.launch_instance(argv=argv, kernel_class=InterpKernel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
