"""Python 3.14's ``concurrent.interpreters`` API on 3.13 and later: the public name.

The implementation lives in :mod:`interp_kernel.compat`; this module only gives it
the name users and notebooks import (``from interp_kernel import interpreters``).
"""

from interp_kernel.compat import *  # noqa: F401,F403
from interp_kernel.compat import __all__  # noqa: F401
