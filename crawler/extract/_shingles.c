/* A page's k-word shingle hashes and its MinHash signature (`crawler/dedup/minhash.py`), each
 * in one C pass instead of a dozen numpy calls over a few hundred values; the word tokens
 * of a text joined by spaces, which both are made of, its word count and whether its white
 * space needs rewriting (`crawler/extract/normalize.py`);
 * and dedup's per-line figures of a page (`crawler/dedup/lines.py`: each line's tokens, token
 * and white-space word counts, sentence end; paragraph keys and shingles of chosen lines).
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

/* The hashes of the k-word shingles of b[0:n] (word tokens joined by single spaces, `words`
 * of them, words >= 1; the whole of it if it has fewer than k words) into h; returns how many.
 * `prefix` and `at` hold 2 * words items each (scratch). */
static Py_ssize_t hash_shingles(const unsigned char *b, Py_ssize_t n, Py_ssize_t words,
                                Py_ssize_t k, uint64_t *h, uint64_t *prefix, Py_ssize_t *at) {
    /* at each word's start and end, the hash of the bytes before it (Horner's prefix,
     * modulo 2**64): a span's hash is then P[end] - P[begin] * BASE**(end - begin) */
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
    for (Py_ssize_t s = 0; s < shingles; s++) {
        Py_ssize_t begin = at[2 * s], end = at[2 * (s + k - 1) + 1];
        uint64_t span = prefix[2 * (s + k - 1) + 1] - prefix[2 * s] * power(end - begin);
        h[s] = fmix64(span ^ ((uint64_t)(end - begin) << 40));
    }
    return shingles;
}

/* The hash of the bytes b[0:n] as one span (minhash._span_hashes). */
static inline uint64_t hash_span(const unsigned char *b, Py_ssize_t n) {
    uint64_t acc = 0;
    for (Py_ssize_t i = 0; i < n; i++) acc = acc * BASE + b[i];
    return fmix64(acc ^ ((uint64_t)n << 40));
}

static Py_ssize_t count_words(const unsigned char *b, Py_ssize_t n) {
    Py_ssize_t words = n ? 1 : 0;
    for (Py_ssize_t i = 0; i < n; i++) words += b[i] == ' ';
    return words;
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
    Py_ssize_t n = data.len, words = count_words(b, n);
    uint64_t *prefix = NULL;
    if (words == 0) {
        result = PyLong_FromSsize_t(0);
        goto done;
    }
    if (out.len / 8 < words) {
        PyErr_SetString(PyExc_ValueError, "out must hold one item per word");
        goto done;
    }
    prefix = malloc(((size_t)words * 2) * (sizeof(uint64_t) + sizeof(Py_ssize_t)));
    if (!prefix) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t *at = (Py_ssize_t *)(prefix + 2 * words); /* the byte offsets of those */
    result = PyLong_FromSsize_t(hash_shingles(b, n, words, k, out.buf, prefix, at));
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
    Held held = {.got = 0};
    PyObject *result = NULL;
    uint64_t *low = NULL;
    if (hold_buffer(&held, o_x, &x, 8, "LQ", 0, "shingles") < 0) goto done;
    if (hold_buffer(&held, o_a, &a, 8, "LQ", 0, "a") < 0) goto done;
    if (hold_buffer(&held, o_b, &b, 8, "LQ", 0, "b") < 0) goto done;
    if (hold_buffer(&held, o_out, &out, 4, "IL", 1, "out") < 0) goto done;
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
    release_buffers(&held);
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

/* ASCII word bytes lower-cased, every other ASCII byte 0 (a separator); '\n' apart */
static unsigned char token_byte[128];

/* Whether c ends a sentence (lines.SENTENCE_END: . ! ? " ) and the curly closing quotes). */
static inline int sentence_end(Py_UCS4 c) {
    return c == '.' || c == '!' || c == '?' || c == '"' || c == ')' || c == 0x201D ||
           c == 0x2019;
}

PyDoc_STRVAR(line_figures_doc,
"line_figures(text, tokens, out) -> bytes | None\n\n"
"A text's lines (`text.split('\\n')`) in one pass, into `out` (int64, shape (5, lines)):\n"
"row 3 each line's white-space words (`len(line.split())`), row 4 whether it ends a sentence\n"
"(`line.rstrip().endswith(lines.SENTENCE_END)`, 0 or 1). With `tokens` true (the text's\n"
"characters beyond ASCII are all separators: `lines._ascii_tokens`), also each line's word\n"
"tokens (runs of [A-Za-z0-9_], lower-cased) joined by single spaces, the lines joined by\n"
"'\\n', returned as bytes, with row 0 and 1 each line's start and end in them and row 2 its\n"
"tokens; else rows 0-2 are left and None is returned.");

/* line_figures' walk over the text's characters of one kind (a constant where it is called:
 * the compiler makes one loop per kind); returns the token bytes written to buf. */
static inline __attribute__((always_inline)) Py_ssize_t
walk_lines(int kind, const void *chars, Py_ssize_t n, int tokens, char *buf, int64_t *starts,
           int64_t *ends, int64_t *counts, int64_t *words, int64_t *sentence) {
    Py_ssize_t len = 0, start = 0, line = 0, count = 0, wcount = 0;
    int in_token = 0, in_word = 0;
    Py_UCS4 last = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        Py_UCS4 c = i < n ? PyUnicode_READ(kind, chars, i) : '\n';
        if (c == '\n') {
            if (tokens) {
                starts[line] = start;
                ends[line] = len;
                counts[line] = count;
                if (i < n) buf[len++] = '\n';
                start = len;
            }
            words[line] = wcount;
            sentence[line] = sentence_end(last);
            line++;
            count = wcount = 0;
            in_token = in_word = 0;
            last = 0;
            continue;
        }
        if (Py_UNICODE_ISSPACE(c)) {
            in_word = 0;
        } else {
            wcount += !in_word;
            in_word = 1;
            last = c;
        }
        if (tokens) {
            unsigned char t = c < 128 ? token_byte[c] : 0;
            if (t) {
                if (!in_token) {
                    if (count++) buf[len++] = ' ';
                    in_token = 1;
                }
                buf[len++] = (char)t;
            } else {
                in_token = 0;
            }
        }
    }
    return len;
}

