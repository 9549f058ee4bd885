"""The agent <-> session protocol: every message kind and payload kind, in one place.

A session (main side, :mod:`interp_kernel.runtime.session`) talks to the agent that
runs inside its interpreter (:mod:`interp_kernel.agent`) over four ``_core``
channels, made by the session and passed to ``interp_kernel.agent.serve(commands,
events, replies, sleeper)``. Every message is a ``marshal``-ed tuple whose first
item is its kind; ``job`` is the id of the job the message belongs to (an int).

commands (main -> agent), one job at a time, in order; ``reply_to`` is the id of the
channel that gets the job's ``DONE`` (its waiter's, see
:mod:`interp_kernel.runtime.direct`), or None for the events channel:

* ``(RUN, job, reply_to, code, filename)``: run ``code`` as a cell compiled under ``filename``.
* ``(PUSH, job, reply_to, values)``: bind ``values``, a dict name -> ``(payload kind, data)``.
* ``(PULL, job, reply_to, names)``: encode the variables ``names`` (a list) as payloads.
* ``(CALL, job, reply_to, helper, args)``: run the introspection helper ``helper`` (one of
  ``HELPERS``) with the list ``args``.
* ``(APPLY, job, reply_to, payload)``: call a function; ``payload`` (a payload kind below)
  holds the pickled ``(func, args, kwargs)``. ``DONE`` answers ``OK`` with
  ``(RETURNED, payload)`` (the pickled return value) or ``(RAISED, payload,
  traceback text)`` (the pickled exception, or None when it cannot be pickled, and
  the interpreter's traceback); ``ERROR`` when the call could not be decoded,
  ``INTERRUPTED`` on an interrupt.
* ``(STOP,)``: leave the loop; the agent's ``exec`` returns.
* ``(WAKE,)`` or ``(WAKE, code)``: no job and no reply: a command is about to come,
  so the agent watches the channel for it for up to ``WAKE_WATCH`` seconds instead of
  going to sleep, having compiled ``code`` when given (a ``RUN`` of exactly that code
  then skips compiling). Its wake-up and compiling overlap the main side's work before
  it sends (see ``Session.wake``).

events (agent -> main):

* ``(READY, None, thread_id)``: the agent is serving, on the thread ``thread_id``.
* ``(OUT, job, stream, text)``: text written to ``"stdout"`` or ``"stderr"``.
* ``(DISPLAY, job, data, metadata, display_id, update)``: a MIME bundle to show;
  ``display_id`` is a str or None, ``update`` True to replace the output shown
  under that id.
* ``(CLEAR, job, wait)``: ``clear_output(wait)``.
* ``(INPUT, job, prompt, password, request)``: ask the frontend for a line (a
  password when ``password``); ``request`` numbers the requests of this agent.
* ``(PART, job, name, items)``: the next slice (a list or tuple) of the long list or
  tuple pulled as ``name``; its ``DONE`` names it with a ``MARSHALLED_PARTS`` payload.
* ``(DONE, job, status, payload, events_before)``: the job ended with ``status``, one
  of ``OK``, ``ERROR``, ``INTERRUPTED``. With ``OK``, ``payload`` is the job's result
  (a cell's MIME bundle or None, a pull's dict name -> payload, a helper's answer);
  otherwise it is ``(ename, evalue, traceback text, hint)``. Sent to the command's
  ``reply_to`` channel when it has one that is open, with ``events_before`` the
  number of events the agent had sent until then (the waiter lets the session
  handle those first); on the events channel ``events_before`` is None.

replies (main -> agent): ``(request, answer)`` for each ``INPUT`` event, ``answer``
a str, or None when the frontend takes no input.

sleeper: never written. The agent's ``time.sleep`` waits on it, so an interrupt of
the interpreter cuts a sleep short.

A pushed or pulled value travels as ``(kind, data)`` with one of the payload kinds
below. Every constant is a plain str (marshal carries them; this module imports
nothing, as every new interpreter imports it).
"""

# -- commands (main -> agent) -------------------------------------------------------
RUN = "run"
PUSH = "push"
PULL = "pull"
CALL = "call"
APPLY = "apply"
STOP = "stop"
WAKE = "wake"

#: Seconds an agent woken by ``WAKE`` watches its command channel before it sleeps.
WAKE_WATCH = 0.002

# -- events (agent -> main) ---------------------------------------------------------
READY = "ready"
OUT = "out"
DISPLAY = "display"
CLEAR = "clear"
INPUT = "input"
PART = "part"
DONE = "done"

# -- job statuses (the status of DONE, and RunResult.status) --------------------------
OK = "ok"
ERROR = "error"
INTERRUPTED = "interrupted"

# -- outcomes of APPLY (first item of its OK payload) --------------------------------------
RETURNED = "returned"
RAISED = "raised"

# -- introspection helpers (the helper of CALL) -----------------------------------------
COMPLETE = "complete"  # args (code, cursor_pos) -> (matches, start, end)
INSPECT = "inspect"  # args (code, cursor_pos) -> text or None
NAMES = "names"  # no args -> sorted public names of __main__
ENVIRON = "environ"  # args (sys.path, changed os.environ items, removed keys) -> None: a spare catches up
HELPERS = (COMPLETE, INSPECT, NAMES, ENVIRON)

# -- payload kinds (values crossing with PUSH and PULL) ----------------------------------
MARSHALLED = "marshal"  # data: a marshal string of plain builtin data (interp_kernel._marshalling)
MARSHALLED_CARRIED = "marshal-carried"  # data: id of a cross-interpreter queue holding a large one
MARSHALLED_PARTS = "marshal-parts"  # pulled: data True for a tuple; the value came in the job's PART events
MARSHALLED_CHANNEL = "marshal-channel"  # pushed: data (channel, True for a tuple, count): count slices come there
PICKLED = "pickle"  # data: the pickle (protocol 5)
PICKLED_CARRIED = "pickle-carried"  # data: id of a cross-interpreter queue holding a large pickle
SHARED = "shared"  # data: id of a cross-interpreter queue holding a natively shareable object
NAMED_QUEUE = "queue"  # data: a NamedQueue's handle (name, channel, maxsize)
