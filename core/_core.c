/* Module definition of interp_kernel._core: multi-phase init, per-module state.
 *
 * Each interpreter that imports _core gets its own module object and state
 * (heap exception classes); the exec slot also registers the interpreter in the
 * process-wide registry (registry.c) so that interrupt() can reach it.
 */
#include "core.h"

PyDoc_STRVAR(module_doc,
"C core of interp_kernel: cross-interpreter interrupts and channels.\n"
"\n"
"Interpreter registry and interrupts\n"
"  interrupt(interp_id, thread_id=None) -> bool\n"
"  call_interruptible(func, /, *args, **kwargs)\n"
"  is_registered(interp_id) -> bool\n"
"\n"
"Channels: blocking FIFOs of bytes shared by all interpreters of the process\n"
"  channel_create(maxsize=0) -> int\n"
"  channel_send(cid, data, timeout=None)\n"
"  channel_recv(cid, timeout=None, watch=None) -> bytes\n"
"  channel_close(cid), channel_destroy(cid)\n"
"  channel_size(cid) -> int, channel_list() -> list[int]\n"
"  ChannelError, ChannelClosedError, ChannelNotFoundError\n"
"\n"
"Marshalling in slices\n"
"  sliceable(seq, start=0, stop=None) -> bool\n"
"\n"
"Every interpreter that imports this module is registered until it is\n"
"destroyed; interrupt() raises KeyboardInterrupt in a thread of any registered\n"
"interpreter, and also wakes that thread when it is blocked in a channel call.");

static int
add_exception(PyObject *module, PyObject **slot, const char *name,
              const char *doc, PyObject *bases)
{
    char qualname[128];
    PyOS_snprintf(qualname, sizeof(qualname), "interp_kernel._core.%s", name);
    *slot = PyErr_NewExceptionWithDoc(qualname, doc, bases, NULL);
    if (*slot == NULL) {
        return -1;
    }
    return PyModule_AddObjectRef(module, name, *slot);
}

/* `lambda: None`, called by ik_flush_async_exc(): entering a Python frame runs
 * the eval-breaker check, which raises a pending asynchronous exception. */
static PyObject *
make_check_async_exc(void)
{
    PyObject *code = Py_CompileString("lambda: None", "<interp_kernel._core>",
                                      Py_eval_input);
    if (code == NULL) {
        return NULL;
    }
    PyObject *globals = PyDict_New();
    if (globals == NULL) {
        Py_DECREF(code);
        return NULL;
    }
    PyObject *func = NULL;
    PyObject *builtins = PyEval_GetBuiltins();      /* borrowed */
    if (builtins == NULL || PyDict_SetItemString(globals, "__builtins__", builtins) == 0) {
        func = PyEval_EvalCode(code, globals, globals);
    }
    Py_DECREF(globals);
    Py_DECREF(code);
    return func;
}

static int
remember_main_thread(void)
{
    if (PyInterpreterState_Get() != PyInterpreterState_Main() || ik_main_thread_ident != 0) {
        return 0;
    }
    PyObject *thread = PyImport_ImportModule("_thread");
    if (thread == NULL) {
        return -1;
    }
    PyObject *ident = PyObject_CallMethod(thread, "_get_main_thread_ident", NULL);
    Py_DECREF(thread);
    if (ident == NULL) {
        /* Not fatal: without it the main thread just cannot be woken by Ctrl-C
         * while blocked in a channel call. */
        PyErr_Clear();
        return 0;
    }
    unsigned long tid = PyLong_AsUnsignedLong(ident);
    Py_DECREF(ident);
    if (tid == (unsigned long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    ik_main_thread_ident = tid;
    return 0;
}

/* fork(): only the forking thread survives in the child and CPython deletes
 * the subinterpreters there; our mutexes may have been held by other threads. */
static void
after_fork_child(void)
{
    ik_registry_after_fork_child();
    ik_wait_after_fork_child();
    ik_channel_after_fork_child();
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void
install_atfork(void)
{
    (void)pthread_atfork(NULL, NULL, after_fork_child);
}

static int
core_exec(PyObject *module)
{
    ik_registry_init();
    pthread_once(&atfork_once, install_atfork);

    ik_state *st = ik_get_state(module);

    if (add_exception(module, &st->ChannelError, "ChannelError",
                      "Base class of channel errors.", PyExc_Exception) < 0) {
        return -1;
    }
    if (add_exception(module, &st->ChannelClosedError, "ChannelClosedError",
                      "The channel was closed (and, for receivers, drained) or destroyed.",
                      st->ChannelError) < 0) {
        return -1;
    }
    PyObject *bases = PyTuple_Pack(2, st->ChannelError, PyExc_LookupError);
    if (bases == NULL) {
        return -1;
    }
    int rc = add_exception(module, &st->ChannelNotFoundError, "ChannelNotFoundError",
                           "No channel has this id (never created, or destroyed).",
                           bases);
    Py_DECREF(bases);
    if (rc < 0) {
        return -1;
    }
    st->check_async_exc = make_check_async_exc();
    if (st->check_async_exc == NULL) {
        return -1;
    }
    if (PyModule_AddFunctions(module, ik_interrupt_methods) < 0
        || PyModule_AddFunctions(module, ik_channel_methods) < 0
        || PyModule_AddFunctions(module, ik_scalars_methods) < 0) {
        return -1;
    }
    if (remember_main_thread() < 0) {
        return -1;
    }
    return ik_registry_add_current();
}

static int
core_traverse(PyObject *module, visitproc visit, void *arg)
{
    ik_state *st = ik_get_state(module);
    Py_VISIT(st->ChannelError);
    Py_VISIT(st->ChannelClosedError);
    Py_VISIT(st->ChannelNotFoundError);
    Py_VISIT(st->check_async_exc);
    return 0;
}

static int
core_clear(PyObject *module)
{
    ik_state *st = ik_get_state(module);
    Py_CLEAR(st->ChannelError);
    Py_CLEAR(st->ChannelClosedError);
    Py_CLEAR(st->ChannelNotFoundError);
    Py_CLEAR(st->check_async_exc);
    return 0;
}

static void
core_free(void *module)
{
    (void)core_clear((PyObject *)module);
}

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, core_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    /* The interrupt/wait handshake (wait.c) relies on the target's GIL to
     * order "register as waiter" against "decide how to deliver". */
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef core_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "interp_kernel._core",
    .m_doc = module_doc,
    .m_size = sizeof(ik_state),
    .m_methods = NULL,
    .m_slots = core_slots,
    .m_traverse = core_traverse,
    .m_clear = core_clear,
    .m_free = core_free,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    return PyModuleDef_Init(&core_def);
}
