/* A parked thread state that keeps a subinterpreter's thread list non-empty.
 *
 * Why: on 3.13.0 a new thread state takes the interpreter's embedded
 * `_initial_thread` when the thread list is empty, and deleting that one resets
 * it outside the runtime lock.  interrupt() creates and deletes a temporary
 * thread state in the target; against an idle subinterpreter that races with
 * `_interpreters.exec/destroy` doing the same ("init_threadstate: thread state
 * already initialized", or a crash).  While the anchor is in the list, every
 * new thread state is heap allocated and `_initial_thread` is never reused.
 *
 * 3.14 takes the spare initial thread state atomically (no race), so anchors
 * are only made on 3.13 (registry.c).
 *
 * The anchor is never attached.  It is created by a short-lived helper pthread
 * so that its thread id is not the id of any thread that runs Python code in the
 * interpreter at that time (PyThreadState_SetAsyncExc picks the newest thread
 * state with the given id; any later thread that reuses the id is newer).  The
 * helper first creates, attaches and deletes another thread state so that the
 * anchor is not bound to the helper's PyGILState slot; otherwise deleting the
 * anchor from another thread would clear that thread's slot.
 */
#include "core.h"

typedef struct {
    PyInterpreterState *interp;
    PyThreadState *anchor;
} anchor_job;

static void *
anchor_thread(void *arg)
{
    anchor_job *job = arg;
    PyThreadState *first = PyThreadState_New(job->interp);   /* bound to this thread */
    if (first == NULL) {
        return NULL;
    }
    PyEval_RestoreThread(first);                             /* the target's GIL */
    job->anchor = PyThreadState_New(job->interp);            /* not bound: slot taken */
    PyThreadState_Clear(first);
    PyThreadState_DeleteCurrent();                           /* unbinds, drops the GIL */
    return NULL;
}

PyThreadState *
ik_anchor_create(PyInterpreterState *interp)
{
    anchor_job job = {interp, NULL};
    pthread_t th;
    int rc;
    Py_BEGIN_ALLOW_THREADS          /* the helper needs this GIL */
    rc = pthread_create(&th, NULL, anchor_thread, &job);
    if (rc == 0) {
        pthread_join(th, NULL);
    }
    Py_END_ALLOW_THREADS
    if (job.anchor == NULL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "interp_kernel._core: cannot create the interpreter's anchor thread state");
        return NULL;
    }
    return job.anchor;
}

void
ik_tstate_delete(PyInterpreterState *interp, PyThreadState *anchor, uint64_t uid)
{
    if (Py_IsFinalizing()) {
        /* finalize_subinterpreters() may have deleted it already (it deletes the
         * newest thread state of each interpreter): only delete what is still
         * listed.  No other thread can change the list at this point. */
        PyThreadState *self = PyThreadState_Get();
        PyThreadState *ts = PyInterpreterState_ThreadHead(interp);
        while (ts != NULL && (ts == self || PyThreadState_GetID(ts) != uid)) {
            ts = PyThreadState_Next(ts);
        }
        anchor = ts;
    }
    if (anchor != NULL) {
        PyThreadState_Clear(anchor);
        PyThreadState_Delete(anchor);
    }
}
