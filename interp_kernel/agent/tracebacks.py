"""Error payloads: what the ``DONE`` event of a failed job carries.

``traceback`` and the hints (``re``) load on the first error: start-up time of a
new interpreter counts.
"""

from interp_kernel.agent.cells import register_sources

_PACKAGE_DIR = __file__.rpartition("/")[0].rpartition("/")[0] + "/"  # interp_kernel/


def error_payload(exc, filename, code):
    """(ename, evalue, traceback text, hint) with the frames of the cell only.

    ``filename`` is the cell's (frames before its first one are dropped) or None to
    keep all; frames of interp_kernel at the end (our ``input()``, ``sleep()``) are
    dropped too. An exception whose ``str()`` fails still gets its payload.
    """
    import traceback

    from interp_kernel.agent import hints

    register_sources()
    tb = exc.__traceback__
    if filename is not None:
        while tb is not None and tb.tb_frame.f_code.co_filename != filename:
            tb = tb.tb_next
    frames = traceback.extract_tb(tb)
    while frames and frames[-1].filename.startswith(_PACKAGE_DIR):
        frames.pop()
    try:
        formatted = "".join(
            (["Traceback (most recent call last):\n"] + frames.format() if frames else [])
            + traceback.format_exception_only(type(exc), exc)
        )
    except Exception:
        formatted = f"{type(exc).__name__}: <exception str() failed>\n"
    try:
        evalue = str(exc)
    except Exception:
        evalue = "<exception str() failed>"
    return (type(exc).__name__, evalue, formatted, hints.hint_for(type(exc).__name__, evalue, code) or "")


def plain_error(ename, evalue):
    """An error payload without a traceback."""
    return (ename, evalue, f"{ename}: {evalue}\n", "")
