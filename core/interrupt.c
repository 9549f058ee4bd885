/* interrupt(), call_interruptible(), is_registered().
 *
 * SIGINT only reaches the main thread of the main interpreter, and
 * PyThreadState_SetAsyncExc() only looks at the threads of the *current*
 * interpreter.  To raise KeyboardInterrupt in a thread of another interpreter,
 * interrupt() briefly attaches a new thread state of the target interpreter
 * (taking the target's GIL) and sets the async exception from there, all under
 * the registry mutex so that the target cannot be freed meanwhile.
 */
#include "core.h"

/* With the target interpreter's GIL held: flag the thread if it is blocked in
 * one of our waits (it raises KeyboardInterrupt itself), otherwise set an async
 * KeyboardInterrupt (a static, immortal type: safe to store across interpreters).
 * Deciding under the target's GIL is what makes it exactly once (wait.c). */
static int
deliver(int64_t iid, unsigned long tid)
{
    if (ik_waiters_interrupt(iid, tid)) {
        return 1;
    }
    return PyThreadState_SetAsyncExc(tid, PyExc_KeyboardInterrupt) > 0;
}

PyDoc_STRVAR(interrupt_doc,
"interrupt(interp_id, thread_id=None) -> bool\n"
"\n"
"Raise KeyboardInterrupt in thread `thread_id` (a threading.get_ident() value)\n"
"of interpreter `interp_id`; callable from any interpreter and thread.  With\n"
"thread_id=None the target is the thread of that interpreter that most recently\n"
"entered call_interruptible() and is still inside it.\n"
"\n"
"The exception is raised when the thread next runs Python bytecode; a thread\n"
"blocked in channel_send()/channel_recv() is woken and raises it at once (never\n"
"twice).  A thread blocked in other C code (time.sleep, I/O) sees it only when\n"
"that call returns.\n"
"\n"
"Returns True when delivered, False when there is no such thread (or nothing is\n"
"inside call_interruptible() for thread_id=None, or the runtime is shutting down,\n"
"or thread_id is the caller's own thread and interp_id another interpreter).\n"
"Blocks until it can take the target interpreter's GIL, i.e. at most one switch\n"
"interval (5 ms) while the target runs bytecode; longer while a target thread\n"
"holds its GIL in C code.\n"
"Raises ValueError when the interpreter is unknown (never created, already\n"
"destroyed, or it never imported interp_kernel._core), TypeError/OverflowError\n"
"for bad arguments, MemoryError.");

static PyObject *
interrupt(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"interp_id", "thread_id", NULL};
    PyObject *a[2];
    if (ik_parse_args("interrupt", args, nargs, kwnames, names, 1, a) < 0) {
        return NULL;
    }
    int64_t iid;
    if (ik_parse_id(a[0], "interp_id", &iid) < 0) {
        return NULL;
    }
    unsigned long tid = 0;
    int have_tid = a[1] != NULL && a[1] != Py_None;
    if (have_tid) {
        if (!PyLong_Check(a[1])) {
            PyErr_Format(PyExc_TypeError, "thread_id must be an int or None, not %.100s",
                         Py_TYPE(a[1])->tp_name);
            return NULL;
        }
        tid = PyLong_AsUnsignedLong(a[1]);
        if (tid == (unsigned long)-1 && PyErr_Occurred()) {
            return NULL;
        }
    }

    PyInterpreterState *self_interp = PyInterpreterState_Get();
    ik_registry_lock();
    ik_interp *e = ik_registry_find(iid);
    if (e == NULL) {
        ik_registry_unlock();
        PyErr_Format(PyExc_ValueError,
                     "interpreter %lld is unknown to interp_kernel._core: never created, "
                     "already destroyed, or it never imported interp_kernel._core",
                     (long long)iid);
        return NULL;
    }
    if (!have_tid) {
        if (e->top == NULL) {
            ik_registry_unlock();
            Py_RETURN_FALSE;
        }
        tid = e->top->tid;
    }

    /* Fast path: a thread blocked in one of our waits only needs its flag set;
     * no GIL needed.  (If it is just raising an earlier interrupt from its
     * pre-wait check, this one is absorbed by that KeyboardInterrupt.) */
    if (ik_waiters_interrupt(iid, tid)) {
        ik_registry_unlock();
        Py_RETURN_TRUE;
    }
    int delivered = 0;
    if (e->interp == self_interp) {
        delivered = deliver(iid, tid);
        ik_registry_unlock();
        return PyBool_FromLong(delivered);
    }
    if (Py_IsFinalizing() || tid == PyThread_get_thread_ident()) {
        /* Finalizing: taking another GIL now could stop this thread for good
         * (with the registry mutex held).  Our own id: the temporary thread
         * state below would carry it and catch the exception itself. */
        ik_registry_unlock();
        Py_RETURN_FALSE;
    }
    PyThreadState *saved = PyEval_SaveThread();
    PyThreadState *ts = PyThreadState_New(e->interp);
    if (ts == NULL) {
        ik_registry_unlock();
        PyEval_RestoreThread(saved);
        return PyErr_NoMemory();
    }
    /* Remembered in case this thread is stopped for good while taking the GIL
     * (runtime finalizing): then the unregistering code deletes it. */
    e->visitor = ts;
    e->visitor_uid = PyThreadState_GetID(ts);
    PyEval_RestoreThread(ts);       /* takes the target's GIL */
    delivered = deliver(iid, tid);
    PyThreadState_Clear(ts);
    PyThreadState_DeleteCurrent();  /* releases the target's GIL */
    e->visitor = NULL;
    ik_registry_unlock();
    PyEval_RestoreThread(saved);
    return PyBool_FromLong(delivered);
}

