/* What two shingle sets share (`crawler/dedup/minhash.py`'s `shared_count`), counted in one C
 * merge of the two sorted arrays instead of five numpy calls and a sortedness check: dedup asks
 * it three times for every candidate pair, and on a site whose pages share their wording a
 * page has dozens of candidates.
 *
 * Built by `make setup` with the cleaner's compiled modules (crawler/extract/boilerplate/
 * native.py); minhash.py uses it only when that build matches the sources, else its numpy
 * code (the reference: tests/crawler/dedup/test_sorted_c.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "../c_buffer.h"

/* No early exit: the loop vectorizes, and an array not ascending is the rare case. */
static int ascending(const uint64_t *v, Py_ssize_t n) {
    int bad = 0;
    for (Py_ssize_t i = 1; i < n; i++) bad |= v[i] <= v[i - 1];
    return !bad;
}

PyDoc_STRVAR(shared_count_doc,
"shared_count(a, b) -> int\n\n"
"How many values two arrays of uint64 both hold, when each is strictly ascending; -1 when\n"
"either is not (the caller then counts another way).");

static PyObject *shared_count(PyObject *self, PyObject *args) {
    PyObject *o_a, *o_b;
    if (!PyArg_ParseTuple(args, "OO:shared_count", &o_a, &o_b)) return NULL;
    Py_buffer va, vb;
    Held held = {.got = 0};
    PyObject *result = NULL;
    if (hold_buffer(&held, o_a, &va, 8, "LQ", 0, "a") < 0) goto done;
    if (hold_buffer(&held, o_b, &vb, 8, "LQ", 0, "b") < 0) goto done;
    const uint64_t *a = va.buf, *b = vb.buf;
    Py_ssize_t n = va.len / 8, m = vb.len / 8, i = 0, j = 0, count = 0;
    if (!ascending(a, n) || !ascending(b, m)) {
        result = PyLong_FromLong(-1);
        goto done;
    }
    while (i < n && j < m) { /* without branches on the values: they are random */
        uint64_t x = a[i], y = b[j];
        count += x == y;
        i += x <= y;
        j += y <= x;
    }
    result = PyLong_FromSsize_t(count);
done:
    release_buffers(&held);
    return result;
}

static PyMethodDef methods[] = {
    {"shared_count", shared_count, METH_VARARGS, shared_count_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_sorted", "What two sorted shingle sets share.", -1, methods,
};

PyMODINIT_FUNC PyInit__sorted(void) { return PyModule_Create(&module); }