static PyObject *line_figures(PyObject *self, PyObject *args) {
    PyObject *text, *o_out;
    int tokens;
    if (!PyArg_ParseTuple(args, "UpO:line_figures", &text, &tokens, &o_out)) return NULL;
    Py_buffer out;
    if (get_buffer(o_out, &out, 8, "lq", 1, "out") < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *chars = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), lines = 1;
    if (kind == PyUnicode_1BYTE_KIND) {
        const char *p = chars, *end = p + n;
        while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            lines++;
            p++;
        }
    } else {
        for (Py_ssize_t i = 0; i < n; i++) lines += PyUnicode_READ(kind, chars, i) == '\n';
    }
    PyObject *data = NULL;
    char *buf = NULL;
    if (out.len / 8 != 5 * lines) {
        PyErr_SetString(PyExc_ValueError, "out must have shape (5, lines)");
        goto fail;
    }
    if (tokens) {
        data = PyBytes_FromStringAndSize(NULL, n);
        if (!data) goto fail;
        buf = PyBytes_AS_STRING(data);
    }
    int64_t *starts = out.buf, *ends = starts + lines, *counts = ends + lines;
    int64_t *words = counts + lines, *sentence = words + lines;
    Py_ssize_t len;
    if (kind == PyUnicode_1BYTE_KIND)
        len = walk_lines(PyUnicode_1BYTE_KIND, chars, n, tokens, buf, starts, ends, counts, words,
                         sentence);
    else if (kind == PyUnicode_2BYTE_KIND)
        len = walk_lines(PyUnicode_2BYTE_KIND, chars, n, tokens, buf, starts, ends, counts, words,
                         sentence);
    else
        len = walk_lines(PyUnicode_4BYTE_KIND, chars, n, tokens, buf, starts, ends, counts, words,
                         sentence);
    PyBuffer_Release(&out);
    if (!tokens) Py_RETURN_NONE;
    if (_PyBytes_Resize(&data, len) < 0) return NULL;
    return data;
fail:
    Py_XDECREF(data);
    PyBuffer_Release(&out);
    return NULL;
}

