"""``progress(futures)``: a live progress display while futures finish.

The display is tqdm's (``tqdm.auto``): an ipywidgets bar in a notebook, a text line
on stderr in a terminal. It works for any ``concurrent.futures`` futures; for an
:class:`~interp_kernel.InterpreterExecutor`'s, the kernel's interrupt (■) while it
waits cancels the executor's pending tasks and interrupts its running ones.

A map needs no helper: ``tqdm(executor.map(fn, items), total=len(items))`` updates
as results arrive in order; ``progress`` counts them as they finish, in any order.
"""

import concurrent.futures

from interp_kernel.runtime.executor import interrupt_owners


def progress(futures, *, desc=None, file=None):
    """Show how many of ``futures`` are done, updated as each finishes; returns their
    results in the order given.

    Blocks until every future is done (a failed one counts as done). ``desc`` labels
    the display; ``file`` sends the text line there instead of stderr (outside a
    notebook). Raises the exception of the first failed future in the order given, once
    all are done; KeyboardInterrupt when interrupted while waiting (after interrupting
    the InterpreterExecutors the futures belong to). Raises TypeError when an item is
    not a Future.
    """
    from tqdm.auto import tqdm

    futures = list(futures)
    strays = [f for f in futures if not isinstance(f, concurrent.futures.Future)]
    if strays:
        raise TypeError(
            f"progress() takes futures (from executor.submit); got a {type(strays[0]).__qualname__}. "
            f"For a map, use tqdm(executor.map(fn, items), total=len(items))")
    with tqdm(total=len(futures), desc=desc, file=file, unit="task") as bar:
        try:
            for _ in concurrent.futures.as_completed(futures):
                bar.update(1)
        except KeyboardInterrupt:
            interrupt_owners(futures)
            raise
    return [f.result() for f in futures]
