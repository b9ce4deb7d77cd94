/* The line model's trees walked in one C pass over the rows (`learned.LineModel`).
 *
 * Built by `make setup` with the mypyc modules (native.py); `learned.py` uses it only when the
 * build matches the sources, else its numpy reference (`LineModel._leaf_values_np`), which
 * gives the same leaf values: a tree's leaf is the same whether every split is tested and the
 * answers packed into a code (numpy) or the path is walked (here), and a leaf value is copied,
 * never computed (tests/crawler/extract/boilerplate/test_learned_forest.py checks both on every
 * page of the eval sets and on random rows).
 *
 * Arrays come through the buffer protocol (numpy arrays, C-contiguous), so no numpy headers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static int get(PyObject *obj, Py_buffer *view, int flags, Py_ssize_t itemsize, const char *what) {
    if (PyObject_GetBuffer(obj, view, flags | PyBUF_C_CONTIGUOUS) < 0) {
        return -1;
    }
    if (view->itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "leaf_values: %s of items of %zd bytes", what, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* leaf_values(x, n_cols, cols, thr, leaf, depth, out): for every row r of x (float64, rows of
 * n_cols values) and every tree t (full binary trees of `depth` levels of splits in heap
 * order: 2**depth - 1 splits, 2**depth leaves), walk from the root (node i's children are
 * 2i+1, left, and 2i+2, taken when the row's value in column cols[t, i] (intp) is above
 * thr[t, i]) and write the leaf's value leaf[t, j] to out[r, t] (float64). */
static PyObject *leaf_values(PyObject *self, PyObject *args) {
    PyObject *ox, *ocols, *othr, *oleaf, *oout;
    Py_ssize_t n_cols, depth;
    if (!PyArg_ParseTuple(args, "OnOOOnO", &ox, &n_cols, &ocols, &othr, &oleaf, &depth, &oout)) {
        return NULL;
    }
    if (depth < 1 || depth > 30 || n_cols < 1) {
        PyErr_SetString(PyExc_ValueError, "leaf_values: depth in 1..30, n_cols >= 1");
        return NULL;
    }
    Py_buffer x, cols, thr, leaf, out;
    if (get(ox, &x, PyBUF_FORMAT, 8, "x") < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    int have = 0;
    if (get(ocols, &cols, PyBUF_FORMAT, (Py_ssize_t)sizeof(Py_ssize_t), "cols") == 0) have |= 1;
    else goto done;
    if (get(othr, &thr, PyBUF_FORMAT, 8, "thr") == 0) have |= 2;
    else goto done;
    if (get(oleaf, &leaf, PyBUF_FORMAT, 8, "leaf") == 0) have |= 4;
    else goto done;
    if (get(oout, &out, PyBUF_FORMAT | PyBUF_WRITABLE, 8, "out") == 0) have |= 8;
    else goto done;
    if (strcmp(x.format, "d") != 0 || strcmp(thr.format, "d") != 0 || strcmp(leaf.format, "d") != 0 ||
        strcmp(out.format, "d") != 0) {
        PyErr_SetString(PyExc_TypeError, "leaf_values: x, thr, leaf and out must be float64");
        goto done;
    }
    const Py_ssize_t n_nodes = ((Py_ssize_t)1 << depth) - 1, n_leaves = n_nodes + 1;
    const Py_ssize_t n_split = cols.len / (Py_ssize_t)sizeof(Py_ssize_t);
    const Py_ssize_t n_trees = n_split / n_nodes;
    const Py_ssize_t n_x = x.len / 8;
    if (x.len % 8 || n_x % n_cols || n_split != n_trees * n_nodes ||
        thr.len / 8 != n_split || leaf.len / 8 != n_trees * n_leaves) {
        PyErr_SetString(PyExc_ValueError, "leaf_values: array sizes do not agree");
        goto done;
    }
    const Py_ssize_t n_rows = n_x / n_cols;
    if (out.len / 8 != n_rows * n_trees) {
        PyErr_SetString(PyExc_ValueError, "leaf_values: out must be (rows, trees)");
        goto done;
    }
    const Py_ssize_t *c = (const Py_ssize_t *)cols.buf;
    for (Py_ssize_t i = 0; i < n_split; i++) {
        if (c[i] < 0 || c[i] >= n_cols) {
            PyErr_SetString(PyExc_IndexError, "leaf_values: a split's column is out of range");
            goto done;
        }
    }
    const double *xv = (const double *)x.buf, *tv = (const double *)thr.buf;
    const double *lv = (const double *)leaf.buf;
    double *ov = (double *)out.buf;
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        const double *row = xv + r * n_cols;
        double *o = ov + r * n_trees;
        for (Py_ssize_t t = 0; t < n_trees; t++) {
            const Py_ssize_t *tc = c + t * n_nodes;
            const double *tt = tv + t * n_nodes;
            Py_ssize_t node = 0;
            for (Py_ssize_t d = 0; d < depth; d++) {
                node = 2 * node + 1 + (row[tc[node]] > tt[node]);
            }
            o[t] = lv[t * n_leaves + (node - n_nodes)];
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&x);
    if (have & 1) PyBuffer_Release(&cols);
    if (have & 2) PyBuffer_Release(&thr);
    if (have & 4) PyBuffer_Release(&leaf);
    if (have & 8) PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"leaf_values", leaf_values, METH_VARARGS, "Every tree's leaf value of every row."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_forest", "The line model's trees in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__forest(void) { return PyModule_Create(&module); }