PyDoc_STRVAR(span_hashes_doc,
"span_hashes(data, starts, ends, out) -> None\n\n"
"out[j] = the hash of the bytes data[starts[j]:ends[j]] as one span (a shingle of all the\n"
"words of a line of token bytes: `minhash.span_hashes_of_lines`). starts, ends: int64; out:\n"
"uint64, as many items.");

static PyObject *span_hashes(PyObject *self, PyObject *args) {
    PyObject *o_data, *o_starts, *o_ends, *o_out;
    if (!PyArg_ParseTuple(args, "OOOO:span_hashes", &o_data, &o_starts, &o_ends, &o_out))
        return NULL;
    Py_buffer data, st, en, out;
    Held held = {.got = 0};
    PyObject *result = NULL;
    if (hold_buffer(&held, o_data, &data, 1, "Bbc", 0, "data") < 0) goto done;
    if (hold_buffer(&held, o_starts, &st, 8, "lq", 0, "starts") < 0) goto done;
    if (hold_buffer(&held, o_ends, &en, 8, "lq", 0, "ends") < 0) goto done;
    if (hold_buffer(&held, o_out, &out, 8, "LQ", 1, "out") < 0) goto done;
    Py_ssize_t m = st.len / 8;
    if (en.len / 8 != m || out.len / 8 != m) {
        PyErr_SetString(PyExc_ValueError, "starts, ends and out must be as long");
        goto done;
    }
    const int64_t *s = st.buf, *e = en.buf;
    for (Py_ssize_t j = 0; j < m; j++) {
        if (s[j] < 0 || e[j] < s[j] || e[j] > data.len) {
            PyErr_SetString(PyExc_ValueError, "a span outside data");
            goto done;
        }
    }
    const unsigned char *b = data.buf;
    uint64_t *h = out.buf;
    for (Py_ssize_t j = 0; j < m; j++) h[j] = hash_span(b + s[j], e[j] - s[j]);
    result = Py_NewRef(Py_None);
done:
    release_buffers(&held);
    return result;
}

PyDoc_STRVAR(span_shingles_doc,
"span_shingles(data, starts, ends, k, out, line_of) -> int\n\n"
"The k-word shingle hashes of the spans data[starts[j]:ends[j]] (word tokens joined by single\n"
"spaces; empty spans have none): with `line_of` an int64 array, of each span alone (the whole\n"
"span if it has fewer than k words), j written beside each hash; with None, of the non-empty\n"
"spans joined by single spaces, as one text (`shingle_hashes` of it). `out`: uint64, at least\n"
"as many items as the spans have words. Returns how many hashes.");

