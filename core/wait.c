/* Blocking waits that interrupt() can break.
 *
 * An asynchronous exception (PyThreadState_SetAsyncExc) is only raised by the
 * eval loop, so a thread blocked in C would not notice it.  Every thread that
 * blocks in a channel call is therefore listed here (interpreter id, thread id,
 * the condition variable it sleeps on); interrupt() flags and wakes it instead of
 * setting an async exception, and the waiter raises KeyboardInterrupt itself.
 *
 * Exactly-once handshake.  interrupt() flags the thread if it is listed;
 * otherwise it takes the target interpreter's GIL and decides again there
 * between "flag a waiter" and "set an async exception".  A waiter adds itself to
 * the list while holding its GIL, then (still holding it) calls
 * ik_flush_async_exc(), then releases the GIL and sleeps.  So either the
 * decision came first and the flush raises the async exception, or the waiter
 * was already listed and gets the flag; never both, never neither.  The waiter
 * leaves the list in the same critical section in which it settles its outcome,
 * so a flag is never set on a waiter that no longer looks at it.
 */
#include "core.h"

#include <errno.h>

pthread_mutex_t ik_wait_mutex = PTHREAD_MUTEX_INITIALIZER;
unsigned long ik_main_thread_ident = 0;

static ik_waiter *waiters_head = NULL;

/* How often the main thread wakes up to run signal handlers (Ctrl-C). */
#define SIGNAL_SLICE_NS 100000000L

static void
timespec_add_ns(struct timespec *ts, long long ns)
{
    ts->tv_sec += (time_t)(ns / 1000000000LL);
    ts->tv_nsec += (long)(ns % 1000000000LL);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec += 1;
        ts->tv_nsec -= 1000000000L;
    }
}

static int
timespec_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int
ik_timeout_parse(PyObject *obj, ik_timeout *out)
{
    memset(out, 0, sizeof(*out));
    out->check_signals = (ik_main_thread_ident != 0
                          && PyThread_get_thread_ident() == ik_main_thread_ident
                          && PyInterpreterState_Get() == PyInterpreterState_Main());
    if (obj == NULL || obj == Py_None) {
        out->blocking = 1;
        out->forever = 1;
        return 0;
    }
    double secs = PyFloat_AsDouble(obj);
    if (secs == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    if (!(secs >= 0.0)) {           /* also rejects NaN */
        PyErr_SetString(PyExc_ValueError, "timeout must be None or a number >= 0");
        return -1;
    }
    if (secs == 0.0) {
        return 0;                   /* non-blocking */
    }
    out->blocking = 1;
    if (secs > 1e9) {               /* ~31 years: treat as forever */
        out->forever = 1;
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &out->deadline);
    timespec_add_ns(&out->deadline, (long long)(secs * 1e9));
    return 0;
}

int
ik_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0) {
        return rc;
    }
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) {
        rc = pthread_cond_init(cond, &attr);
    }
    pthread_condattr_destroy(&attr);
    return rc;
}

int
ik_cond_wait(pthread_cond_t *cond, const ik_timeout *to)
{
    if (to->forever && !to->check_signals) {
        pthread_cond_wait(cond, &ik_wait_mutex);
        return IK_WAIT_WOKEN;
    }
    struct timespec now, until;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!to->forever && !timespec_before(&now, &to->deadline)) {
        return IK_WAIT_TIMEOUT;
    }
    int slice = 0;
    if (to->forever) {
        until = now;
        timespec_add_ns(&until, SIGNAL_SLICE_NS);
        slice = 1;
    }
    else {
        until = to->deadline;
        if (to->check_signals) {
            struct timespec s = now;
            timespec_add_ns(&s, SIGNAL_SLICE_NS);
            if (timespec_before(&s, &until)) {
                until = s;
                slice = 1;
            }
        }
    }
    int rc = pthread_cond_timedwait(cond, &ik_wait_mutex, &until);
    if (rc == ETIMEDOUT) {
        return slice ? IK_WAIT_SLICE : IK_WAIT_TIMEOUT;
    }
    return IK_WAIT_WOKEN;
}

ik_waiter *
ik_waiter_add(int64_t iid, unsigned long tid, pthread_cond_t *cond)
{
    /* Heap, not stack: a daemon thread stopped for good at shutdown while
     * listed leaves a leak instead of a dangling pointer. */
    ik_waiter *w = PyMem_RawCalloc(1, sizeof(*w));
    if (w == NULL) {
        return NULL;
    }
    w->iid = iid;
    w->tid = tid;
    w->cond = cond;
    w->next = waiters_head;
    if (waiters_head != NULL) {
        waiters_head->prev = w;
    }
    waiters_head = w;
    return w;
}

void
ik_waiter_remove(ik_waiter *w)
{
    if (w->prev != NULL) {
        w->prev->next = w->next;
    }
    else {
        waiters_head = w->next;
    }
    if (w->next != NULL) {
        w->next->prev = w->prev;
    }
    PyMem_RawFree(w);
}

int
ik_waiters_interrupt(int64_t iid, unsigned long tid)
{
    int found = 0;
    pthread_mutex_lock(&ik_wait_mutex);
    for (ik_waiter *w = waiters_head; w != NULL; w = w->next) {
        if (w->iid == iid && w->tid == tid) {
            w->interrupted = 1;
            pthread_cond_broadcast(w->cond);
            found = 1;
        }
    }
    pthread_mutex_unlock(&ik_wait_mutex);
    return found;
}

void
ik_wait_after_fork_child(void)
{
    ik_wait_mutex = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    waiters_head = NULL;            /* their threads do not exist here (leaks) */
    ik_main_thread_ident = PyThread_get_thread_ident();
}

int
ik_flush_async_exc(ik_state *st)
{
    /* Entering a Python frame runs the eval-breaker check (RESUME), which
     * raises a pending async exception.  There is no public C API for it. */
    if (st->check_async_exc == NULL) {     /* module state already cleared */
        return 0;
    }
    PyObject *res = PyObject_CallNoArgs(st->check_async_exc);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}
