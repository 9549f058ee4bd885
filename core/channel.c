/* Channels: blocking FIFOs of bytes shared by every interpreter of the process.
 *
 * A process-wide table keyed by int ids, guarded by ik_wait_mutex (wait.c).
 * Items are copied into malloc'd buffers on send and into a fresh bytes object
 * of the receiving interpreter on recv, so no Python object ever crosses an
 * interpreter.  Blocked senders/receivers sleep on the channel's condition
 * variables with their GIL released and are listed as waiters so interrupt()
 * can wake them.  A channel struct is freed only once it has been destroyed and
 * no thread is blocked on it any more (refs).
 *
 * No Python object is created, freed or called while ik_wait_mutex is held
 * (that could run arbitrary code which calls back in and self-deadlocks).
 */
#include "core.h"

#include <sched.h>

typedef struct ik_item {
    struct ik_item *next;
    size_t len;
    char data[];
} ik_item;

typedef struct ik_channel {
    int64_t id;
    Py_ssize_t maxsize;             /* 0: unbounded */
    Py_ssize_t count;
    ik_item *head, *tail;
    int closed;                     /* no more sends; receivers drain */
    int destroyed;                  /* out of the table; freed when refs drops to 0 */
    int refs;                       /* threads blocked on it */
    int recv_waiting, send_waiting;
    int carried;                    /* an item was ever sent: receivers watch it before sleeping */
    pthread_cond_t not_empty, not_full;
    struct ik_channel *next;
} ik_channel;

static ik_channel *channels_head = NULL;
static int64_t next_channel_id = 1;

/* Outcomes of a channel operation (decided under the mutex, raised outside). */
enum {
    ST_OK,
    ST_AGAIN,                       /* would block */
    ST_NOTFOUND,
    ST_CLOSED,
    ST_TIMEOUT,
    ST_INTERRUPTED,
    ST_SLICE,                       /* wake up to run signal handlers */
    ST_NOMEM,
    ST_ERROR,                       /* Python exception already set */
};

/* Items larger than this are copied with the GIL released. */
#define BIG_COPY 65536

/* ---- under ik_wait_mutex ------------------------------------------------ */

static ik_channel *
find_channel(int64_t cid)
{
    for (ik_channel *ch = channels_head; ch != NULL; ch = ch->next) {
        if (ch->id == cid) {
            return ch;
        }
    }
    return NULL;
}

static void
free_items(ik_channel *ch)
{
    ik_item *it = ch->head;
    while (it != NULL) {
        ik_item *next = it->next;
        PyMem_RawFree(it);
        it = next;
    }
    ch->head = ch->tail = NULL;
    ch->count = 0;
}

static void
free_channel(ik_channel *ch)
{
    free_items(ch);
    pthread_cond_destroy(&ch->not_empty);
    pthread_cond_destroy(&ch->not_full);
    PyMem_RawFree(ch);
}

static int
try_recv(ik_channel *ch, ik_item **item)
{
    if (ch->destroyed) {
        return ST_CLOSED;
    }
    if (ch->head != NULL) {
        ik_item *it = ch->head;
        ch->head = it->next;
        if (ch->head == NULL) {
            ch->tail = NULL;
        }
        ch->count--;
        it->next = NULL;
        *item = it;
        if (ch->send_waiting > 0) {
            pthread_cond_broadcast(&ch->not_full);
        }
        return ST_OK;
    }
    return ch->closed ? ST_CLOSED : ST_AGAIN;
}

static int
try_send(ik_channel *ch, ik_item **item)
{
    if (ch->closed || ch->destroyed) {
        return ST_CLOSED;
    }
    if (ch->maxsize > 0 && ch->count >= ch->maxsize) {
        return ST_AGAIN;
    }
    ik_item *it = *item;
    if (ch->tail != NULL) {
        ch->tail->next = it;
    }
    else {
        ch->head = it;
    }
    ch->tail = it;
    ch->count++;
    ch->carried = 1;
    *item = NULL;                   /* owned by the channel now */
    if (ch->recv_waiting > 0) {
        pthread_cond_broadcast(&ch->not_empty);
    }
    return ST_OK;
}

