/* Instances of a frozen dataclass made many at once, as its generated `__init__` makes them.
 *
 * A frozen dataclass's generated `__init__` sets each field with
 * `object.__setattr__(self, name, value)`, in field order: interpreted, ~1 us a field (the
 * cleaner makes a `Line` per line and a `Removal` per removed line). `instances(cls, names,
 * rows)` makes one instance per row with `cls.__new__(cls)` and `PyObject_GenericSetAttr` (what
 * `object.__setattr__` calls) of each name in order: the same object, for a class whose
 * `__init__` does nothing else. `frozen.py` checks that of a class before passing it here.
 *
 * Built by `make setup` with the mypyc modules (native.py); `frozen.py` uses it only when the
 * build matches the sources, else `[cls(*row) for row in rows]`.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *instances(PyObject *self, PyObject *args) {
    PyTypeObject *cls;
    PyObject *names, *rows;
    if (!PyArg_ParseTuple(args, "O!O!O!:instances", &PyType_Type, &cls, &PyTuple_Type, &names,
                          &PyList_Type, &rows))
        return NULL;
    if (cls->tp_new == NULL) {
        PyErr_SetString(PyExc_TypeError, "instances: the class cannot be instantiated");
        return NULL;
    }
    Py_ssize_t k = PyTuple_GET_SIZE(names);
    for (Py_ssize_t j = 0; j < k; j++) {
        if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(names, j))) {
            PyErr_SetString(PyExc_TypeError, "instances: the names must be str");
            return NULL;
        }
    }
    PyObject *empty = PyTuple_New(0);
    if (empty == NULL)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(rows);
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        Py_DECREF(empty);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i >= PyList_GET_SIZE(rows)) {  /* the list shrank meanwhile */
            PyErr_SetString(PyExc_RuntimeError, "instances: the rows changed size");
            goto fail;
        }
        PyObject *row = PyList_GET_ITEM(rows, i);
        if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) != k) {
            PyErr_Format(PyExc_TypeError, "instances: row %zd is not a tuple of %zd values", i, k);
            goto fail;
        }
        Py_INCREF(row);
        PyObject *obj = cls->tp_new(cls, empty, NULL);
        if (obj == NULL) {
            Py_DECREF(row);
            goto fail;
        }
        PyList_SET_ITEM(out, i, obj);
        for (Py_ssize_t j = 0; j < k; j++) {
            if (PyObject_GenericSetAttr(obj, PyTuple_GET_ITEM(names, j), PyTuple_GET_ITEM(row, j)) <
                0) {
                Py_DECREF(row);
                goto fail;
            }
        }
        Py_DECREF(row);
    }
    Py_DECREF(empty);
    return out;
fail:
    Py_DECREF(empty);
    Py_DECREF(out); /* the unset items are NULL: list_dealloc skips them */
    return NULL;
}

static PyMethodDef methods[] = {
    {"instances", instances, METH_VARARGS,
     "instances(cls, names, rows): cls.__new__(cls) per row, each name set to its value."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_frozen", "Frozen dataclass instances made many at once.", -1, methods,
};

PyMODINIT_FUNC PyInit__frozen(void) { return PyModule_Create(&module); }
