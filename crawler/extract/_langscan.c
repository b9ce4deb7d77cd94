/* Language id's byte walk (`crawler/extract/language.py`) in one pass: the DFA over a text's
 * UTF-8 bytes and the count of the features its states output, in first-seen order.
 *
 * Built by `make setup` with the cleaner's compiled modules (crawler/extract/boilerplate/
 * native.py); language.py uses it only when that build matches the sources, else its numpy
 * walk (the reference), which gives the same features and counts. The scores stay numpy's:
 * the counts as float32, np.log1p and the product with the model's rows are done as before,
 * so they are the same floats (tests/crawler/extract/test_language_scan.py).
 *
 * Every index is checked against its array's length: a model array of another shape makes
 * the call return -1 (the caller then takes the numpy path), never read out of bounds.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../c_buffer.h"

/* The walk is bound by memory latency, not instructions: the transition table (~39 MB) is
 * far larger than the caches, and each step's load needs the state the step before loaded.
 * So the bytes are cut into CHAINS pieces walked in lockstep (independent loads, in flight
 * together); piece c starts from the state a walk from state 0 over its WINDOW bytes before
 * reaches (the state after a byte depends only on the last few bytes: at most 6 in the
 * shipped model). That is then *checked*: each piece must start from the state the piece
 * before ended in, so the states are the sequential walk's; if not, it is walked again in
 * sequence. */
#define CHAINS 8
#define WINDOW 8

/* One step of the DFA from *state on `byte`; 0 if an index falls outside its array. */
static inline int step(const uint32_t *nm, const int64_t *rb, Py_ssize_t n_next,
                       Py_ssize_t n_states, uint32_t *state, unsigned char byte) {
    int64_t at = rb[*state] + byte;
    if (at < 0 || at >= n_next || nm[at] >= (uint64_t)n_states) return 0;
    *state = nm[at];
    return 1;
}

static int walk_in_sequence(const uint32_t *nm, const int64_t *rb, Py_ssize_t n_next,
                            Py_ssize_t n_states, const unsigned char *b, Py_ssize_t n,
                            uint32_t *states) {
    uint32_t state = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!step(nm, rb, n_next, n_states, &state, b[i])) return 0;
        states[i] = state;
    }
    return 1;
}

/* states[i] = the DFA's state after b[i], walking from state 0; 0 if an index falls outside
 * its array. */
static int walk(const uint32_t *nm, const int64_t *rb, Py_ssize_t n_next, Py_ssize_t n_states,
                const unsigned char *b, Py_ssize_t n, uint32_t *states) {
    if (n < CHAINS * 64) return walk_in_sequence(nm, rb, n_next, n_states, b, n, states);
    Py_ssize_t seg = (n + CHAINS - 1) / CHAINS, pos[CHAINS], end[CHAINS];
    uint32_t st[CHAINS], first[CHAINS];
    for (int c = 0; c < CHAINS; c++) {
        pos[c] = c * seg;
        end[c] = pos[c] + seg < n ? pos[c] + seg : n;
        st[c] = 0;
        for (Py_ssize_t i = c ? pos[c] - WINDOW : 0; i < pos[c]; i++)
            if (!step(nm, rb, n_next, n_states, &st[c], b[i]))
                return walk_in_sequence(nm, rb, n_next, n_states, b, n, states);
        first[c] = st[c];
    }
    for (Py_ssize_t i = 0; i < seg; i++)
        for (int c = 0; c < CHAINS; c++)
            if (pos[c] + i < end[c]) {
                if (!step(nm, rb, n_next, n_states, &st[c], b[pos[c] + i]))
                    return walk_in_sequence(nm, rb, n_next, n_states, b, n, states);
                states[pos[c] + i] = st[c];
            }
    for (int c = 1; c < CHAINS; c++)
        if (pos[c] < n && states[pos[c] - 1] != first[c])
            return walk_in_sequence(nm, rb, n_next, n_states, b, n, states);
    return 1;
}

