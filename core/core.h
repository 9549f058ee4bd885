/* Shared declarations of the C core (module interp_kernel._core).
 *
 * Process-wide C state (shared by every interpreter that imports _core):
 *   - the interpreter registry (registry.c), guarded by the registry mutex;
 *   - the channel table and the list of blocked waiters (channel.c, wait.c),
 *     guarded by the wait mutex.
 * Per-interpreter Python objects (exception classes, a helper function) live
 * in the module state (module.c).
 *
 * Lock order (outer to inner): registry mutex -> a GIL -> wait mutex.
 *   - The wait mutex is innermost: nobody takes a GIL or the registry mutex
 *     while holding it, and no Python code runs under it.  It may therefore be
 *     taken while holding a GIL.
 *   - The registry mutex is held across taking a GIL only by interrupt().
 *     Everybody else takes it with ik_registry_lock(), which never blocks on it
 *     while holding a GIL and never takes a GIL while holding it.
 */
#ifndef INTERP_KERNEL_CORE_H
#define INTERP_KERNEL_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* ---- module state (module.c) ------------------------------------------ */

typedef struct {
    PyObject *ChannelError;         /* heap exception types, one set per interpreter */
    PyObject *ChannelClosedError;
    PyObject *ChannelNotFoundError;
    PyObject *check_async_exc;      /* `lambda: None`, see ik_flush_async_exc() */
} ik_state;

static inline ik_state *
ik_get_state(PyObject *module)
{
    return (ik_state *)PyModule_GetState(module);
}

/* ---- interpreter registry (registry.c) -------------------------------- */

/* A thread currently inside call_interruptible() (heap allocated so that a
 * daemon thread killed at shutdown leaves nothing dangling). */
typedef struct ik_frame {
    unsigned long tid;
    struct ik_frame *older;
    struct ik_frame *newer;
} ik_frame;

typedef struct ik_interp {
    int64_t id;
    PyInterpreterState *interp;
    int is_main;
    PyThreadState *anchor;          /* anchor.c; 3.13 subinterpreters only */
    uint64_t anchor_uid;            /* PyThreadState_GetID(anchor) */
    PyThreadState *visitor;         /* interrupt()'s temporary thread state while it exists */
    uint64_t visitor_uid;
    ik_frame *top;                  /* most recently entered call_interruptible */
    struct ik_interp *next;
} ik_interp;

/* Initialise the registry mutex (module exec, before anything else). */
void ik_registry_init(void);
/* Take / release the registry mutex from a thread holding a GIL. */
void ik_registry_lock(void);
void ik_registry_unlock(void);
/* Lookup; the registry mutex must be held and the result is only valid while it is. */
ik_interp *ik_registry_find(int64_t id);
/* Register the current interpreter (module exec slot).  GIL held.  -1 + exception on error. */
int ik_registry_add_current(void);
/* Push / pop a call_interruptible() frame of the current thread.  GIL held.
 * push returns NULL when the interpreter is not registered (no exception set);
 * pop returns 1 when the thread has no other frame left in this interpreter. */
ik_frame *ik_registry_push_frame(int64_t iid, unsigned long tid);
int ik_registry_pop_frame(int64_t iid, ik_frame *frame);
/* pthread_atfork child handler part (no Python API). */
void ik_registry_after_fork_child(void);

/* ---- anchor thread states (anchor.c) ---------------------------------- */

/* Create the parked thread state of `interp` (the current interpreter, GIL
 * held).  NULL + exception on error. */
PyThreadState *ik_anchor_create(PyInterpreterState *interp);
/* Delete a detached thread state of ours (the anchor, or a temporary one left by
 * an interrupter that was stopped at shutdown) while `interp` is destroyed, with
 * its GIL held.  While the runtime finalizes it is looked up by uid, as CPython
 * may have deleted it already. */
void ik_tstate_delete(PyInterpreterState *interp, PyThreadState *ts, uint64_t uid);

/* ---- blocking waits (wait.c) ------------------------------------------ */

/* Guards the channel table, every channel and the waiter list. */
extern pthread_mutex_t ik_wait_mutex;

/* A thread blocked in one of this module's waits. */
typedef struct ik_waiter {
    int64_t iid;
    unsigned long tid;
    int interrupted;                /* set by interrupt(); the waiter raises KeyboardInterrupt */
    pthread_cond_t *cond;           /* what to broadcast to wake it */
    struct ik_waiter *prev, *next;
} ik_waiter;

typedef struct {
    int blocking;                   /* 0: timeout=0, never wait */
    int forever;                    /* timeout=None */
    struct timespec deadline;       /* CLOCK_MONOTONIC, when !forever */
    int check_signals;              /* main thread of the main interpreter: wake up to run signal handlers */
} ik_timeout;

enum {
    IK_WAIT_WOKEN = 0,              /* condition signalled (or spurious wakeup): re-check */
    IK_WAIT_TIMEOUT = 1,            /* the deadline has passed */
    IK_WAIT_SLICE = 2,              /* time to run signal handlers (check_signals) */
};

/* threading.main_thread().ident, once _core ran in the main interpreter (0 before). */
extern unsigned long ik_main_thread_ident;
/* Parse a timeout argument (None, or a number of seconds >= 0).  -1 + exception on error. */
int ik_timeout_parse(PyObject *obj, ik_timeout *out);
/* Initialise a condition variable on CLOCK_MONOTONIC.  0 or an errno value. */
int ik_cond_init(pthread_cond_t *cond);
/* Wait on cond (wait mutex held) until woken, the deadline or the next signal slice. */
int ik_cond_wait(pthread_cond_t *cond, const ik_timeout *to);
/* Add / remove the current thread to the waiter list (wait mutex held). */
ik_waiter *ik_waiter_add(int64_t iid, unsigned long tid, pthread_cond_t *cond);
void ik_waiter_remove(ik_waiter *w);
/* pthread_atfork child handler part (no Python API). */
void ik_wait_after_fork_child(void);
/* Flag and wake the waiter (iid, tid) if there is one (takes the wait mutex).
 * Returns 1 if one was woken. */
int ik_waiters_interrupt(int64_t iid, unsigned long tid);
/* Raise a pending async exception (interrupt()) of the current thread now.
 * GIL held.  -1 + exception if one was pending. */
int ik_flush_async_exc(ik_state *st);

/* ---- channels (channel.c) ---------------------------------------------- */

extern PyMethodDef ik_channel_methods[];
/* pthread_atfork child handler part (no Python API). */
void ik_channel_after_fork_child(void);

/* ---- interrupts (interrupt.c) ----------------------------------------- */

extern PyMethodDef ik_interrupt_methods[];

/* ---- scalar check (scalars.c) ------------------------------------------ */

extern PyMethodDef ik_scalars_methods[];

/* ---- argument parsing (args.c) ----------------------------------------- */

/* Parse METH_FASTCALL|METH_KEYWORDS arguments by name.  names: NULL-terminated;
 * out[i] gets a borrowed reference or NULL when not given; the first nrequired
 * are mandatory.  -1 + TypeError on error. */
int ik_parse_args(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames, const char *const *names, int nrequired,
                  PyObject **out);
/* An int64 id argument.  -1 + exception on error. */
int ik_parse_id(PyObject *obj, const char *what, int64_t *out);

/* ---- helpers ------------------------------------------------------------ */

static inline int64_t
ik_current_interp_id(void)
{
    return PyInterpreterState_GetID(PyInterpreterState_Get());
}

#endif /* INTERP_KERNEL_CORE_H */
