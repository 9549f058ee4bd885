/* Process-wide registry of the interpreters that imported _core.
 *
 * Entry: interpreter id -> PyInterpreterState*, the interpreter's anchor thread
 * state (anchor.c; subinterpreters only) and the stack of threads that are
 * inside call_interruptible() there.
 *
 * An entry is added by the module exec slot and removed by an atexit.register()
 * callback.  Py_EndInterpreter() (and Py_FinalizeEx() for the main interpreter)
 * runs those after joining non-daemon threads and *before* it requires the
 * interpreter to have no other thread state and marks it as finalizing.
 * Removal takes the registry mutex, which interrupt() holds for as long as it
 * has a thread state in the target, so a lookup made under that mutex never
 * returns an interpreter that is being torn down.
 *
 * Why not PyUnstable_AtExit() alone: on 3.13/3.14 those callbacks run while the
 * interpreter is cleared, i.e. after that "not the last thread" check (a
 * thread state of ours still there is a fatal error) and after the interpreter
 * is marked finalizing (a thread that takes its GIL then exits or hangs for
 * good -- an interrupter would do so holding the registry mutex).  It remains
 * as a backstop that forgets the entry if the atexit callbacks were cleared.
 */
#include "core.h"

#include <errno.h>

static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;
static ik_interp *registry_head = NULL;
/* Set when the mutex was given up on during runtime finalization. */
static int registry_abandoned = 0;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

/* A robust mutex: on 3.13 a thread stopped at shutdown while it holds it has
 * exited (PyThread_exit_thread), and the next locker gets EOWNERDEAD instead of
 * waiting forever.  (On 3.14 such a thread hangs instead: see unlink_entry.) */
static void
registry_mutex_init(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&registry_mutex, &attr);
    pthread_mutexattr_destroy(&attr);
}

void
ik_registry_init(void)
{
    pthread_once(&registry_once, registry_mutex_init);
}

/* The protected data is consistent whenever a holder can be stopped (it only
 * ever waits for a GIL between complete updates). */
static int
locked_ok(int rc)
{
    if (rc == EOWNERDEAD) {
        pthread_mutex_consistent(&registry_mutex);
        return 0;
    }
    return rc;
}

/* Called with a GIL held.  Never blocks on the mutex while holding the GIL (an
 * interrupter may hold the mutex while waiting for this very GIL), and never
 * takes the GIL back while holding the mutex (a daemon thread may be stopped
 * for good when it retakes the GIL at shutdown; it must not own the mutex then). */
void
ik_registry_lock(void)
{
    while (locked_ok(pthread_mutex_trylock(&registry_mutex)) != 0) {
        Py_BEGIN_ALLOW_THREADS
        if (locked_ok(pthread_mutex_lock(&registry_mutex)) == 0) {
            pthread_mutex_unlock(&registry_mutex);
        }
        Py_END_ALLOW_THREADS
    }
}

void
ik_registry_unlock(void)
{
    pthread_mutex_unlock(&registry_mutex);
}

ik_interp *
ik_registry_find(int64_t id)
{
    for (ik_interp *e = registry_head; e != NULL; e = e->next) {
        if (e->id == id) {
            return e;
        }
    }
    return NULL;
}

static void
free_entry(ik_interp *e)
{
    ik_frame *f = e->top;
    while (f != NULL) {             /* only left by threads that never came back */
        ik_frame *older = f->older;
        PyMem_RawFree(f);
        f = older;
    }
    PyMem_RawFree(e);
}

/* Unlink the entry of interpreter `id`; returns it (or NULL).  GIL held on entry
 * and exit, released while waiting for the mutex (an interrupter may hold the
 * mutex while it waits for this very GIL).
 *
 * While the runtime is finalizing, any thread that takes a GIL is stopped for
 * good (3.13: exits, 3.14: hangs); an interrupter stopped that way still owns
 * the mutex.  On 3.13 the robust mutex reports that at once; on 3.14 wait at
 * most a second (once).  Then *locked is 0 and the entry is returned without
 * unlinking: nobody can take the mutex again, so nobody can look at the table
 * any more either. */
static ik_interp *
unlink_entry(int64_t id, int *locked)
{
    ik_interp *found = NULL;
    int finalizing = Py_IsFinalizing();
    Py_BEGIN_ALLOW_THREADS
    if (finalizing) {
        *locked = 0;
        if (!registry_abandoned) {
            struct timespec deadline;
            clock_gettime(CLOCK_REALTIME, &deadline);
            deadline.tv_sec += 1;
            *locked = locked_ok(pthread_mutex_timedlock(&registry_mutex, &deadline)) == 0;
            registry_abandoned = !*locked;
        }
    }
    else {
        *locked = locked_ok(pthread_mutex_lock(&registry_mutex)) == 0;
    }
    ik_interp **link = &registry_head;
    while (*link != NULL && (*link)->id != id) {
        link = &(*link)->next;
    }
    found = *link;
    if (*locked) {
        if (found != NULL) {
            *link = found->next;
        }
        pthread_mutex_unlock(&registry_mutex);
    }
    Py_END_ALLOW_THREADS
    return found;
}

/* atexit.register() callback, run in the dying interpreter with its GIL. */
static PyObject *
registry_atexit(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(ignored))
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    int locked;
    ik_interp *e = unlink_entry(PyInterpreterState_GetID(interp), &locked);
    if (e == NULL) {
        Py_RETURN_NONE;
    }
    /* No interrupter can use the interpreter any more.  Our thread states must
     * be gone before Py_EndInterpreter checks that it is the last thread. */
    if (e->visitor != NULL) {       /* only when the interrupter was stopped */
        ik_tstate_delete(interp, e->visitor, e->visitor_uid);
    }
    if (e->anchor != NULL) {
        ik_tstate_delete(interp, e->anchor, e->anchor_uid);
    }
    if (locked) {
        free_entry(e);
    }
    Py_RETURN_NONE;
}

