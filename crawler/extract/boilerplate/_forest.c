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
/* a * b + c must round twice, as numpy's separate operations do (never one fused step) */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
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

/* The rows of a page (`learned.line_rows`) but for their log1p / expm1 columns, which numpy
 * computes (its SIMD versions are not the C library's: they round some values otherwise).
 *
 * rows(x, n_cols, f, e, freq, units, total, start, end, layout, run_units): x (n, n_cols)
 * float64 of zeros but for `own` columns 0, 1 (log chars, log units) and 22 (log other
 * pages), filled by numpy; f (n, 19) the raw features (`_RAW_FEATURES`); e (n, 8) per line:
 * repeats, chrome, recurring, score, in_nav, in_section, chrome class (-1: none), reason
 * class (-1: kept); freq (n) the line's pages in the ingest; units (n) = expm1(log units); total = its numpy sum; layout = the first
 * column of each block (chrome, pos, reason, shift, sums, page, recur), the class count of
 * the chrome and the reason one-hots, the reason class of the headline. Writes the run sums
 * of units (`_recurrence_context`'s bincount) to run_units (n) for numpy's log1p; the page's
 * two log1p columns and that one are left to the caller. Each value is computed as the numpy
 * reference computes it: the same operations on doubles in the same order (cumulative sums
 * and bincounts left to right; every other sum is of 0/1 values, exact in any order). */
#define OWN 27
#define RAW 19
#define EXT 8
static const int window[6] = {-3, -2, -1, 1, 2, 3};
static const int ctx[5] = {1, 15, 24, 20, 25}; /* log_units, prose_like, run_score, chrome, in_nav */

static void window_bounds(Py_ssize_t n, Py_ssize_t w, Py_ssize_t k, Py_ssize_t *lo, Py_ssize_t *hi) {
    Py_ssize_t h = w / 2, a = k - h, b = k + h + 1;
    *lo = a < 0 ? 0 : (a > n ? n : a);
    *hi = b < 0 ? 0 : (b > n ? n : b);
}

/* numpy's np.concatenate([[0.0], np.cumsum(v)]): c[1] is v[0] itself */
static void cumsum0(const double *v, Py_ssize_t stride, Py_ssize_t n, double *c) {
    c[0] = 0.0;
    if (n > 0) c[1] = v[0];
    for (Py_ssize_t i = 1; i < n; i++) c[i + 1] = c[i] + v[i * stride];
}

