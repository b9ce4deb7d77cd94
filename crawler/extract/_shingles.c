/* A page's k-word shingle hashes and its MinHash signature (`crawler/dedup/minhash.py`), each
 * in one C pass instead of a dozen numpy calls over a few hundred values; and the word tokens
 * of an ASCII text joined by spaces, which both are made of (`crawler/extract/normalize.py`).
 *
 * Built by `make setup` with the cleaner's compiled modules (crawler/extract/boilerplate/
 * native.py); minhash.py and normalize.py use it only when that build matches the sources,
 * else their numpy and str code (the reference), which give the same tokens and, in integer
 * arithmetic modulo 2**64, the same bits (tests/crawler/extract/test_shingles_c.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BASE 0x9E3779B97F4A7C15ULL /* minhash._BASE */

#include "../c_buffer.h"

/* murmur3's 64-bit finalizer (minhash._fmix64). */
static inline uint64_t fmix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 33);
}

/* BASE**e modulo 2**64: from a table for the lengths of most shingles, else by squaring. */
#define POWERS 1024
static uint64_t powers[POWERS];

static inline uint64_t power(Py_ssize_t e) {
    if (e < POWERS) return powers[e];
    uint64_t result = 1, base = BASE;
    for (uint64_t x = (uint64_t)e; x; x >>= 1) {
        if (x & 1) result *= base;
        base *= base;
    }
    return result;
}

PyDoc_STRVAR(shingle_hashes_doc,
"shingle_hashes(data, k, out) -> int\n\n"
"The hash of each k-word shingle of `data` (UTF-8 bytes of word tokens joined by single\n"
"spaces; the whole of it if it has fewer than k words), in order, into `out` (uint64, at\n"
"least as many items as `data` has words); returns how many. A span's hash is minhash's\n"
"`_span_hashes`: sum of byte * BASE**(bytes after it) modulo 2**64, xor its length << 40,\n"
"through fmix64. k >= 1; empty data has no shingle.");

static PyObject *shingle_hashes(PyObject *self, PyObject *args) {
    PyObject *o_data, *o_out;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "OnO:shingle_hashes", &o_data, &k, &o_out)) return NULL;
    if (k < 1) {
        PyErr_SetString(PyExc_ValueError, "k must be at least 1");
        return NULL;
    }
    Py_buffer data, out;
    if (get_buffer(o_data, &data, 1, "Bbc", 0, "data") < 0) return NULL;
    if (get_buffer(o_out, &out, 8, "LQ", 1, "out") < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    PyObject *result = NULL;
    const unsigned char *b = data.buf;
    Py_ssize_t n = data.len, words = n ? 1 : 0;
    for (Py_ssize_t i = 0; i < n; i++) words += b[i] == ' ';
    uint64_t *prefix = NULL;
    if (words == 0) {
        result = PyLong_FromSsize_t(0);
        goto done;
    }
    if (out.len / 8 < words) {
        PyErr_SetString(PyExc_ValueError, "out must hold one item per word");
        goto done;
    }
    /* at each word's start and end, the hash of the bytes before it (Horner's prefix,
     * modulo 2**64): a span's hash is then P[end] - P[begin] * BASE**(end - begin) */
    prefix = malloc(((size_t)words * 2) * (sizeof(uint64_t) + sizeof(Py_ssize_t)));
    if (!prefix) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t *at = (Py_ssize_t *)(prefix + 2 * words); /* the byte offsets of those */
    uint64_t acc = 0;
    Py_ssize_t w = 0;
    prefix[0] = 0;
    at[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (b[i] == ' ') {
            prefix[2 * w + 1] = acc; /* word w ends here */
            at[2 * w + 1] = i;
            w++;
            acc = acc * BASE + b[i];
            prefix[2 * w] = acc; /* word w starts after the space */
            at[2 * w] = i + 1;
        } else {
            acc = acc * BASE + b[i];
        }
    }
    prefix[2 * w + 1] = acc;
    at[2 * w + 1] = n;
    if (k > words) k = words;
    Py_ssize_t shingles = words - k + 1;
    uint64_t *h = out.buf;
    for (Py_ssize_t s = 0; s < shingles; s++) {
        Py_ssize_t begin = at[2 * s], end = at[2 * (s + k - 1) + 1];
        uint64_t span = prefix[2 * (s + k - 1) + 1] - prefix[2 * s] * power(end - begin);
        h[s] = fmix64(span ^ ((uint64_t)(end - begin) << 40));
    }
    result = PyLong_FromSsize_t(shingles);
done:
    free(prefix);
    PyBuffer_Release(&out);
    PyBuffer_Release(&data);
    return result;
}

