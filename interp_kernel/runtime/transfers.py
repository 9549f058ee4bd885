"""Push and pull: values crossing into and out of a session's ``__main__`` (main side).

The encoding is :mod:`interp_kernel.runtime.encoding`; the agent's half is
:mod:`interp_kernel.agent.transfer`. :class:`Session.push` and :class:`Session.pull`
call these.
"""

from interp_kernel._protocol import INTERRUPTED, OK, PULL, PUSH
from interp_kernel.errors import NotTransferableError
from interp_kernel.runtime.encoding import PulledSlices, decode_pulled, encode_value
from interp_kernel.runtime.jobs import Job
from interp_kernel.runtime.names import check_python_name


def push(session, values):
    """Bind ``values`` (name -> value) in ``session``'s ``__main__``: see :meth:`Session.push`."""
    for name in values:
        check_python_name(name)
    what = "push of " + ", ".join(values)
    carriers = []  # queues holding shared objects until the agent has taken them
    streams = []  # long lists and tuples of scalars, sent in slices once the job is queued
    try:
        encoded = {name: encode_value(name, value, carriers, streams) for name, value in values.items()}
    except BaseException as exc:
        _close(streams)
        if isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt(f"{what} into {session.name!r} interrupted while encoding: "
                                    f"nothing was bound") from None
        raise
    job = Job(session, PUSH, label=what)
    try:
        session.enqueue(job, (PUSH, job.id, encoded), direct=True)
        try:
            for stream in streams:
                stream.send()
        except BaseException as exc:
            _close(streams)  # the agent finds its channels gone and binds nothing
            session.drop_queued(job) or job.wait()
            if isinstance(exc, KeyboardInterrupt):
                raise KeyboardInterrupt(f"{what} into {session.name!r} interrupted while sending: "
                                        f"nothing was bound") from None
            raise
        result = _wait(session, job, what, f"{', '.join(values)} bound in {session.name!r}")
    finally:
        _close(streams)
    del carriers
    if not result.ok:
        raise NotTransferableError(f"could not push into {session.name!r}: {result.error}")


def _close(streams):
    for stream in streams:
        stream.close()


def pull(session, names):
    """The values of ``names`` in ``session``'s ``__main__``: see :meth:`Session.pull`."""
    if not names:
        raise TypeError("pull() needs at least one variable name")
    for name in names:
        check_python_name(name)
    what = "pull of " + ", ".join(names)
    slices = PulledSlices()
    job = Job(session, PULL, label=what, on_part=slices.add)
    session.enqueue(job, (PULL, job.id, list(names)), direct=True)
    result = _wait(session, job, what, None)
    if not result.ok:
        if result.error.ename == "NameError":
            raise NameError(result.error.evalue)
        raise NotTransferableError(result.error.evalue)
    values = {name: decode_pulled(name, result.data[name], slices) for name in dict.fromkeys(names)}
    return values[names[0]] if len(names) == 1 else values


def _wait(session, job, what, done_anyway):
    """Wait for a push or pull job. A KeyboardInterrupt meanwhile stops it: a queued
    job is dropped, a running one interrupted (up to 2 s, see :meth:`Job.wait`).
    Then raises KeyboardInterrupt saying what happened: nothing bound, the job still
    running, or (``done_anyway``: for a push) that it finished first."""
    try:
        result = job.wait()
    except KeyboardInterrupt:
        if session.drop_queued(job):
            raise KeyboardInterrupt(f"{what} in {session.name!r} interrupted before it started: "
                                    f"nothing was bound") from None
        if not job.finished():
            raise KeyboardInterrupt(f"{what} in {session.name!r} did not stop within 2 s (blocked in a C call?); "
                                    f"it goes on in the interpreter") from None
        result = job.result
        if result.status == OK:
            if done_anyway:
                raise KeyboardInterrupt(f"{what} finished before the interrupt reached it: "
                                        f"{done_anyway}") from None
            raise KeyboardInterrupt(f"{what} in {session.name!r} interrupted: nothing was bound") from None
    if result.status == INTERRUPTED:
        raise KeyboardInterrupt(f"{what} in {session.name!r} interrupted: nothing was bound")
    return result