static void
leave_channel(ik_channel *ch, ik_waiter *w, int sending)
{
    ik_waiter_remove(w);
    if (sending) {
        ch->send_waiting--;
    }
    else {
        ch->recv_waiting--;
    }
    if (--ch->refs == 0 && ch->destroyed) {
        free_channel(ch);
    }
}

/* ---- blocking ----------------------------------------------------------- */

/* How long a receiver watches the channel before it sleeps (once per call), unless
 * channel_recv's `watch` says otherwise.  Waking a sleeping thread on another core
 * costs ~45 us on these VMs (P7: a bare channel round trip across cores 55 us, on
 * one core 8 us), and 100+ us once that core has been idle for milliseconds; a
 * reply that comes within this long is taken without that.  Each look yields the
 * CPU, so a sender on the same core gets to run. */
#define SPIN_NS 20000L
/* The longest `watch` channel_recv accepts (a watch is meant to be short). */
#define MAX_WATCH_NS 10000000L

/* Called without the mutex or the GIL, listed as a waiter.  Returns once the
 * channel looks non-empty, closed or destroyed, this thread is interrupted, or
 * spin_ns (or the timeout) have passed.  The reads are unlocked hints: the caller decides under
 * the mutex. */
static void
watch_briefly(ik_channel *ch, ik_waiter *w, const ik_timeout *to, long spin_ns)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (__atomic_load_n(&ch->head, __ATOMIC_ACQUIRE) != NULL
                || __atomic_load_n(&ch->closed, __ATOMIC_RELAXED)
                || __atomic_load_n(&ch->destroyed, __ATOMIC_RELAXED)
                || __atomic_load_n(&w->interrupted, __ATOMIC_RELAXED)) {
            return;
        }
        sched_yield();
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) >= spin_ns
                || (!to->forever && (now.tv_sec > to->deadline.tv_sec
                                     || (now.tv_sec == to->deadline.tv_sec && now.tv_nsec >= to->deadline.tv_nsec)))) {
            return;
        }
    }
}

/* Called with the GIL and ik_wait_mutex held after a try_* returned ST_AGAIN;
 * returns with the GIL held and the mutex released.  Sleeps (GIL released)
 * until try_* succeeds, the channel is closed/destroyed, the timeout passes or
 * interrupt() flags this thread. */
static int
wait_channel(ik_state *st, ik_channel *ch, int sending, ik_item **item,
             const ik_timeout *to, long spin_ns)
{
    pthread_cond_t *cond = sending ? &ch->not_full : &ch->not_empty;
    /* Senders (to a full channel) sleep at once, and so do receivers of a channel
     * that never carried anything (the agent's sleeper: time.sleep waits on it),
     * unless the receiver asked for a watch (spin_ns >= 0). */
    if (spin_ns < 0) {
        spin_ns = sending || !ch->carried ? 0 : SPIN_NS;
    }
    int watched = spin_ns == 0;
    ik_waiter *w = ik_waiter_add(ik_current_interp_id(), PyThread_get_thread_ident(), cond);
    if (w == NULL) {
        pthread_mutex_unlock(&ik_wait_mutex);
        return ST_NOMEM;
    }
    ch->refs++;
    if (sending) {
        ch->send_waiting++;
    }
    else {
        ch->recv_waiting++;
    }
    pthread_mutex_unlock(&ik_wait_mutex);

    /* Listed as a waiter before this (see wait.c): an interrupt decided before
     * we were listed is pending as an async exception; raise it now. */
    int status = ik_flush_async_exc(st) < 0 ? ST_ERROR : ST_AGAIN;
    int listed = 1;
    while (status == ST_AGAIN) {
        Py_BEGIN_ALLOW_THREADS
        if (!watched) {
            watched = 1;
            watch_briefly(ch, w, to, spin_ns);
        }
        pthread_mutex_lock(&ik_wait_mutex);
        int timed_out = 0;
        for (;;) {
            if (w->interrupted) {   /* checked first: an item stays in the channel */
                status = ST_INTERRUPTED;
                break;
            }
            status = sending ? try_send(ch, item) : try_recv(ch, item);
            if (status != ST_AGAIN) {
                break;
            }
            if (timed_out) {
                status = ST_TIMEOUT;
                break;
            }
            int r = ik_cond_wait(cond, to);
            if (r == IK_WAIT_TIMEOUT) {
                timed_out = 1;      /* one last look, then give up */
            }
            else if (r == IK_WAIT_SLICE) {
                status = ST_SLICE;
                break;
            }
        }
        if (status != ST_SLICE) {
            /* Unlisted in the same critical section as the outcome: an interrupt
             * from now on becomes an async exception instead. */
            leave_channel(ch, w, sending);
            listed = 0;
        }
        pthread_mutex_unlock(&ik_wait_mutex);
        Py_END_ALLOW_THREADS
        if (status == ST_SLICE) {
            status = PyErr_CheckSignals() < 0 ? ST_ERROR : ST_AGAIN;
        }
    }
    if (listed) {
        pthread_mutex_lock(&ik_wait_mutex);
        leave_channel(ch, w, sending);
        pthread_mutex_unlock(&ik_wait_mutex);
    }
    return status;
}