PyDoc_STRVAR(feature_counts_doc,
"feature_counts(nextmove, rowbase, outputs, data, slots, features, counts, values=None)\n"
"-> int\n\n"
"Walks the DFA over the bytes `data` from state 0 (state = nextmove[rowbase[state] + byte])\n"
"and counts the features outputs[state] >= 0 in order of first occurrence: writes the k\n"
"distinct features to features[:k] (intp) and how often each occurs to counts[:k] (float32),\n"
"returns k. With `values` (float32), counts[j] is values[count] instead: a table of a\n"
"function of the count (language.py's np.log1p). `slots` (int32, one per feature, all -1) is scratch, left all -1. Returns -1\n"
"if an index falls outside its array (features and counts then hold nothing of use).");

static PyObject *feature_counts(PyObject *self, PyObject *args) {
    PyObject *o_next, *o_row, *o_out, *o_data, *o_slots, *o_feat, *o_count, *o_values = Py_None;
    if (!PyArg_ParseTuple(args, "OOOOOOO|O:feature_counts", &o_next, &o_row, &o_out, &o_data,
                          &o_slots, &o_feat, &o_count, &o_values))
        return NULL;
    Py_buffer next, row, out, data, slots, feat, count, values;
    Held held = {.got = 0};
    PyObject *result = NULL;
    int64_t *tally = NULL;
    if (hold_buffer(&held, o_next, &next, 4, "I", 0, "nextmove") < 0) goto done;
    if (hold_buffer(&held, o_row, &row, 8, "lq", 0, "rowbase") < 0) goto done;
    if (hold_buffer(&held, o_out, &out, 8, "lq", 0, "outputs") < 0) goto done;
    if (hold_buffer(&held, o_data, &data, 1, "Bbc", 0, "data") < 0) goto done;
    if (hold_buffer(&held, o_slots, &slots, 4, "i", 1, "slots") < 0) goto done;
    if (hold_buffer(&held, o_feat, &feat, sizeof(Py_ssize_t), "lqn", 1, "features") < 0) goto done;
    if (hold_buffer(&held, o_count, &count, 4, "f", 1, "counts") < 0) goto done;
    int mapped = o_values != Py_None;
    if (mapped) {
        if (hold_buffer(&held, o_values, &values, 4, "f", 0, "values") < 0) goto done;
    }

    const uint32_t *nm = next.buf;
    const int64_t *rb = row.buf, *op = out.buf;
    const unsigned char *b = data.buf;
    int32_t *slot = slots.buf;
    Py_ssize_t *fs = feat.buf;
    float *cs = count.buf;
    Py_ssize_t n = data.len, n_next = next.len / 4, n_slot = slots.len / 4;
    Py_ssize_t n_states = row.len / 8 < out.len / 8 ? row.len / 8 : out.len / 8;
    if (feat.len / (Py_ssize_t)sizeof(Py_ssize_t) < n || count.len / 4 < n) {
        PyErr_SetString(PyExc_ValueError, "features and counts must hold len(data) items");
        goto done;
    }
    tally = malloc(((size_t)n + 1) * (sizeof(int64_t) + sizeof(uint32_t)));
    if (!tally) {
        PyErr_NoMemory();
        goto done;
    }
    uint32_t *states = (uint32_t *)(tally + n + 1);
    Py_ssize_t k = 0;
    int ok = n_states > 0 && walk(nm, rb, n_next, n_states, b, n, states);
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        int64_t f = op[states[i]];
        if (f < 0) continue;
        if (f >= n_slot) {
            ok = 0;
            break;
        }
        int32_t s = slot[f];
        if (s < 0) {
            slot[f] = (int32_t)k;
            fs[k] = (Py_ssize_t)f;
            tally[k++] = 1;
        } else {
            tally[s]++;
        }
    }
    const float *table = mapped ? values.buf : NULL;
    Py_ssize_t n_values = mapped ? values.len / 4 : 0;
    for (Py_ssize_t j = 0; j < k; j++) {
        slot[fs[j]] = -1;
        if (!mapped)
            cs[j] = (float)tally[j]; /* numpy's int64 -> float32 cast: a C conversion */
        else if (tally[j] < n_values)
            cs[j] = table[tally[j]];
        else
            ok = 0;
    }
    result = PyLong_FromSsize_t(ok ? k : -1);
done:
    free(tally);
    release_buffers(&held);
    return result;
}

static PyMethodDef methods[] = {
    {"feature_counts", feature_counts, METH_VARARGS, feature_counts_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_langscan", "Language id's byte walk and feature count.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__langscan(void) { return PyModule_Create(&module); }