static PyObject *span_shingles(PyObject *self, PyObject *args) {
    PyObject *o_data, *o_starts, *o_ends, *o_out, *o_line;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "OOOnOO:span_shingles", &o_data, &o_starts, &o_ends, &k, &o_out,
                          &o_line))
        return NULL;
    if (k < 1) {
        PyErr_SetString(PyExc_ValueError, "k must be at least 1");
        return NULL;
    }
    int each = o_line != Py_None;
    Py_buffer data, st, en, out, ln;
    Held held = {.got = 0};
    PyObject *result = NULL;
    uint64_t *prefix = NULL;
    unsigned char *joined = NULL;
    if (hold_buffer(&held, o_data, &data, 1, "Bbc", 0, "data") < 0) goto done;
    if (hold_buffer(&held, o_starts, &st, 8, "lq", 0, "starts") < 0) goto done;
    if (hold_buffer(&held, o_ends, &en, 8, "lq", 0, "ends") < 0) goto done;
    if (hold_buffer(&held, o_out, &out, 8, "LQ", 1, "out") < 0) goto done;
    if (each) {
        if (hold_buffer(&held, o_line, &ln, 8, "lq", 1, "line_of") < 0) goto done;
    }
    Py_ssize_t m = st.len / 8;
    if (en.len / 8 != m || (each && ln.len != out.len)) {
        PyErr_SetString(PyExc_ValueError, "starts and ends, out and line_of must be as long");
        goto done;
    }
    const int64_t *s = st.buf, *e = en.buf;
    const unsigned char *b = data.buf;
    Py_ssize_t total = 0, most = 0, bytes = 0;
    for (Py_ssize_t j = 0; j < m; j++) {
        if (s[j] < 0 || e[j] < s[j] || e[j] > data.len) {
            PyErr_SetString(PyExc_ValueError, "a span outside data");
            goto done;
        }
        Py_ssize_t w = count_words(b + s[j], e[j] - s[j]);
        total += w;
        most = w > most ? w : most;
        bytes += e[j] - s[j] + 1;
    }
    if (out.len / 8 < total) {
        PyErr_SetString(PyExc_ValueError, "out must hold one item per word");
        goto done;
    }
    Py_ssize_t scratch = each ? most : total, made = 0;
    if (total == 0) {
        result = PyLong_FromSsize_t(0);
        goto done;
    }
    prefix = malloc(((size_t)scratch * 2) * (sizeof(uint64_t) + sizeof(Py_ssize_t)));
    if (!prefix) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t *at = (Py_ssize_t *)(prefix + 2 * scratch);
    uint64_t *h = out.buf;
    if (each) {
        int64_t *line_of = ln.buf;
        for (Py_ssize_t j = 0; j < m; j++) {
            Py_ssize_t size = e[j] - s[j];
            if (!size) continue;
            Py_ssize_t got_here =
                hash_shingles(b + s[j], size, count_words(b + s[j], size), k, h + made, prefix, at);
            for (Py_ssize_t x = 0; x < got_here; x++) line_of[made + x] = j;
            made += got_here;
        }
    } else {
        joined = malloc((size_t)bytes);
        if (!joined) {
            PyErr_NoMemory();
            goto done;
        }
        Py_ssize_t len = 0;
        for (Py_ssize_t j = 0; j < m; j++) {
            Py_ssize_t size = e[j] - s[j];
            if (!size) continue;
            if (len) joined[len++] = ' ';
            memcpy(joined + len, b + s[j], (size_t)size);
            len += size;
        }
        made = hash_shingles(joined, len, total, k, h, prefix, at);
    }
    result = PyLong_FromSsize_t(made);
done:
    free(joined);
    free(prefix);
    release_buffers(&held);
    return result;
}

PyDoc_STRVAR(run_lookup_doc,
"run_lookup(hashes, numbers, slots, shift, query, out, at) -> int\n\n"
"`minhash._Run.lookup_each` of `query` in a sorted run (hashes: uint64 ascending; numbers:\n"
"uint32; slots: uint32, slot j's entries from slots[j] to slots[j + 1], j the top bits of a\n"
"hash: hash >> shift): for each query hash in order, the numbers of the run's entries with\n"
"that hash in run order into `out` (uint32), its position in query into `at` (int64).\n"
"Returns how many matched; when more than `out` holds, only that count (call again with\n"
"room for them).");

static PyObject *run_lookup(PyObject *self, PyObject *args) {
    PyObject *o_hashes, *o_numbers, *o_slots, *o_query, *o_out, *o_at;
    unsigned int shift;
    if (!PyArg_ParseTuple(args, "OOOIOOO:run_lookup", &o_hashes, &o_numbers, &o_slots, &shift,
                          &o_query, &o_out, &o_at))
        return NULL;
    Py_buffer hs, ns, sl, qu, out, at;
    Held held = {.got = 0};
    PyObject *result = NULL;
    if (hold_buffer(&held, o_hashes, &hs, 8, "LQ", 0, "hashes") < 0) goto done;
    if (hold_buffer(&held, o_numbers, &ns, 4, "IL", 0, "numbers") < 0) goto done;
    if (hold_buffer(&held, o_slots, &sl, 4, "IL", 0, "slots") < 0) goto done;
    if (hold_buffer(&held, o_query, &qu, 8, "LQ", 0, "query") < 0) goto done;
    if (hold_buffer(&held, o_out, &out, 4, "IL", 1, "out") < 0) goto done;
    if (hold_buffer(&held, o_at, &at, 8, "lq", 1, "at") < 0) goto done;
    Py_ssize_t size = hs.len / 8, nslots = sl.len / 4 - 1, cap = out.len / 4;
    if (ns.len / 4 != size || at.len / 8 != cap || nslots < 1 || shift < 1 || shift > 63 ||
        ((uint64_t)nslots - 1) > (UINT64_MAX >> shift)) {
        PyErr_SetString(PyExc_ValueError, "a run's arrays, its slots and shift do not agree");
        goto done;
    }
    const uint64_t *h = hs.buf, *q = qu.buf;
    const uint32_t *num = ns.buf, *slot = sl.buf;
    uint32_t *o = out.buf;
    int64_t *a = at.buf;
    Py_ssize_t count = 0, m = qu.len / 8;
    for (Py_ssize_t j = 0; j < m; j++) {
        uint64_t s = q[j] >> shift;
        if ((Py_ssize_t)s >= nslots) continue; /* a hash beyond the directory: not in the run */
        Py_ssize_t lo = slot[s], hi = slot[s + 1];
        if (hi > size) hi = size;
        for (Py_ssize_t p = lo; p < hi; p++) {
            if (h[p] != q[j]) continue;
            if (count < cap) {
                o[count] = num[p];
                a[count] = j;
            }
            count++;
        }
    }
    result = PyLong_FromSsize_t(count);
done:
    release_buffers(&held);
    return result;
}