/* ---- raising ------------------------------------------------------------ */

static PyObject *
raise_status(ik_state *st, int status, int64_t cid, const char *op)
{
    /* The classes are NULL only once the module state has been cleared. */
    PyObject *notfound = st->ChannelNotFoundError ? st->ChannelNotFoundError : PyExc_LookupError;
    PyObject *closed = st->ChannelClosedError ? st->ChannelClosedError : PyExc_RuntimeError;
    switch (status) {
    case ST_NOTFOUND:
        PyErr_Format(notfound, "channel %lld not found", (long long)cid);
        break;
    case ST_CLOSED:
        PyErr_Format(closed, "channel %lld is closed", (long long)cid);
        break;
    case ST_TIMEOUT:
        PyErr_Format(PyExc_TimeoutError, "%s on channel %lld timed out", op, (long long)cid);
        break;
    case ST_INTERRUPTED:
        PyErr_SetNone(PyExc_KeyboardInterrupt);
        break;
    case ST_NOMEM:
        PyErr_NoMemory();
        break;
    case ST_ERROR:
        assert(PyErr_Occurred());
        break;
    default:
        PyErr_Format(PyExc_SystemError, "unexpected channel status %d", status);
    }
    return NULL;
}

/* One send (sending=1: *item goes in, set to NULL once taken) or receive
 * (sending=0: *item is set) on channel `cid`: tries at once, then waits as
 * `to` allows, watching the channel for spin_ns first (< 0: the default).
 * Called with the GIL held and ik_wait_mutex not held. */
static int
transfer(ik_state *st, int64_t cid, int sending, ik_item **item, const ik_timeout *to,
         long spin_ns)
{
    pthread_mutex_lock(&ik_wait_mutex);
    ik_channel *ch = find_channel(cid);
    if (ch == NULL) {
        pthread_mutex_unlock(&ik_wait_mutex);
        return ST_NOTFOUND;
    }
    int status = sending ? try_send(ch, item) : try_recv(ch, item);
    if (status == ST_AGAIN && to->blocking) {
        return wait_channel(st, ch, sending, item, to, spin_ns);   /* unlocks */
    }
    pthread_mutex_unlock(&ik_wait_mutex);
    return status == ST_AGAIN ? ST_TIMEOUT : status;
}

static int
parse_cid(PyObject *obj, int64_t *cid)
{
    return ik_parse_id(obj, "cid", cid);
}

/* ---- the functions -------------------------------------------------------- */

PyDoc_STRVAR(channel_create_doc,
"channel_create(maxsize=0) -> int\n"
"\n"
"Create a channel (process-wide, usable from every interpreter) and return its\n"
"id.  maxsize > 0 bounds the number of queued items; 0 means unbounded.\n"
"Never blocks.  Raises ValueError for maxsize < 0, MemoryError.");

