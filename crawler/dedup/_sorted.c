/* What two shingle sets share (`crawler/dedup/minhash.py`'s `shared_count`), counted in one C
 * merge of the two sorted arrays instead of five numpy calls and a sortedness check: dedup asks
 * it three times for every candidate pair, and on a site whose pages share their wording a
 * page has dozens of candidates. `shared_counts`: one set against each of many (a row's
 * candidates), in one call.
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

/* Without branches on the values: they are random. */
static Py_ssize_t merge_count(const uint64_t *a, Py_ssize_t n, const uint64_t *b,
                              Py_ssize_t m) {
    Py_ssize_t i = 0, j = 0, count = 0;
    while (i < n && j < m) {
        uint64_t x = a[i], y = b[j];
        count += x == y;
        i += x <= y;
        j += y <= x;
    }
    return count;
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
    Py_ssize_t n = va.len / 8, m = vb.len / 8;
    if (!ascending(a, n) || !ascending(b, m)) {
        result = PyLong_FromLong(-1);
        goto done;
    }
    result = PyLong_FromSsize_t(merge_count(a, n, b, m));
done:
    release_buffers(&held);
    return result;
}

PyDoc_STRVAR(shared_counts_doc,
"shared_counts(a, sets, out) -> int\n\n"
"out[j] = how many values a and sets[j] both hold (arrays of uint64), for each j; out[j] = -1\n"
"when sets[j] is not strictly ascending. Returns -1 (out untouched) when a is not, else 0.");

static PyObject *shared_counts(PyObject *self, PyObject *args) {
    PyObject *o_a, *o_sets, *o_out;
    if (!PyArg_ParseTuple(args, "OOO:shared_counts", &o_a, &o_sets, &o_out)) return NULL;
    Py_buffer va, vout;
    Held held = {.got = 0};
    PyObject *result = NULL, *sets = NULL;
    if (hold_buffer(&held, o_a, &va, 8, "LQ", 0, "a") < 0) goto done;
    if (hold_buffer(&held, o_out, &vout, 8, "lq", 1, "out") < 0) goto done;
    sets = PySequence_Fast(o_sets, "sets: a sequence of arrays expected");
    if (sets == NULL) goto done;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(sets);
    if (vout.len / 8 < count) {
        PyErr_SetString(PyExc_ValueError, "out: fewer items than sets");
        goto done;
    }
    const uint64_t *a = va.buf;
    Py_ssize_t n = va.len / 8;
    if (!ascending(a, n)) {
        result = PyLong_FromLong(-1);
        goto done;
    }
    int64_t *out = vout.buf;
    PyObject **items = PySequence_Fast_ITEMS(sets);
    for (Py_ssize_t k = 0; k < count; k++) {
        Py_buffer vb;
        if (get_buffer(items[k], &vb, 8, "LQ", 0, "sets[j]") < 0) goto done;
        const uint64_t *b = vb.buf;
        Py_ssize_t m = vb.len / 8;
        out[k] = ascending(b, m) ? merge_count(a, n, b, m) : -1;
        PyBuffer_Release(&vb);
    }
    result = PyLong_FromLong(0);
done:
    Py_XDECREF(sets);
    release_buffers(&held);
    return result;
}

static PyMethodDef methods[] = {
    {"shared_count", shared_count, METH_VARARGS, shared_count_doc},
    {"shared_counts", shared_counts, METH_VARARGS, shared_counts_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_sorted", "What two sorted shingle sets share.", -1, methods,
};

PyMODINIT_FUNC PyInit__sorted(void) { return PyModule_Create(&module); }
