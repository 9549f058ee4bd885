"""The version of interp_kernel, in one place (pyproject.toml reads it; so do the kernel's
kernel_info and ``interp_kernel.__version__``)."""

__version__ = "0.1.0"
