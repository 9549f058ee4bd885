"""The argument parser of the ``%interp`` line magic (one sub-command per word) and its
help text. Parsing never blocks; a bad argument string raises UsageError (IPython's).
"""

from IPython.core.magic_arguments import MagicArgumentParser

from interp_kernel.runtime.session import CONFIGS


class _Parser(MagicArgumentParser):
    """MagicArgumentParser that also accepts what newer argparse passes to subparsers
    (``color``, ``suggest_on_error`` on 3.14), with colour off (help goes to a pager)."""

    def __init__(self, *args, **kwargs):
        suggest = kwargs.pop("suggest_on_error", None)
        kwargs.pop("color", None)
        super().__init__(*args, **kwargs)
        if hasattr(self, "color"):
            self.color = False
        if suggest is not None:
            self.suggest_on_error = suggest


def _line_parser():
    parser = _Parser(
        prog="interp",  # the help formatter adds the % escape
        description="Manage the named subinterpreters that %%interp cells run in.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("list", help="a table of the interpreters: name, id, config, state, cells run, last duration",
                       description="Show every interpreter: name, id, config, state (idle/running/background), "
                                   "cells run and the duration of the last cell.")
    p = sub.add_parser("create", help="create interpreters", description="Create interpreters (no-op if they exist with this config).")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("--config", choices=CONFIGS, default=None,
                   help="isolated (own GIL, runs in parallel; the default) or legacy (shared GIL)")
    p = sub.add_parser("close", help="close interpreters (destroy them)",
                       description="Close interpreters: interrupt what they run, then destroy them.")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.add_argument("--all", action="store_true", help="close every interpreter")
    p = sub.add_parser("reset", help="replace interpreters by fresh ones (same name and config)",
                       description="Close interpreters and create fresh ones with the same name and config.")
    p.add_argument("names", nargs="+", metavar="NAME")
    p = sub.add_parser("push", help="copy main variables into an interpreter",
                       description="Copy variables of the main namespace into an interpreter's __main__ "
                                   "(shareable objects directly, pickle otherwise).")
    p.add_argument("name", metavar="NAME")
    p.add_argument("variables", nargs="+", metavar="VAR")
    p = sub.add_parser("pull", help="copy an interpreter's variables into main",
                       description="Copy variables of an interpreter's __main__ into the main namespace.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("variables", nargs="+", metavar="VAR")
    p = sub.add_parser("interrupt", help="interrupt what an interpreter or a --bg job runs",
                       description="Raise KeyboardInterrupt in the cell an interpreter runs; NAME is an "
                                   "interpreter or the handle of a --bg job.")
    p.add_argument("names", nargs="+", metavar="NAME")
    p = sub.add_parser("wait", help="wait for a --bg job and show its result or error",
                       description="Wait for a --bg job (by its handle, or the interpreter it runs in) and "
                                   "show its result or error.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--timeout", type=float, default=None, metavar="S", help="give up after S seconds")
    p = sub.add_parser("queue", help="create a named cross-interpreter queue",
                       description="Create (or get) a queue bound as QNAME in main and in every interpreter, "
                                   "existing and created later. q.put(obj), q.get(timeout=S), q.qsize(); "
                                   "any picklable object.")
    p.add_argument("qname", metavar="QNAME")
    p.add_argument("--maxsize", type=int, default=0, metavar="N", help="block put() when N items wait (0: unbounded)")
    sub.add_parser("dashboard", help="a live widget: the interpreters, their state, Interrupt/Reset/Close buttons",
                   description="Show a live dashboard (ipywidgets) of the interpreters: name, id, config, "
                               "state, cells run, time, and Interrupt / Reset / Close buttons.")
    p = sub.add_parser("timeline", help="an SVG timeline of which interpreter ran when",
                       description="Draw the runs of the interpreters (and of main's cells) on a time axis: "
                                   "one lane per interpreter, a bar per run, solid where it was on a CPU.")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--last", type=int, default=None, metavar="N", help="only the last N runs")
    which.add_argument("--since-reset", action="store_true",
                       help="only the runs since the last reset or close of an interpreter")
    p.add_argument("--width", type=int, default=800, metavar="PX", help="width of the picture (default 800)")
    sub.add_parser("help", help="show this help", description="Show the help of %interp and %%interp.")
    return parser, sub


LINE_PARSER, _SUBPARSERS = _line_parser()
#: The sub-command words of ``%interp``, in the order of its help.
SUBCOMMANDS = tuple(_SUBPARSERS.choices)


def plain_help(text):
    """``text`` (help of a MagicArgumentParser) without the reST ``::`` line its
    formatter puts before each usage line."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        if line.strip() == "::":
            continue
        if line == "" and i > 0 and lines[i - 1].strip() == "::":
            continue
        out.append(line)
    return "\n".join(out)


def line_help():
    """The help of ``%interp`` and of each of its sub-commands, as plain text."""
    parts = [LINE_PARSER.format_help().rstrip()]
    for sub in _SUBPARSERS.choices.values():
        parts.append(sub.format_help().rstrip())
    return plain_help("\n\n".join(parts))