PyDoc_STRVAR(min_hashes_doc,
"min_hashes(shingles, a, b, out) -> None\n\n"
"out[p] = the top 32 bits of min over x in `shingles` of (a[p] * x + b[p]) mod 2**64\n"
"(`MinHasher.signature` of a non-empty set). shingles, a, b: uint64; out: uint32, as many\n"
"items as a and b.");

static PyObject *min_hashes(PyObject *self, PyObject *args) {
    PyObject *o_x, *o_a, *o_b, *o_out;
    if (!PyArg_ParseTuple(args, "OOOO:min_hashes", &o_x, &o_a, &o_b, &o_out)) return NULL;
    Py_buffer x, a, b, out;
    Py_buffer *views[4] = {&x, &a, &b, &out};
    int got = 0;
    PyObject *result = NULL;
    uint64_t *low = NULL;
    if (get_buffer(o_x, &x, 8, "LQ", 0, "shingles") < 0) goto done;
    got++;
    if (get_buffer(o_a, &a, 8, "LQ", 0, "a") < 0) goto done;
    got++;
    if (get_buffer(o_b, &b, 8, "LQ", 0, "b") < 0) goto done;
    got++;
    if (get_buffer(o_out, &out, 4, "IL", 1, "out") < 0) goto done;
    got++;
    Py_ssize_t perms = a.len / 8, n = x.len / 8;
    if (b.len / 8 != perms || out.len / 4 != perms || n == 0) {
        PyErr_SetString(PyExc_ValueError, "a, b and out must be as long; shingles not empty");
        goto done;
    }
    low = malloc((size_t)perms * sizeof(uint64_t));
    if (!low) {
        PyErr_NoMemory();
        goto done;
    }
    const uint64_t *xs = x.buf, *as = a.buf, *bs = b.buf;
    for (Py_ssize_t p = 0; p < perms; p++) low[p] = UINT64_MAX;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t v = xs[i];
        for (Py_ssize_t p = 0; p < perms; p++) {
            uint64_t hv = as[p] * v + bs[p];
            low[p] = hv < low[p] ? hv : low[p];
        }
    }
    uint32_t *o = out.buf;
    for (Py_ssize_t p = 0; p < perms; p++) o[p] = (uint32_t)(low[p] >> 32);
    result = Py_NewRef(Py_None);
done:
    free(low);
    for (int i = 0; i < got; i++) PyBuffer_Release(views[i]);
    return result;
}

PyDoc_STRVAR(ascii_tokens_doc,
"ascii_tokens(text) -> (str, int)\n\n"
"An ASCII text's word tokens (runs of [A-Za-z0-9_], lower-cased) joined by single spaces,\n"
"and how many there are: `normalize.tokens`' ASCII path (lower, every other character a\n"
"space, split) without a string per token. ValueError if the text is not ASCII.");

static PyObject *ascii_tokens(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) {
        PyErr_SetString(PyExc_ValueError, "an ASCII str expected");
        return NULL;
    }
    const unsigned char *t = PyUnicode_1BYTE_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg), len = 0, count = 0;
    char *buf = PyMem_Malloc((size_t)n + 1);
    if (!buf) return PyErr_NoMemory();
    int in_word = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = t[i];
        int word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (c >= 'A' && c <= 'Z') {
            c += 'a' - 'A';
            word = 1;
        }
        if (word) {
            if (!in_word) {
                if (count++) buf[len++] = ' ';
                in_word = 1;
            }
            buf[len++] = (char)c;
        } else {
            in_word = 0;
        }
    }
    PyObject *joined = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, buf, len);
    PyMem_Free(buf);
    if (!joined) return NULL;
    return Py_BuildValue("(Nn)", joined, count);
}

static PyMethodDef methods[] = {
    {"ascii_tokens", ascii_tokens, METH_O, ascii_tokens_doc},
    {"shingle_hashes", shingle_hashes, METH_VARARGS, shingle_hashes_doc},
    {"min_hashes", min_hashes, METH_VARARGS, min_hashes_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_shingles", "Shingle hashes and MinHash signatures.", -1, methods,
};

PyMODINIT_FUNC PyInit__shingles(void) {
    powers[0] = 1;
    for (int i = 1; i < POWERS; i++) powers[i] = powers[i - 1] * BASE;
    return PyModule_Create(&module);
}