PyDoc_STRVAR(call_interruptible_doc,
"call_interruptible(func, /, *args, **kwargs)\n"
"\n"
"Call func(*args, **kwargs) and return its result (or propagate its exception).\n"
"While it runs, the calling thread is what interrupt(interp_id, None) targets in\n"
"this interpreter (calls nest; the innermost, most recent one wins).\n"
"\n"
"On the way out (normal or exception) an interrupt that arrived too late to be\n"
"raised inside func is dropped, so code after the call never sees a stray\n"
"KeyboardInterrupt -- unless the thread is still inside an outer\n"
"call_interruptible(), which then gets it.\n"
"Blocks only as long as func does; raises whatever func raises (KeyboardInterrupt\n"
"when interrupted), TypeError without func, MemoryError.");

static PyObject *
call_interruptible(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError,
                        "call_interruptible() missing required argument 'func'");
        return NULL;
    }
    int64_t iid = ik_current_interp_id();
    unsigned long tid = PyThread_get_thread_ident();
    /* NULL when this interpreter is no longer registered (code run while it is
     * being destroyed): then nothing can target the call anyway. */
    ik_frame *frame = ik_registry_push_frame(iid, tid);
    PyObject *res = PyObject_Vectorcall(args[0], args + 1, (size_t)(nargs - 1), kwnames);
    if (frame != NULL && ik_registry_pop_frame(iid, frame)) {
        /* No interrupt can target this frame any more (popped under the registry
         * mutex, which interrupt() holds until it has set the exception), so
         * whatever is still pending now arrived too late: drop it. */
        PyThreadState_SetAsyncExc(tid, NULL);
    }
    return res;
}

PyDoc_STRVAR(is_registered_doc,
"is_registered(interp_id) -> bool\n"
"\n"
"True while interpreter `interp_id` has imported interp_kernel._core and has\n"
"not been destroyed (what interrupt() can reach).  Never blocks for long (the\n"
"registry mutex).  Raises TypeError/OverflowError for a bad id.");

static PyObject *
is_registered(PyObject *module, PyObject *arg)
{
    int64_t iid;
    if (ik_parse_id(arg, "interp_id", &iid) < 0) {
        return NULL;
    }
    ik_registry_lock();
    int found = ik_registry_find(iid) != NULL;
    ik_registry_unlock();
    return PyBool_FromLong(found);
}

PyMethodDef ik_interrupt_methods[] = {
    {"interrupt", (PyCFunction)(void (*)(void))interrupt,
     METH_FASTCALL | METH_KEYWORDS, interrupt_doc},
    {"call_interruptible", (PyCFunction)(void (*)(void))call_interruptible,
     METH_FASTCALL | METH_KEYWORDS, call_interruptible_doc},
    {"is_registered", is_registered, METH_O, is_registered_doc},
    {NULL, NULL, 0, NULL},
};