PyDoc_STRVAR(band_hashes_doc,
"band_hashes(signature, mult, salt, out) -> None\n\n"
"`minhash.band_hashes` of one signature (uint32): out[b] = salt[b] + sum over r of\n"
"signature[b * rows + r] * mult[r] modulo 2**64, rows = len(mult), b < len(salt) = len(out);\n"
"the signature holds at least len(salt) * rows items.");

static PyObject *band_hashes(PyObject *self, PyObject *args) {
    PyObject *o_sig, *o_mult, *o_salt, *o_out;
    if (!PyArg_ParseTuple(args, "OOOO:band_hashes", &o_sig, &o_mult, &o_salt, &o_out))
        return NULL;
    Py_buffer sig, mult, salt, out;
    Held held = {.got = 0};
    PyObject *result = NULL;
    if (hold_buffer(&held, o_sig, &sig, 4, "IL", 0, "signature") < 0) goto done;
    if (hold_buffer(&held, o_mult, &mult, 8, "LQ", 0, "mult") < 0) goto done;
    if (hold_buffer(&held, o_salt, &salt, 8, "LQ", 0, "salt") < 0) goto done;
    if (hold_buffer(&held, o_out, &out, 8, "LQ", 1, "out") < 0) goto done;
    Py_ssize_t rows = mult.len / 8, bands = salt.len / 8;
    if (out.len / 8 != bands || sig.len / 4 < bands * rows) {
        PyErr_SetString(PyExc_ValueError, "out must hold a hash per band, the signature its rows");
        goto done;
    }
    const uint32_t *v = sig.buf;
    const uint64_t *m = mult.buf, *a = salt.buf;
    uint64_t *o = out.buf;
    for (Py_ssize_t b = 0; b < bands; b++) {
        uint64_t acc = 0;
        for (Py_ssize_t r = 0; r < rows; r++) acc += (uint64_t)v[b * rows + r] * m[r];
        o[b] = acc + a[b];
    }
    result = Py_NewRef(Py_None);
done:
    release_buffers(&held);
    return result;
}

/* --- Unicode text: tokens, word counts and white space of a non-ASCII text ------------------
 * `normalize.py`'s regular expressions, one pass each: `\w` of a str pattern is
 * Py_UNICODE_ISALNUM or '_' and `\s` is Py_UNICODE_ISSPACE (CPython's _sre), and `_CJK` is
 * the five ranges below; tests/crawler/extract/test_shingles_c.py checks every code point. */

static inline int is_cjk(Py_UCS4 c) { /* normalize._CJK */
    return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) ||
           (c >= 0xF900 && c <= 0xFAFF);
}

static inline int is_word(Py_UCS4 c) { /* \w: an ASCII character from a table (the most met) */
    if (c < 128) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    return Py_UNICODE_ISALNUM(c);
}

PyDoc_STRVAR(word_tokens_doc,
"word_tokens(folded) -> (str, int)\n\n"
"The word tokens of a casefolded text joined by single spaces, and how many there are:\n"
"`\" \".join(_WORD.findall(_CJK.sub(lambda m: f\" {m.group()} \", folded)))` (runs of \\w,\n"
"each CJK character a token of its own) without a string per token.");