static PyObject *
channel_create(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"maxsize", NULL};
    PyObject *a[1];
    if (ik_parse_args("channel_create", args, nargs, kwnames, names, 0, a) < 0) {
        return NULL;
    }
    Py_ssize_t maxsize = 0;
    if (a[0] != NULL) {
        maxsize = PyNumber_AsSsize_t(a[0], PyExc_OverflowError);
        if (maxsize == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (maxsize < 0) {
            PyErr_SetString(PyExc_ValueError, "maxsize must be >= 0");
            return NULL;
        }
    }
    ik_channel *ch = PyMem_RawCalloc(1, sizeof(*ch));
    if (ch == NULL) {
        return PyErr_NoMemory();
    }
    if (ik_cond_init(&ch->not_empty) != 0) {
        PyMem_RawFree(ch);
        return PyErr_NoMemory();
    }
    if (ik_cond_init(&ch->not_full) != 0) {
        pthread_cond_destroy(&ch->not_empty);
        PyMem_RawFree(ch);
        return PyErr_NoMemory();
    }
    ch->maxsize = maxsize;
    pthread_mutex_lock(&ik_wait_mutex);
    ch->id = next_channel_id++;
    ch->next = channels_head;
    channels_head = ch;
    int64_t cid = ch->id;
    pthread_mutex_unlock(&ik_wait_mutex);
    return PyLong_FromLongLong(cid);
}

PyDoc_STRVAR(channel_send_doc,
"channel_send(cid, data, timeout=None)\n"
"\n"
"Append a copy of `data` (any bytes-like object) to channel `cid`.\n"
"Blocks (GIL released) while the channel is full, for at most `timeout` seconds\n"
"(None: no limit, 0: never block).\n"
"Raises TimeoutError when still full at the timeout, ChannelClosedError when the\n"
"channel is or gets closed/destroyed, ChannelNotFoundError for an unknown id,\n"
"KeyboardInterrupt when interrupt() targets this thread while it waits (the item\n"
"is then not sent), TypeError when data is not bytes-like, ValueError for a\n"
"negative timeout, MemoryError.");