static PyObject *rows(PyObject *self, PyObject *args) {
    PyObject *ox, *of, *oe, *oq, *ou, *olayout, *orun;
    Py_ssize_t n_cols, start, end;
    double total;
    if (!PyArg_ParseTuple(args, "OnOOOOdnnOO", &ox, &n_cols, &of, &oe, &oq, &ou, &total, &start,
                          &end, &olayout, &orun)) {
        return NULL;
    }
    Py_ssize_t at_chrome, at_pos, at_reason, at_shift, at_sums, at_page, at_recur, n_chrome,
        n_reason, title;
    if (!PyArg_ParseTuple(olayout, "nnnnnnnnnn", &at_chrome, &at_pos, &at_reason, &at_shift,
                          &at_sums, &at_page, &at_recur, &n_chrome, &n_reason, &title)) {
        return NULL;
    }
    if (at_chrome != OWN || at_pos != at_chrome + n_chrome || at_reason != at_pos + 6 ||
        at_shift != at_reason + n_reason || at_sums != at_shift + 36 ||
        at_page != at_sums + 5 || at_recur != at_page + 4 || n_cols != at_recur + 6) {
        PyErr_SetString(PyExc_ValueError, "rows: layout does not agree");
        return NULL;
    }
    Py_buffer bx, bf, be, bq, bu, br;
    int have = 0;
    PyObject *result = NULL;
    double *c = NULL;
    if (get(ox, &bx, PyBUF_FORMAT | PyBUF_WRITABLE, 8, "x") == 0) have |= 1; else goto done;
    if (get(of, &bf, PyBUF_FORMAT, 8, "f") == 0) have |= 2; else goto done;
    if (get(oe, &be, PyBUF_FORMAT, 8, "e") == 0) have |= 4; else goto done;
    if (get(ou, &bu, PyBUF_FORMAT, 8, "units") == 0) have |= 8; else goto done;
    if (get(oq, &bq, PyBUF_FORMAT, 8, "freq") == 0) have |= 32; else goto done;
    if (get(orun, &br, PyBUF_FORMAT | PyBUF_WRITABLE, 8, "run_units") == 0) have |= 16; else goto done;
    if (strcmp(bx.format, "d") || strcmp(bf.format, "d") || strcmp(be.format, "d") ||
        strcmp(bu.format, "d") || strcmp(br.format, "d") || strcmp(bq.format, "d")) {
        PyErr_SetString(PyExc_TypeError, "rows: arrays must be float64");
        goto done;
    }
    const Py_ssize_t n = bu.len / 8;
    if (bx.len / 8 != n * n_cols || bf.len / 8 != n * RAW || be.len / 8 != n * EXT ||
        br.len / 8 != n || bq.len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "rows: array sizes do not agree");
        goto done;
    }
    double *x = (double *)bx.buf, *run = (double *)br.buf;
    const double *f = (const double *)bf.buf, *e = (const double *)be.buf;
    const double *u = (const double *)bu.buf, *q = (const double *)bq.buf;
    for (Py_ssize_t k = 0; k < n; k++) { /* the classes first: nothing is written if one is bad */
        double ch = e[k * EXT + 6], re = e[k * EXT + 7];
        if ((ch != -1.0 && !(ch >= 0 && ch < n_chrome && ch == (Py_ssize_t)ch)) ||
            (re != -1.0 && !(re >= 0 && re < n_reason && re == (Py_ssize_t)re))) {
            PyErr_SetString(PyExc_IndexError, "rows: a chrome or reason class is out of range");
            goto done;
        }
    }
    c = PyMem_Malloc(sizeof(double) * (size_t)(n + 1));
    if (c == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* own (but 0, 1, 22), the one-hots, the position block */
    const double last = (double)(n - 1 > 1 ? n - 1 : 1);
    const double width = (double)(end - start > 1 ? end - start : 1);
    const double dstart = (double)start, dend = (double)end;
    for (Py_ssize_t k = 0; k < n; k++) {
        double *o = x + k * n_cols;
        const double *fk = f + k * RAW, *ek = e + k * EXT;
        o[2] = fk[2] / (fk[3] > 1.0 ? fk[3] : 1.0); /* np.maximum(1.0, words) */
        for (int j = 0; j < 9; j++) o[3 + j] = fk[4 + j];
        o[12] = fk[13] <= 10.0 ? fk[13] : 10.0;
        o[13] = fk[14] <= 20.0 ? fk[14] : 20.0;
        for (int j = 0; j < 4; j++) o[14 + j] = fk[15 + j];
        o[18] = ek[0] >= 2.0;
        o[19] = ek[0] >= 3.0;
        o[20] = ek[1];
        o[21] = ek[2];
        /* o[22]: numpy */
        o[23] = q[k] >= 3.0;
        o[24] = ek[3];
        o[25] = ek[4];
        o[26] = ek[5];
        if (ek[6] >= 0) o[at_chrome + (Py_ssize_t)ek[6]] = 1.0;
        const double idx = (double)k;
        double r;
        o[at_pos] = idx / last;
        r = (idx - dstart) / width;
        o[at_pos + 1] = r < -3.0 ? -3.0 : (r > 3.0 ? 3.0 : r);
        r = (idx - dend) / width;
        o[at_pos + 2] = r < -3.0 ? -3.0 : (r > 3.0 ? 3.0 : r);
        o[at_pos + 3] = (idx >= dstart) & (idx < dend);
        o[at_pos + 4] = ek[7] < 0 ? 1.0 : 0.0;
        o[at_pos + 5] = ek[7] == (double)title;
        if (ek[7] >= 0) o[at_reason + (Py_ssize_t)ek[7]] = 1.0;
    }
    /* the neighbours' context, -1 past the page's edges */
    for (Py_ssize_t k = 0; k < n; k++) {
        double *o = x + k * n_cols + at_shift;
        for (int w = 0; w < 6; w++) {
            Py_ssize_t at = k + window[w];
            for (int j = 0; j < 6; j++) {
                double v = -1.0;
                if (at >= 0 && at < n) v = x[at * n_cols + (j < 5 ? ctx[j] : at_pos + 4)];
                o[w * 6 + j] = v;
            }
        }
    }
    /* window sums of the score, window shares of prose */
    static const Py_ssize_t widths[3] = {5, 11, 21};
    cumsum0(e + 3, EXT, n, c);
    for (Py_ssize_t k = 0; k < n; k++) {
        for (int w = 0; w < 3; w++) {
            Py_ssize_t lo, hi;
            window_bounds(n, widths[w], k, &lo, &hi);
            x[k * n_cols + at_sums + w] = c[hi] - c[lo];
        }
    }
    cumsum0(x + 15, n_cols, n, c);
    double prose_total = 0.0, log_units_max = 0.0;
    for (Py_ssize_t k = 0; k < n; k++) {
        for (int w = 0; w < 2; w++) {
            Py_ssize_t lo, hi;
            window_bounds(n, widths[w], k, &lo, &hi);
            x[k * n_cols + at_sums + 3 + w] = (c[hi] - c[lo]) / (double)widths[w];
        }
        prose_total += x[k * n_cols + 15];
        double lu = x[k * n_cols + 1];
        if (k == 0 || lu > log_units_max) log_units_max = lu;
    }
    /* the page (its two log1p columns: numpy) */
    const double prose_mean = prose_total / (double)n;
    const double rel_by = 1e-9 > log_units_max ? 1e-9 : log_units_max;
    for (Py_ssize_t k = 0; k < n; k++) {
        double *o = x + k * n_cols;
        o[at_page + 1] = prose_mean;
        o[at_page + 3] = o[1] / rel_by;
    }
    /* recurrence: other = log other pages > 0 */
    double others = 0.0, both = 0.0;
    c[0] = 0.0;
    for (Py_ssize_t k = 0; k < n; k++) {
        double ok = x[k * n_cols + 22] > 0;
        others += ok;
        both += ok * x[k * n_cols + 15];
        c[k + 1] = k ? c[k] + ok : ok;
    }
    const double share = both / (prose_total > 1.0 ? prose_total : 1.0);
    const double by_total = total > 1.0 ? total : 1.0;
    Py_ssize_t first = 0;
    while (first < n) { /* one run of lines alike in recurring or not */
        const double ok = x[first * n_cols + 22] > 0;
        Py_ssize_t last_k = first;
        double ru = 0.0, rp = 0.0, rl = 0.0;
        while (last_k < n && (double)(x[last_k * n_cols + 22] > 0) == ok) {
            ru += u[last_k] * ok;
            rp += x[last_k * n_cols + 15] * ok;
            rl += ok;
            last_k++;
        }
        for (Py_ssize_t k = first; k < last_k; k++) {
            double *o = x + k * n_cols + at_recur;
            Py_ssize_t lo, hi;
            window_bounds(n, 5, k, &lo, &hi);
            o[0] = others / (double)n;
            o[1] = share;
            o[2] = (c[hi] - c[lo]) / (double)(hi - lo);
            run[k] = ru; /* o[3] = log1p(run units): numpy */
            o[4] = rp / (rl > 1.0 ? rl : 1.0);
            o[5] = ru / by_total;
        }
        first = last_k;
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(c);
    if (have & 1) PyBuffer_Release(&bx);
    if (have & 2) PyBuffer_Release(&bf);
    if (have & 4) PyBuffer_Release(&be);
    if (have & 8) PyBuffer_Release(&bu);
    if (have & 16) PyBuffer_Release(&br);
    if (have & 32) PyBuffer_Release(&bq);
    return result;
}

/* doubles(values, out): float(v) of each item of the list `values` into out (float64, as long
 * as the list): `PyFloat_AsDouble`, as `float()` and numpy's conversion of a bool, an int or
 * a float (array('d') parses each item's arguments, ten times slower). */
static PyObject *doubles(PyObject *self, PyObject *args) {
    PyObject *values, *oout;
    if (!PyArg_ParseTuple(args, "O!O", &PyList_Type, &values, &oout)) {
        return NULL;
    }
    Py_buffer out;
    if (get(oout, &out, PyBUF_FORMAT | PyBUF_WRITABLE, 8, "out") < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    const Py_ssize_t n = PyList_GET_SIZE(values);
    if (strcmp(out.format, "d") != 0 || out.len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "doubles: out must be float64, as long as the list");
        goto done;
    }
    double *o = (double *)out.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PyList_GET_ITEM(values, i);
        double d;
        if (PyFloat_CheckExact(v)) {
            d = PyFloat_AS_DOUBLE(v);
        } else if (v == Py_True || v == Py_False) {
            d = v == Py_True ? 1.0 : 0.0;
        } else { /* an int: PyLong_AsDouble, as int.__float__ (no float object made) */
            d = PyLong_CheckExact(v) ? PyLong_AsDouble(v) : PyFloat_AsDouble(v);
            if (d == -1.0 && PyErr_Occurred()) goto done;
        }
        o[i] = d;
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"leaf_values", leaf_values, METH_VARARGS, "Every tree's leaf value of every row."},
    {"doubles", doubles, METH_VARARGS, "float() of each item of a list into a float64 buffer."},
    {"rows", rows, METH_VARARGS, "A page's rows but for their log1p / expm1 columns."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_forest", "The line model's trees in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__forest(void) { return PyModule_Create(&module); }
