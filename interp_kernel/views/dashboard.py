"""The live dashboard: an ipywidgets view of a manager's interpreters.

``Dashboard(manager)`` is a VBox with a row per interpreter: name, id, config, state
(idle / running / background), cells run, time of the current or last run, and the
buttons Interrupt, Reset and Close. It updates itself: at once when an interpreter is
created, starts or finishes a run, or is closed (manager listeners), and from its own
thread at least every ``interval`` seconds while anything runs. ``close()`` stops the
thread and closes the widgets. Several dashboards can be open at once.

For browser tests and styling every part has a stable CSS class: the row is
``interp-row interp-row-NAME``, its cells ``interp-col-name``, ``interp-col-id``,
``interp-col-config``, ``interp-col-state`` (plus ``interp-state-STATE``),
``interp-col-cells``, ``interp-col-time``, and its buttons ``interp-interrupt``,
``interp-reset``, ``interp-close``.

Where no widget can show (a terminal IPython), the dashboard shows as a text table of
the same rows as ``%interp list`` (``repr``, and the ``text/plain`` of its mime bundle).
"""

import threading
import time

import ipywidgets as widgets

from interp_kernel.views.table import BACKGROUND, interpreter_rows, state_of, text_table
from interp_kernel.views.units import format_duration

__all__ = ["Dashboard"]

STATE_COLORS = {
    "idle": "#2e7d32",
    "running": "#1565c0",
    BACKGROUND: "#6a1b9a",
    "closed": "#757575",
}

_COLUMNS = (
    ("name", "name", "150px"),
    ("id", "id", "40px"),
    ("config", "config", "70px"),
    ("state", "state", "100px"),
    ("cells", "cells run", "70px"),
    ("time", "time", "130px"),
)


def _label(text, column, width, **kwargs):
    label = widgets.Label(value=text, layout=widgets.Layout(width=width, min_width=width), **kwargs)
    label.add_class(f"interp-col-{column}")
    return label


def _close(widget):
    """Close a widget with its layout and style models."""
    for part in (getattr(widget, "style", None), getattr(widget, "layout", None)):
        if isinstance(part, widgets.Widget):
            part.close()
    widget.close()




class _Row:
    """The widgets of one interpreter's row."""

    def __init__(self, dashboard, name):
        self.name = name
        self.session = None
        self.labels = {column: _label("", column, width) for column, _title, width in _COLUMNS}
        self.labels["name"].value = name
        self.labels["name"].style.font_weight = "bold"
        self.buttons = {}
        for action, style, tip in (
            ("interrupt", "warning", "raise KeyboardInterrupt in what it runs"),
            ("reset", "", "replace it by a fresh interpreter (same name and config)"),
            ("close", "danger", "interrupt what it runs, then destroy it"),
        ):
            button = widgets.Button(
                description=action.capitalize(),
                button_style=style,
                tooltip=f"{action.capitalize()} {name}: {tip}",
                layout=widgets.Layout(width="84px"),
            )
            button.add_class(f"interp-{action}")
            button.add_class(f"interp-{action}-{name}")
            button.on_click(lambda _b, _a=action: dashboard._act(_a, self.name))
            self.buttons[action] = button
        self.box = widgets.HBox(
            [self.labels[c] for c, _t, _w in _COLUMNS] + list(self.buttons.values()),
            layout=widgets.Layout(align_items="center"),
        )
        self.box.add_class("interp-row")
        self.box.add_class(f"interp-row-{name}")
        self.state = None

    def widgets(self):
        yield self.box
        yield from self.labels.values()
        yield from self.buttons.values()

    def update(self, session, state, now):
        """Set the row from ``session``; only changed values are sent to the frontend."""
        labels = self.labels
        if session is not self.session:
            self.session = session
            labels["id"].value = str(session.id)
            labels["config"].value = session.config
        if state != self.state:
            state_label = labels["state"]
            if self.state is not None:
                state_label.remove_class(f"interp-state-{self.state}")
            state_label.add_class(f"interp-state-{state}")
            state_label.value = state
            state_label.style.text_color = STATE_COLORS.get(state, "#000")
            state_label.style.font_weight = "bold" if state != "idle" else "normal"
            self.buttons["interrupt"].disabled = state not in ("running", BACKGROUND)
            self.state = state
        labels["cells"].value = str(session.cells_run)
        current = session.current
        started = getattr(current, "started", 0.0) if current is not None else 0.0
        if state in ("running", BACKGROUND) and started:
            text = f"running {format_duration(max(now - started, 0.0))}"
        elif session.last_duration is not None:
            text = f"last {format_duration(session.last_duration)}"
        else:
            text = "-"
        labels["time"].value = text