static PyMethodDef registry_atexit_def = {
    "_forget_interpreter", registry_atexit, METH_NOARGS,
    "atexit callback of interp_kernel._core: unregister this interpreter."};

/* PyUnstable_AtExit backstop (see the top of the file).  data: malloc'd id.
 * The anchor is not touched: the interpreter is being cleared, which deletes
 * every thread state. */
static void
registry_backstop(void *data)
{
    int64_t id = *(int64_t *)data;
    PyMem_RawFree(data);
    int locked;
    ik_interp *e = unlink_entry(id, &locked);
    if (e != NULL && locked) {
        free_entry(e);
    }
}

static int
register_atexit(void)
{
    PyObject *func = PyCFunction_NewEx(&registry_atexit_def, NULL, NULL);
    if (func == NULL) {
        return -1;
    }
    PyObject *atexit = PyImport_ImportModule("atexit");
    if (atexit == NULL) {
        Py_DECREF(func);
        return -1;
    }
    PyObject *res = PyObject_CallMethod(atexit, "register", "O", func);
    Py_DECREF(atexit);
    Py_DECREF(func);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

int
ik_registry_add_current(void)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    int64_t id = PyInterpreterState_GetID(interp);
    if (id < 0) {
        return -1;
    }
    ik_registry_lock();
    int known = ik_registry_find(id) != NULL;   /* imported before (reload, 2nd import) */
    ik_registry_unlock();
    if (known) {
        return 0;
    }

    ik_interp *e = PyMem_RawCalloc(1, sizeof(*e));
    int64_t *data = PyMem_RawMalloc(sizeof(*data));
    if (e == NULL || data == NULL) {
        PyMem_RawFree(e);
        PyMem_RawFree(data);
        PyErr_NoMemory();
        return -1;
    }
    e->id = id;
    e->interp = interp;
    e->is_main = interp == PyInterpreterState_Main();
    *data = id;
    /* Callbacks first, so that an entry never exists without them. */
    if (register_atexit() < 0) {
        goto error;
    }
    if (PyUnstable_AtExit(interp, registry_backstop, data) < 0) {
        goto error;
    }
    data = NULL;                    /* owned by the backstop now */
#if PY_VERSION_HEX < 0x030E0000
    /* 3.13 only (3.14 fixed the race, see anchor.c).  The main interpreter's
     * list always holds its main thread's state. */
    if (interp != PyInterpreterState_Main()) {
        e->anchor = ik_anchor_create(interp);
        if (e->anchor == NULL) {
            goto error;
        }
        e->anchor_uid = PyThreadState_GetID(e->anchor);
    }
#endif
    ik_registry_lock();
    e->next = registry_head;
    registry_head = e;
    ik_registry_unlock();
    return 0;

error:
    /* A registered atexit callback finds no entry and does nothing. */
    PyMem_RawFree(e);
    PyMem_RawFree(data);
    return -1;
}

ik_frame *
ik_registry_push_frame(int64_t iid, unsigned long tid)
{
    ik_frame *f = PyMem_RawCalloc(1, sizeof(*f));
    if (f == NULL) {
        return NULL;
    }
    f->tid = tid;
    ik_registry_lock();
    ik_interp *e = ik_registry_find(iid);
    if (e != NULL) {
        f->older = e->top;
        if (e->top != NULL) {
            e->top->newer = f;
        }
        e->top = f;
    }
    ik_registry_unlock();
    if (e == NULL) {
        PyMem_RawFree(f);
        return NULL;
    }
    return f;
}

int
ik_registry_pop_frame(int64_t iid, ik_frame *f)
{
    int last = 1;
    ik_registry_lock();
    ik_interp *e = ik_registry_find(iid);
    if (e != NULL) {
        if (f->newer != NULL) {
            f->newer->older = f->older;
        }
        else {
            e->top = f->older;
        }
        if (f->older != NULL) {
            f->older->newer = f->newer;
        }
        for (ik_frame *g = e->top; g != NULL; g = g->older) {
            if (g->tid == f->tid) {
                last = 0;
                break;
            }
        }
        PyMem_RawFree(f);
    }
    /* else: the entry, and f with it, was freed when it was unregistered. */
    ik_registry_unlock();
    return last;
}

/* In a child after fork(): only the forking thread survives, and CPython has
 * deleted every subinterpreter.  Forget them, keep the main interpreter's
 * entry with the forking thread's frames.  No Python API here. */
void
ik_registry_after_fork_child(void)
{
    registry_mutex_init();
    registry_abandoned = 0;
    unsigned long self = PyThread_get_thread_ident();
    ik_interp **link = &registry_head;
    while (*link != NULL) {
        ik_interp *e = *link;
        if (!e->is_main) {          /* a subinterpreter: gone (the entry leaks) */
            *link = e->next;
            continue;
        }
        ik_frame *newest = NULL, *oldest = NULL;
        for (ik_frame *f = e->top, *older; f != NULL; f = older) {
            older = f->older;
            if (f->tid != self) {
                continue;           /* a thread that does not exist here (leaks) */
            }
            f->newer = oldest;
            f->older = NULL;
            if (oldest != NULL) {
                oldest->older = f;
            }
            else {
                newest = f;
            }
            oldest = f;
        }
        e->top = newest;
        link = &e->next;
    }
}