static PyObject *
channel_send(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"cid", "data", "timeout", NULL};
    PyObject *a[3];
    if (ik_parse_args("channel_send", args, nargs, kwnames, names, 2, a) < 0) {
        return NULL;
    }
    int64_t cid;
    ik_timeout to;
    if (parse_cid(a[0], &cid) < 0 || ik_timeout_parse(a[2], &to) < 0) {
        return NULL;
    }
    ik_state *st = ik_get_state(module);

    Py_buffer view;
    if (PyObject_GetBuffer(a[1], &view, PyBUF_FULL_RO) < 0) {
        return NULL;
    }
    size_t len = (size_t)view.len;
    ik_item *item = PyMem_RawMalloc(sizeof(ik_item) + (len ? len : 1));
    if (item == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    item->next = NULL;
    item->len = len;
    if (PyBuffer_IsContiguous(&view, 'C')) {
        if (len >= BIG_COPY) {
            Py_BEGIN_ALLOW_THREADS
            memcpy(item->data, view.buf, len);
            Py_END_ALLOW_THREADS
        }
        else if (len > 0) {
            memcpy(item->data, view.buf, len);
        }
    }
    else if (PyBuffer_ToContiguous(item->data, &view, view.len, 'C') < 0) {
        PyBuffer_Release(&view);
        PyMem_RawFree(item);
        return NULL;
    }
    PyBuffer_Release(&view);

    int status = transfer(st, cid, 1, &item, &to, -1);
    if (item != NULL) {             /* not sent */
        PyMem_RawFree(item);
    }
    if (status != ST_OK) {
        return raise_status(st, status, cid, "channel_send");
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(channel_recv_doc,
"channel_recv(cid, timeout=None, watch=None) -> bytes\n"
"\n"
"Remove the oldest item of channel `cid` and return it as a new bytes object.\n"
"Blocks (GIL released) while the channel is empty, for at most `timeout` seconds\n"
"(None: no limit, 0: never block).  Before it sleeps it watches the channel for\n"
"`watch` seconds (at most 0.01), yielding the CPU between looks, so an item sent\n"
"meanwhile is taken without a thread wake-up; None: 20 us for a channel that has\n"
"carried an item, 0 otherwise.\n"
"Raises TimeoutError when still empty at the timeout, ChannelClosedError when the\n"
"channel is closed and drained (or destroyed), ChannelNotFoundError for an\n"
"unknown id, KeyboardInterrupt when interrupt() targets this thread while it\n"
"waits (an item that arrived meanwhile stays in the channel), ValueError for a\n"
"negative timeout or a watch outside 0..0.01, MemoryError.");

static int
parse_watch(PyObject *obj, long *spin_ns)
{
    if (obj == NULL || obj == Py_None) {
        *spin_ns = -1;
        return 0;
    }
    double secs = PyFloat_AsDouble(obj);
    if (secs == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    if (!(secs >= 0.0 && secs * 1e9 <= (double)MAX_WATCH_NS)) {   /* also rejects NaN */
        PyErr_SetString(PyExc_ValueError, "watch must be None or a number of seconds from 0 to 0.01");
        return -1;
    }
    *spin_ns = (long)(secs * 1e9);
    return 0;
}

static PyObject *
channel_recv(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"cid", "timeout", "watch", NULL};
    PyObject *a[3];
    if (ik_parse_args("channel_recv", args, nargs, kwnames, names, 1, a) < 0) {
        return NULL;
    }
    int64_t cid;
    ik_timeout to;
    long spin_ns;
    if (parse_cid(a[0], &cid) < 0 || ik_timeout_parse(a[1], &to) < 0 || parse_watch(a[2], &spin_ns) < 0) {
        return NULL;
    }
    ik_state *st = ik_get_state(module);
    ik_item *item = NULL;

    int status = transfer(st, cid, 0, &item, &to, spin_ns);
    if (status != ST_OK) {
        return raise_status(st, status, cid, "channel_recv");
    }
    PyObject *res = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)item->len);
    if (res != NULL) {
        char *dst = PyBytes_AS_STRING(res);
        if (item->len >= BIG_COPY) {
            Py_BEGIN_ALLOW_THREADS
            memcpy(dst, item->data, item->len);
            Py_END_ALLOW_THREADS
        }
        else if (item->len > 0) {
            memcpy(dst, item->data, item->len);
        }
    }
    PyMem_RawFree(item);            /* on MemoryError the item is lost */
    return res;
}

PyDoc_STRVAR(channel_close_doc,
"channel_close(cid)\n"
"\n"
"Close channel `cid`: further sends raise ChannelClosedError, blocked senders\n"
"are woken and raise it, receivers get the remaining items and then\n"
"ChannelClosedError.  Closing twice is allowed.  Never blocks.\n"
"Raises ChannelNotFoundError for an unknown id.");