class Dashboard(widgets.VBox):
    """A live table of ``manager``'s interpreters with Interrupt / Reset / Close buttons.

    ``bg_state(session) -> bool`` tells whether a running session runs a background
    job (its state then reads ``background``); ``interval`` is the refresh period while anything
    runs, ``idle_interval`` the one while nothing does (events still update at once).
    """

    def __init__(self, manager, *, bg_state=None, interval=0.5, idle_interval=2.0, **kwargs):
        super().__init__(**kwargs)
        self.manager = manager
        self.bg_state = bg_state
        self.interval = interval
        self.idle_interval = idle_interval
        self.refreshes = 0  # how many times refresh() ran (for tests and curiosity)
        self._rows = {}  # name -> _Row
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self.add_class("interp-dashboard")

        self._title = widgets.HTML()
        self._title.add_class("interp-dashboard-title")
        header = widgets.HBox(
            [_label(title, column, width) for column, title, width in _COLUMNS],
            layout=widgets.Layout(border_bottom="1px solid #ccc"),
        )
        for label in header.children:
            label.style.font_weight = "bold"
        header.add_class("interp-header")
        self._header = header
        self._empty = widgets.Label("no interpreters yet: %%interp NAME or %interp create NAME makes one")
        self._empty.add_class("interp-dashboard-empty")
        self._message = widgets.Label("")
        self._message.add_class("interp-dashboard-message")
        self._fixed = [self._title, header, self._empty, self._message]

        manager.add_listener(self._on_event)
        self.refresh()
        self._thread = threading.Thread(target=self._loop, name="interp-dashboard", daemon=True)
        self._thread.start()
        comm = getattr(self, "comm", None)
        if comm is not None and hasattr(comm, "on_close"):
            try:
                comm.on_close(lambda _msg: self._stop())  # closed by the frontend
            except Exception:
                pass

    # -- updating ------------------------------------------------------------------------

    @property
    def running(self):
        """True while the refresh thread is alive."""
        return self._thread.is_alive()

    def _on_event(self, kind, session, detail=None):
        self._wake.set()

    def _loop(self):
        while not self._stopped.is_set():
            self._wake.clear()
            try:
                busy = self.refresh()
            except Exception:  # a widget error must not kill the updates
                busy = False
            self._wake.wait(self.interval if busy else self.idle_interval)

    def refresh(self):
        """Bring every row up to date; returns True if an interpreter is running."""
        with self._lock:
            if self._stopped.is_set():
                return False
            self.refreshes += 1
            now = time.perf_counter()
            sessions = self.manager.sessions()
            names = [s.name for s in sessions]
            changed = False
            for name in list(self._rows):
                if name not in names:
                    row = self._rows.pop(name)
                    for w in row.widgets():
                        _close(w)
                    changed = True
            busy = 0
            for session in sessions:
                row = self._rows.get(session.name)
                if row is None:
                    row = self._rows[session.name] = _Row(self, session.name)
                    changed = True
                state = state_of(session, self.bg_state)
                row.update(session, state, now)
                busy += state in ("running", BACKGROUND)
            if changed or not self.children:
                rows = [self._rows[n].box for n in names]
                self.children = [self._title, self._header] + rows + ([] if rows else [self._empty]) + [self._message]
            n = len(sessions)
            summary = f"{n} interpreter{'s' if n != 1 else ''}"
            if busy:
                summary += f" · {busy} running"
            self._title.value = f"<b>interpreters</b> <span style='color:#666'>· {summary}</span>"
            return busy > 0

    # -- as text --------------------------------------------------------------------------

    def __repr__(self):
        """The interpreters as a text table (now, not as the widgets last showed them)."""
        if getattr(self, "_stopped", None) is None:  # during __init__
            return super().__repr__()
        return text_table(interpreter_rows(self.manager.sessions(), self.bg_state))

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        data["text/plain"] = repr(self)  # whole: ipywidgets cuts a repr at 110 characters
        return data

    # -- buttons ----------------------------------------------------------------------------

    def _act(self, action, name):
        """What a button does; the outcome shows in the message line."""
        try:
            if action == "interrupt":
                hit = self.manager.interrupt(name)
                message = f"interrupted {name}" if hit else f"{name} was not running"
            elif action == "reset":
                self.manager.reset(name)
                message = f"reset {name}: a fresh interpreter"
            elif action == "close":
                destroyed = self.manager.close(name)
                message = f"closed {name}" if destroyed else f"closed {name} (a thread would not stop; cleaned up at exit)"
            else:
                raise ValueError(f"unknown action {action!r}")
        except Exception as exc:
            message = f"could not {action} {name}: {exc}"
        self._message.value = message
        self.refresh()
        self._wake.set()
        return message

    def click(self, action, name):
        """Press a row's button from code (``action``: interrupt / reset / close)."""
        with self._lock:
            row = self._rows.get(name)
        if row is None:
            raise KeyError(f"no row for {name!r}")
        row.buttons[action].click()
        return self._message.value

    def row(self, name):
        """The values shown in ``name``'s row (a dict), or None."""
        with self._lock:
            row = self._rows.get(name)
            if row is None:
                return None
            values = {column: row.labels[column].value for column, _t, _w in _COLUMNS}
            values["interrupt_enabled"] = not row.buttons["interrupt"].disabled
            return values

    @property
    def message(self):
        return self._message.value

    # -- closing --------------------------------------------------------------------------------

    def _stop(self):
        self._stopped.set()
        self._wake.set()
        self.manager.remove_listener(self._on_event)
        thread = getattr(self, "_thread", None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)

    def close(self):
        """Stop the updates (the thread ends) and close the widgets."""
        if getattr(self, "_stopped", None) is None:  # during __init__
            return super().close()
        self._stop()
        with self._lock:
            for row in self._rows.values():
                for w in row.widgets():
                    _close(w)
            self._rows.clear()
            for w in list(self._header.children) + self._fixed:
                _close(w)
        layout = self.layout
        super().close()
        layout.close()
