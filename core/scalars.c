/* sliceable(): whether part of a list or tuple may be marshalled apart from the rest.
 *
 * A long list or tuple of scalars crosses between interpreters in slices, each
 * marshalled without shared references (interp_kernel._marshalling), which is only
 * right when no item is shared in a way that shows or that costs memory (a str held
 * twice would arrive as two): this check decides it, ~2 ns per item where the same test in Python
 * costs ~13 ns (a 10**6-item pull spent 13 ms of its 26 on it).
 */
#include "core.h"

/* A str or bytes held twice would arrive as two copies (pickle keeps it shared),
 * except the empty and one-character ones: CPython keeps a single copy of each. */
#define SINGLETON_SIZE 1

static int
sliceable_item(PyObject *item)
{
    if (PyLong_CheckExact(item) || PyFloat_CheckExact(item) || item == Py_None
            || PyBool_Check(item) || PyComplex_CheckExact(item)) {
        return 1;   /* pickle does not keep these shared either */
    }
    if (PyUnicode_CheckExact(item)) {
        return PyUnicode_GET_LENGTH(item) <= SINGLETON_SIZE || Py_REFCNT(item) == 1;
    }
    if (PyBytes_CheckExact(item)) {
        return PyBytes_GET_SIZE(item) <= SINGLETON_SIZE || Py_REFCNT(item) == 1;
    }
    return 0;
}

PyDoc_STRVAR(sliceable_doc,
"sliceable(seq, start=0, stop=None, /) -> bool\n"
"\n"
"True when every item of seq[start:stop] (seq a list or tuple) is exactly an int,\n"
"float, complex, str, bytes, bool or None (no subclass), and every str or bytes of\n"
"two or more characters or bytes among them is referenced by seq alone, once.\n"
"Raises TypeError for anything but a list or tuple.\n"
"Runs no Python code.");

static PyObject *
sliceable(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 3) {
        return PyErr_Format(PyExc_TypeError, "sliceable() takes 1 to 3 arguments (%zd given)", nargs);
    }
    PyObject *seq = args[0];
    if (!PyList_CheckExact(seq) && !PyTuple_CheckExact(seq)) {
        return PyErr_Format(PyExc_TypeError, "sliceable() takes a list or tuple, not %.100s",
                            Py_TYPE(seq)->tp_name);
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Py_ssize_t start = 0, stop = n;
    if (nargs > 1 && (start = PyNumber_AsSsize_t(args[1], PyExc_OverflowError)) == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (nargs > 2 && args[2] != Py_None
            && (stop = PyNumber_AsSsize_t(args[2], PyExc_OverflowError)) == -1 && PyErr_Occurred()) {
        return NULL;
    }
    start = start < 0 ? 0 : (start > n ? n : start);
    stop = stop < start ? start : (stop > n ? n : stop);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = start; i < stop; i++) {
        if (!sliceable_item(items[i])) {
            Py_RETURN_FALSE;
        }
    }
    Py_RETURN_TRUE;
}

PyMethodDef ik_scalars_methods[] = {
    {"sliceable", (PyCFunction)(void (*)(void))sliceable, METH_FASTCALL, sliceable_doc},
    {NULL, NULL, 0, NULL},
};
