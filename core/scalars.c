/* only_scalars(): whether a list or tuple holds nothing but immutable scalars.
 *
 * A pulled list or tuple of scalars crosses in slices, each marshalled without
 * shared references (interp_kernel._marshalling). That is only right when no
 * item can be shared between slices in a way that shows: this check decides it,
 * ~1 ns per item where the same test in Python costs ~13 ns (a 10**6-item pull
 * spends 1 ms on it instead of 13 ms, half the interpreter's side of the pull).
 */
#include "core.h"

static int
is_scalar(PyObject *item)
{
    return PyLong_CheckExact(item) || PyFloat_CheckExact(item)
        || PyUnicode_CheckExact(item) || PyBytes_CheckExact(item)
        || item == Py_None || PyBool_Check(item) || PyComplex_CheckExact(item);
}

PyDoc_STRVAR(only_scalars_doc,
"only_scalars(seq, /) -> bool\n"
"\n"
"True when every item of the list or tuple seq is exactly an int, float,\n"
"complex, str, bytes, bool or None (no subclass). Raises TypeError for\n"
"anything but a list or tuple. Runs no Python code.");

static PyObject *
only_scalars(PyObject *module, PyObject *seq)
{
    if (!PyList_CheckExact(seq) && !PyTuple_CheckExact(seq)) {
        return PyErr_Format(PyExc_TypeError, "only_scalars() takes a list or tuple, not %.100s",
                            Py_TYPE(seq)->tp_name);
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!is_scalar(items[i])) {
            Py_RETURN_FALSE;
        }
    }
    Py_RETURN_TRUE;
}

PyMethodDef ik_scalars_methods[] = {
    {"only_scalars", only_scalars, METH_O, only_scalars_doc},
    {NULL, NULL, 0, NULL},
};