static PyObject *word_tokens(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "a str expected");
        return NULL;
    }
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg), len = 0, count = 0;
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * ((size_t)n * 2 + 1));
    if (!buf) return PyErr_NoMemory();
    int in_word = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!is_word(c)) {
            in_word = 0;
            continue;
        }
        int cjk = is_cjk(c);
        if (!in_word || cjk) {
            if (count++) buf[len++] = ' ';
        }
        buf[len++] = c;
        in_word = !cjk; /* a CJK character ends its token */
    }
    PyObject *joined = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, len);
    PyMem_Free(buf);
    if (!joined) return NULL;
    return Py_BuildValue("(Nn)", joined, count);
}

PyDoc_STRVAR(word_count_doc,
"word_count(text) -> int\n\n"
"`normalize.word_count`'s rule: the CJK characters, and the runs of \\w in the text with\n"
"those characters taken as separators.");

static PyObject *word_count(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "a str expected");
        return NULL;
    }
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg), count = 0;
    int in_word = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (is_cjk(c)) {
            count++;
            in_word = 0;
        } else if (is_word(c)) {
            count += !in_word;
            in_word = 1;
        } else {
            in_word = 0;
        }
    }
    return PyLong_FromSsize_t(count);
}

PyDoc_STRVAR(odd_spaces_doc,
"odd_spaces(text) -> bool\n\n"
"Whether `normalize._SPACE_RUNS` (`[^\\S\\n]{2,}|[^\\S\\n ]`) matches in the text: a white\n"
"space character other than \" \" and \"\\n\", or two spaces in a row.");

static PyObject *odd_spaces(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "a str expected");
        return NULL;
    }
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    int after_space = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == ' ') {
            if (after_space) Py_RETURN_TRUE;
            after_space = 1;
        } else if (c == '\n') {
            after_space = 0;
        } else if (Py_UNICODE_ISSPACE(c)) {
            Py_RETURN_TRUE;
        } else {
            after_space = 0;
        }
    }
    Py_RETURN_FALSE;
}

PyDoc_STRVAR(has_surrogates_doc,
"has_surrogates(text) -> bool\n\n"
"Whether the text holds a code point of U+D800-U+DFFF (which no UTF-8 encoder takes): none\n"
"can in a text of one byte per character, the others are read once, without encoding.");

static PyObject *has_surrogates(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "a str expected");
        return NULL;
    }
    int kind = PyUnicode_KIND(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *t = PyUnicode_2BYTE_DATA(arg);
        for (Py_ssize_t i = 0; i < n; i++)
            if ((t[i] & 0xF800) == 0xD800) Py_RETURN_TRUE;
    } else if (kind == PyUnicode_4BYTE_KIND) {
        const Py_UCS4 *t = PyUnicode_4BYTE_DATA(arg);
        for (Py_ssize_t i = 0; i < n; i++)
            if (t[i] >= 0xD800 && t[i] <= 0xDFFF) Py_RETURN_TRUE;
    }
    Py_RETURN_FALSE;
}

static PyMethodDef methods[] = {
    {"has_surrogates", has_surrogates, METH_O, has_surrogates_doc},
    {"word_tokens", word_tokens, METH_O, word_tokens_doc},
    {"word_count", word_count, METH_O, word_count_doc},
    {"odd_spaces", odd_spaces, METH_O, odd_spaces_doc},
    {"ascii_tokens", ascii_tokens, METH_O, ascii_tokens_doc},
    {"shingle_hashes", shingle_hashes, METH_VARARGS, shingle_hashes_doc},
    {"min_hashes", min_hashes, METH_VARARGS, min_hashes_doc},
    {"line_figures", line_figures, METH_VARARGS, line_figures_doc},
    {"span_hashes", span_hashes, METH_VARARGS, span_hashes_doc},
    {"span_shingles", span_shingles, METH_VARARGS, span_shingles_doc},
    {"run_lookup", run_lookup, METH_VARARGS, run_lookup_doc},
    {"band_hashes", band_hashes, METH_VARARGS, band_hashes_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_shingles", "Shingle hashes and MinHash signatures.", -1, methods,
};

PyMODINIT_FUNC PyInit__shingles(void) {
    powers[0] = 1;
    for (int i = 1; i < POWERS; i++) powers[i] = powers[i - 1] * BASE;
    for (int c = 0; c < 128; c++) {
        int word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        token_byte[c] = word ? (unsigned char)c : (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : 0;
    }
    return PyModule_Create(&module);
}
