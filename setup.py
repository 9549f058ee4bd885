"""Build description of the C core; everything else lives in pyproject.toml."""
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "interp_kernel._core",
            sources=[
                "core/_core.c",
                "core/args.c",
                "core/registry.c",
                "core/anchor.c",
                "core/interrupt.c",
                "core/wait.c",
                "core/channel.c",
                "core/scalars.c",
            ],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
        )
    ]
)