static PyObject *
channel_close(PyObject *module, PyObject *arg)
{
    int64_t cid;
    if (parse_cid(arg, &cid) < 0) {
        return NULL;
    }
    pthread_mutex_lock(&ik_wait_mutex);
    ik_channel *ch = find_channel(cid);
    if (ch != NULL) {
        ch->closed = 1;
        pthread_cond_broadcast(&ch->not_empty);
        pthread_cond_broadcast(&ch->not_full);
    }
    pthread_mutex_unlock(&ik_wait_mutex);
    if (ch == NULL) {
        return raise_status(ik_get_state(module), ST_NOTFOUND, cid, "channel_close");
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(channel_destroy_doc,
"channel_destroy(cid)\n"
"\n"
"Close channel `cid`, drop its items and remove its id at once (later calls\n"
"raise ChannelNotFoundError).  Threads blocked on it are woken and raise\n"
"ChannelClosedError; its memory is freed when the last of them has left.\n"
"Never blocks.  Raises ChannelNotFoundError for an unknown id.");

static PyObject *
channel_destroy(PyObject *module, PyObject *arg)
{
    int64_t cid;
    if (parse_cid(arg, &cid) < 0) {
        return NULL;
    }
    pthread_mutex_lock(&ik_wait_mutex);
    ik_channel **link = &channels_head;
    while (*link != NULL && (*link)->id != cid) {
        link = &(*link)->next;
    }
    ik_channel *ch = *link;
    if (ch != NULL) {
        *link = ch->next;
        ch->next = NULL;
        ch->closed = 1;
        ch->destroyed = 1;
        free_items(ch);
        if (ch->refs == 0) {
            free_channel(ch);
        }
        else {
            pthread_cond_broadcast(&ch->not_empty);
            pthread_cond_broadcast(&ch->not_full);
        }
    }
    pthread_mutex_unlock(&ik_wait_mutex);
    if (ch == NULL) {
        return raise_status(ik_get_state(module), ST_NOTFOUND, cid, "channel_destroy");
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(channel_size_doc,
"channel_size(cid) -> int\n"
"\n"
"Number of items queued in channel `cid`.  Never blocks.\n"
"Raises ChannelNotFoundError for an unknown id.");

static PyObject *
channel_size(PyObject *module, PyObject *arg)
{
    int64_t cid;
    if (parse_cid(arg, &cid) < 0) {
        return NULL;
    }
    pthread_mutex_lock(&ik_wait_mutex);
    ik_channel *ch = find_channel(cid);
    Py_ssize_t n = ch != NULL ? ch->count : -1;
    pthread_mutex_unlock(&ik_wait_mutex);
    if (ch == NULL) {
        return raise_status(ik_get_state(module), ST_NOTFOUND, cid, "channel_size");
    }
    return PyLong_FromSsize_t(n);
}

PyDoc_STRVAR(channel_list_doc,
"channel_list() -> list[int]\n"
"\n"
"Ids of all channels not yet destroyed, oldest first.  Never blocks.\n"
"Raises MemoryError.");

static PyObject *
channel_list(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    int64_t *ids = NULL;
    Py_ssize_t n = 0, cap = 0;
    for (;;) {
        pthread_mutex_lock(&ik_wait_mutex);
        n = 0;
        for (ik_channel *ch = channels_head; ch != NULL; ch = ch->next) {
            if (n < cap) {
                ids[n] = ch->id;
            }
            n++;
        }
        pthread_mutex_unlock(&ik_wait_mutex);
        if (n <= cap) {
            break;
        }
        cap = n + 16;               /* allocate outside the mutex, then retry */
        int64_t *bigger = PyMem_Realloc(ids, (size_t)cap * sizeof(int64_t));
        if (bigger == NULL) {
            PyMem_Free(ids);
            return PyErr_NoMemory();
        }
        ids = bigger;
    }
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list != NULL && i < n; i++) {
        /* the table is newest first */
        PyObject *v = PyLong_FromLongLong(ids[n - 1 - i]);
        if (v == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, v);
    }
    PyMem_Free(ids);
    return list;
}

void
ik_channel_after_fork_child(void)
{
    /* Only the forking thread exists: nobody waits.  Items are kept. */
    for (ik_channel *ch = channels_head; ch != NULL; ch = ch->next) {
        ch->refs = 0;
        ch->recv_waiting = 0;
        ch->send_waiting = 0;
        (void)ik_cond_init(&ch->not_empty);
        (void)ik_cond_init(&ch->not_full);
    }
}

PyMethodDef ik_channel_methods[] = {
    {"channel_create", (PyCFunction)(void (*)(void))channel_create,
     METH_FASTCALL | METH_KEYWORDS, channel_create_doc},
    {"channel_send", (PyCFunction)(void (*)(void))channel_send,
     METH_FASTCALL | METH_KEYWORDS, channel_send_doc},
    {"channel_recv", (PyCFunction)(void (*)(void))channel_recv,
     METH_FASTCALL | METH_KEYWORDS, channel_recv_doc},
    {"channel_close", channel_close, METH_O, channel_close_doc},
    {"channel_destroy", channel_destroy, METH_O, channel_destroy_doc},
    {"channel_size", channel_size, METH_O, channel_size_doc},
    {"channel_list", channel_list, METH_NOARGS, channel_list_doc},
    {NULL, NULL, 0, NULL},
};
