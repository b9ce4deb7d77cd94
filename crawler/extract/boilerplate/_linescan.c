/* The per-line shape scans of `lines.py` as hand-written scanners, one pass over a line.
 *
 * Built by `make setup` with the mypyc modules (native.py); `lines.py` uses it only when the
 * build matches the sources, else its Python reference (`_shape_py`, `_fold_digits_py`),
 * which gives the same values (tests/crawler/extract/boilerplate/test_linescan.py checks every
 * distinct line of the eval sets and random Unicode text against it).
 *
 * Character classes are those of the `re` module on str patterns: \s is Py_UNICODE_ISSPACE,
 * \d is Py_UNICODE_ISDECIMAL, \w is Py_UNICODE_ISALNUM or "_"; str.isupper / islower /
 * isdigit / isalpha of one character are Py_UNICODE_ISUPPER / ISLOWER / ISDIGIT / ISALPHA.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* _CJK: [\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f] */
static inline int is_cjk(Py_UCS4 c) {
    return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) ||
           (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) ||
           (c >= 0xff66 && c <= 0xff9f);
}

/* _CASED_NON_LETTER */
static inline int is_cased_non_letter(Py_UCS4 c) {
    return c == 0x0345 || (c >= 0x2160 && c <= 0x217f) || (c >= 0x24b6 && c <= 0x24e9) ||
           (c >= 0x1f130 && c <= 0x1f149) || (c >= 0x1f150 && c <= 0x1f169) ||
           (c >= 0x1f170 && c <= 0x1f189);
}

/* _INNER_SENT: [.!?。！？] ["'”’)]* \s+ ["'“‘(]* [A-ZА-Я] */
static inline int is_sent_mark(Py_UCS4 c) {
    return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0xff01 || c == 0xff1f;
}
static inline int is_closer(Py_UCS4 c) {
    return c == '"' || c == '\'' || c == 0x201d || c == 0x2019 || c == ')';
}
static inline int is_opener(Py_UCS4 c) {
    return c == '"' || c == '\'' || c == 0x201c || c == 0x2018 || c == '(';
}
static inline int is_capital(Py_UCS4 c) {
    return (c >= 'A' && c <= 'Z') || (c >= 0x0410 && c <= 0x042f);
}

/* _CJK_INNER_SENT: [。！？](?=.) */
static inline int is_cjk_mark(Py_UCS4 c) { return c == 0x3002 || c == 0xff01 || c == 0xff1f; }

/* _SEPARATORS: \s(?:[|•·»›/]\s|\s+), counted (as in the reference) only in a line holding a
   " ": the only white space of a normalised line */
static inline int is_separator(Py_UCS4 c) {
    return c == '|' || c == 0x2022 || c == 0x00b7 || c == 0x00bb || c == 0x203a || c == '/';
}

/* _BULLET's first alternative: [-–—•·*▪►▶»›] */
static inline int is_bullet(Py_UCS4 c) {
    return c == '-' || c == 0x2013 || c == 0x2014 || c == 0x2022 || c == 0x00b7 || c == '*' ||
           c == 0x25aa || c == 0x25ba || c == 0x25b6 || c == 0x00bb || c == 0x203a;
}

/* _CLOSERS + " ": stripped from the end before the end-punctuation tests */
static inline int is_end_closer(Py_UCS4 c) {
    return c == '"' || c == '\'' || c == 0x201d || c == 0x2019 || c == 0x00bb || c == ')' ||
           c == ']' || c == 0xff09 || c == 0x300d || c == 0x300f || c == 0x3011 ||
           c == 0x203a || c == '*' || c == ' ';
}

/* _SENT_END: .!?。！？… */
static inline int is_sent_end(Py_UCS4 c) {
    return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0xff01 || c == 0xff1f ||
           c == 0x2026;
}

#define SPACE(c) Py_UNICODE_ISSPACE(c)

static Py_ssize_t inner_sentences(int kind, const void *d, Py_ssize_t n) {
    Py_ssize_t count = 0, i = 0;
    while (i < n) {
        if (is_sent_mark(PyUnicode_READ(kind, d, i))) {
            Py_ssize_t j = i + 1;
            while (j < n && is_closer(PyUnicode_READ(kind, d, j))) j++;
            if (j < n && SPACE(PyUnicode_READ(kind, d, j))) {
                while (j < n && SPACE(PyUnicode_READ(kind, d, j))) j++;
                while (j < n && is_opener(PyUnicode_READ(kind, d, j))) j++;
                if (j < n && is_capital(PyUnicode_READ(kind, d, j))) {
                    count++;
                    i = j + 1;
                    continue;
                }
            }
        }
        i++;
    }
    return count;
}

static Py_ssize_t separators(int kind, const void *d, Py_ssize_t n) {
    Py_ssize_t count = 0, i = 0;
    while (i < n) {
        if (SPACE(PyUnicode_READ(kind, d, i)) && i + 1 < n) {
            Py_UCS4 next = PyUnicode_READ(kind, d, i + 1);
            if (is_separator(next) && i + 2 < n && SPACE(PyUnicode_READ(kind, d, i + 2))) {
                count++;
                i += 3;
                continue;
            }
            if (SPACE(next)) {
                Py_ssize_t j = i + 2;
                while (j < n && SPACE(PyUnicode_READ(kind, d, j))) j++;
                count++;
                i = j;
                continue;
            }
        }
        i++;
    }
    return count;
}

static int bulleted(int kind, const void *d, Py_ssize_t n) {
    if (n == 0) return 0;
    Py_UCS4 first = PyUnicode_READ(kind, d, 0);
    if (is_bullet(first)) return n > 1 && SPACE(PyUnicode_READ(kind, d, 1));
    if (!Py_UNICODE_ISDECIMAL(first)) return 0;
    /* \d{1,2}[.)]\s : with two leading digits the mark follows them (backing off to one
       digit leaves a digit where the mark must be) */
    Py_ssize_t k = (n > 1 && Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, d, 1))) ? 2 : 1;
    if (k >= n) return 0;
    Py_UCS4 mark = PyUnicode_READ(kind, d, k);
    return (mark == '.' || mark == ')') && k + 1 < n && SPACE(PyUnicode_READ(kind, d, k + 1));
}

typedef struct {
    Py_ssize_t cjk, upper, cased, digits, inner, separators;
    int bulleted, end_punct, end_colon;
} Shape;

/* The shape counts of a (ready) str into *out. */
static void scan_shape(PyObject *arg, Shape *out) {
    int kind = PyUnicode_KIND(arg);
    const void *d = PyUnicode_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    Py_ssize_t cjk = 0, digits = 0, upper_all = 0, lower_all = 0, upper_alpha = 0,
               lower_alpha = 0, cjk_marks = 0;
    int special = 0, space = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        if (c < 128) {
            if (c >= 'A' && c <= 'Z') {
                upper_all++;
                upper_alpha++;
            } else if (c >= 'a' && c <= 'z') {
                lower_all++;
                lower_alpha++;
            } else if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == ' ') {
                space = 1;
            }
            continue;
        }
        if (is_cjk(c)) cjk++;
        if (is_cjk_mark(c) && i + 1 < n && PyUnicode_READ(kind, d, i + 1) != '\n') cjk_marks++;
        if (is_cased_non_letter(c)) special = 1;
        if (Py_UNICODE_ISDIGIT(c)) digits++;
        int up = Py_UNICODE_ISUPPER(c), low = Py_UNICODE_ISLOWER(c);
        upper_all += up;
        lower_all += low;
        if ((up || low) && Py_UNICODE_ISALPHA(c)) {
            if (up)
                upper_alpha++;
            else
                lower_alpha++;
        }
    }
    Py_ssize_t upper = special ? upper_alpha : upper_all;
    Py_ssize_t cased = upper + (special ? lower_alpha : lower_all);
    Py_ssize_t inner = inner_sentences(kind, d, n) + (cjk ? cjk_marks : 0);
    Py_ssize_t end = n;
    while (end > 0 && is_end_closer(PyUnicode_READ(kind, d, end - 1))) end--;
    int end_punct = 0, end_colon = 0;
    if (end > 0) {
        Py_UCS4 last = PyUnicode_READ(kind, d, end - 1);
        end_punct = is_sent_end(last);
        end_colon = last == ':' || last == 0xff1a;
    }
    out->cjk = cjk;
    out->upper = upper;
    out->cased = cased;
    out->digits = digits;
    out->inner = inner;
    out->separators = space ? separators(kind, d, n) : 0;
    out->bulleted = bulleted(kind, d, n);
    out->end_punct = end_punct;
    out->end_colon = end_colon;
}

/* shape(text) -> (cjk, upper, cased, digits, inner_sentences, separators, bulleted,
 *                 end_punct, end_colon); the same tuple as lines._shape_py */
static PyObject *shape(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "shape() needs a str");
        return NULL;
    }
    if (PyUnicode_READY(arg) < 0) return NULL;
    Shape sh;
    scan_shape(arg, &sh);
    return Py_BuildValue("(nnnnnnNNN)", sh.cjk, sh.upper, sh.cased, sh.digits, sh.inner,
                         sh.separators, PyBool_FromLong(sh.bulleted),
                         PyBool_FromLong(sh.end_punct), PyBool_FromLong(sh.end_colon));
}

/* [^\W\d_]: a word character that is neither a digit nor "_" */
static inline int is_fold_letter(Py_UCS4 c) {
    return c != '_' && Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c);
}

/* fold_digits(text) -> text with each run of \d made "0" if it holds three letters in a row
 * ([^\W\d_]{3}), else text itself; the same as lines._fold_digits_py */
static PyObject *fold_digits(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "fold_digits() needs a str");
        return NULL;
    }
    if (PyUnicode_READY(arg) < 0) return NULL;
    int kind = PyUnicode_KIND(arg);
    const void *d = PyUnicode_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    Py_ssize_t run = 0, i, digit_chars = 0;
    int word = 0;
    for (i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        if (Py_UNICODE_ISDECIMAL(c)) digit_chars++;
        if (!word) {
            run = is_fold_letter(c) ? run + 1 : 0;
            if (run >= 3) word = 1;
        }
    }
    if (!word || digit_chars == 0) return Py_NewRef(arg);
    Py_UCS4 *buf = PyMem_Malloc(n * sizeof(Py_UCS4));
    if (buf == NULL) return PyErr_NoMemory();
    Py_ssize_t o = 0;
    for (i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        if (Py_UNICODE_ISDECIMAL(c)) {
            buf[o++] = '0';
            while (i + 1 < n && Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, d, i + 1))) i++;
        } else {
            buf[o++] = c;
        }
    }
    /* the result's storage kind from its own characters (a str must be in its narrowest
       kind: strings of different kinds never compare equal) */
    PyObject *res = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, o);
    PyMem_Free(buf);
    return res;
}


/* ---- token counts: each token's five 0/1 counts (lines._token_bits) kept per token ---- */

/* An open-addressing table of tokens met (their str and their bits), keyed by the token's
   characters, so a line's tokens are looked up without making a str of each. Emptied when it
   holds TOKENS_MAX tokens (as lines._TOKENS is): the bits are a pure function of the token. */
#define TABLE_SLOTS (1 << 17)
#define TOKENS_MAX 50000
#define SAMPLE_MAX 10000 /* lines._TOKEN_SAMPLE */

typedef struct {
    uint64_t hash;
    PyObject *key; /* NULL: an empty slot */
    unsigned int bits;
} Slot;

static Slot *table = NULL;
static PyObject *packer = NULL; /* lines._token_bits, given once by set_packer */
static Py_ssize_t table_used = 0;

static void table_clear(void) {
    for (Py_ssize_t i = 0; i < TABLE_SLOTS; i++) {
        Py_CLEAR(table[i].key);
    }
    table_used = 0;
}

static inline int same_chars(PyObject *key, int kind, const void *d, Py_ssize_t start,
                             Py_ssize_t len) {
    if (PyUnicode_GET_LENGTH(key) != len) return 0;
    int kkind = PyUnicode_KIND(key);
    const void *kd = PyUnicode_DATA(key);
    if (kkind == kind)
        return memcmp(kd, (const char *)d + start * kind, (size_t)len * kind) == 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        if (PyUnicode_READ(kkind, kd, i) != PyUnicode_READ(kind, d, start + i)) return 0;
    }
    return 1;
}

/* The bits of text[start:start + len], asked of `packer` the first time; -1 on error. */
static long token_bits(PyObject *text, int kind, const void *d, Py_ssize_t start,
                       Py_ssize_t len, uint64_t hash) {
    size_t mask = TABLE_SLOTS - 1, i = (size_t)hash & mask;
    while (table[i].key != NULL) {
        if (table[i].hash == hash && same_chars(table[i].key, kind, d, start, len))
            return (long)table[i].bits;
        i = (i + 1) & mask;
    }
    PyObject *token = PyUnicode_Substring(text, start, start + len);
    if (token == NULL) return -1;
    PyObject *got = PyObject_CallOneArg(packer, token);
    if (got == NULL) {
        Py_DECREF(token);
        return -1;
    }
    long bits = PyLong_AsLong(got);
    Py_DECREF(got);
    if (bits == -1 && PyErr_Occurred()) {
        Py_DECREF(token);
        return -1;
    }
    if (table_used >= TOKENS_MAX) { /* else the probe above stopped at an empty slot */
        table_clear();
        i = (size_t)hash & mask;
    }
    while (table[i].key != NULL) i = (i + 1) & mask;
    table[i].hash = hash;
    table[i].key = token; /* the table's reference */
    table[i].bits = (unsigned int)bits;
    table_used++;
    return bits;
}

/* set_packer(f): f(token) gives a token's bits; the table is emptied (a new f, new bits) */
static PyObject *set_packer(PyObject *self, PyObject *arg) {
    if (!PyCallable_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "set_packer() needs a callable");
        return NULL;
    }
    if (table != NULL) table_clear();
    Py_XSETREF(packer, Py_NewRef(arg));
    Py_RETURN_NONE;
}

/* The token counts of a (ready) str into out: tokens, letter tokens, capitalised, other
 * non-empty tokens, function words, date words; -1 on error (packer's). */
static int count_tokens(PyObject *text, Py_ssize_t out[6]) {
    if (table == NULL) {
        table = PyMem_Calloc(TABLE_SLOTS, sizeof(Slot));
        if (table == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_ssize_t tokens = 0, counts[5] = {0, 0, 0, 0, 0};
    if (n > 0) {
        Py_ssize_t start = 0;
        uint64_t hash = 1469598103934665603ULL;
        for (Py_ssize_t i = 0; i <= n; i++) {
            Py_UCS4 c = i < n ? PyUnicode_READ(kind, d, i) : ' ';
            if (c != ' ') {
                hash = (hash ^ c) * 1099511628211ULL;
                continue;
            }
            if (tokens < SAMPLE_MAX) {
                long bits = token_bits(text, kind, d, start, i - start, hash);
                if (bits < 0) return -1;
                for (int k = 0; k < 5; k++) counts[k] += (bits >> k) & 1;
            }
            tokens++;
            start = i + 1;
            hash = 1469598103934665603ULL;
        }
    }
    Py_ssize_t sample = tokens < SAMPLE_MAX ? tokens : SAMPLE_MAX;
    /* bits: 1 letter token, 2 capitalised, 4 empty core, 8 function word, 16 date word */
    out[0] = tokens;
    out[1] = counts[0];
    out[2] = counts[1];
    out[3] = sample - counts[0] - counts[2];
    out[4] = counts[3];
    out[5] = counts[4];
    return 0;
}

/* token_stats(text) -> (tokens, letter tokens, of them capitalised, other non-empty tokens,
 * function words, date words) of text.split(" ") (no token for ""), the counts over its
 * first SAMPLE_MAX tokens. The same tuple as lines._token_stats_py. */
static PyObject *token_stats(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "token_stats() needs a str");
        return NULL;
    }
    if (packer == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "token_stats() before set_packer()");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0) return NULL;
    Py_ssize_t t[6];
    if (count_tokens(text, t) < 0) return NULL;
    return Py_BuildValue("(nnnnnn)", t[0], t[1], t[2], t[3], t[4], t[5]);
}

/* ---- a whole line's features (lines.features_of_normalized, lines without CJK) ---- */

#define DATE_MAX_CHARS 2000 /* lines._DATE_MAX_CHARS */

/* ---- the date test (lines._has_date) ---- */

/* `_has_date`'s regexes as scanners, exact for str patterns: \d is Py_UNICODE_ISDECIMAL, \w
 * is Py_UNICODE_ISALNUM or "_", \b as sre's SRE_AT_UNI_BOUNDARY, and `\d(?<!\w\d)` (a digit
 * not after a word character) as sre's look-behind, which looks before the search's start but
 * not before the string's. Each asks whether any match exists, trying every count the
 * regex's quantifiers allow. */
#define RD(i) PyUnicode_READ(kind, d, (i))

static inline int is_word(Py_UCS4 c) {
    if (c < 0x80) {
        Py_UCS4 low = c | 0x20;
        return (c >= '0' && c <= '9') || (low >= 'a' && low <= 'z') || c == '_';
    }
    return Py_UNICODE_ISALNUM(c);
}

static inline int is_decimal(Py_UCS4 c) {
    return c < 0x80 ? c >= '0' && c <= '9' : Py_UNICODE_ISDECIMAL(c);
}

static inline int word_at(int kind, const void *d, Py_ssize_t n, Py_ssize_t i) {
    return i >= 0 && i < n && is_word(RD(i));
}

static inline int at_boundary(int kind, const void *d, Py_ssize_t n, Py_ssize_t p) {
    if (n == 0) return 0;
    return word_at(kind, d, n, p - 1) != word_at(kind, d, n, p);
}

static inline int decimals(int kind, const void *d, Py_ssize_t n, Py_ssize_t from, Py_ssize_t k) {
    /* text[from:from + k] is k characters, all \d */
    if (from + k > n) return 0;
    for (Py_ssize_t j = from; j < from + k; j++)
        if (!is_decimal(RD(j))) return 0;
    return 1;
}

static inline int is_date_sep(Py_UCS4 c) { return c == '.' || c == '/' || c == '-'; }

/* \d(?<!\w\d)\d{0,3}[./\-]\d{1,2}[./\-]\d{1,4}\b from position i */
static int numeric_date_at(int kind, const void *d, Py_ssize_t n, Py_ssize_t i) {
    for (Py_ssize_t a = 0; a <= 3; a++) {
        if (!decimals(kind, d, n, i + 1, a)) break;
        Py_ssize_t p = i + 1 + a;
        if (p >= n || !is_date_sep(RD(p))) continue;
        for (Py_ssize_t b = 1; b <= 2; b++) {
            if (!decimals(kind, d, n, p + 1, b)) break;
            Py_ssize_t q = p + 1 + b;
            if (q >= n || !is_date_sep(RD(q))) continue;
            for (Py_ssize_t c = 1; c <= 4; c++) {
                if (!decimals(kind, d, n, q + 1, c)) break;
                if (at_boundary(kind, d, n, q + 1 + c)) return 1;
            }
        }
    }
    return 0;
}

/* \d(?<!\w\d)\d?:\d{2}\b from position i */
static int clock_at(int kind, const void *d, Py_ssize_t n, Py_ssize_t i) {
    for (Py_ssize_t a = 0; a <= 1; a++) {
        if (!decimals(kind, d, n, i + 1, a)) break;
        Py_ssize_t p = i + 1 + a;
        if (p < n && RD(p) == ':' && decimals(kind, d, n, p + 1, 2) &&
            at_boundary(kind, d, n, p + 3))
            return 1;
    }
    return 0;
}

/* (?:1(?<!\w1)9|2(?<!\w2)0)\d{2}\b from position i (a digit not after a word character) */
static int year_at(int kind, const void *d, Py_ssize_t n, Py_ssize_t i) {
    if (i + 1 >= n) return 0;
    Py_UCS4 c = RD(i), next = RD(i + 1);
    if (!((c == '1' && next == '9') || (c == '2' && next == '0'))) return 0;
    return decimals(kind, d, n, i + 2, 2) && at_boundary(kind, d, n, i + 4);
}

/* sre's IGNORECASE test of a character against a lower-case ASCII letter of a pattern: the
 * character's simple lower case (Py_UNICODE_TOLOWER, as sre_lower_unicode) is the letter, or
 * that letter's extra case the compiler adds ("ı" for "i", "ſ" for "s"; the test finds every
 * code point the engine matches to each letter of the words). A space is matched as itself. */
static inline int ci(Py_UCS4 c, char letter) {
    if (c < 0x80) return letter == ' ' ? c == ' ' : (c | 0x20) == (Py_UCS4)letter;
    Py_UCS4 low = Py_UNICODE_TOLOWER(c);
    return low == (Py_UCS4)letter || (letter == 'i' && low == 0x131) ||
           (letter == 's' && low == 0x17f);
}

/* the end of `word` matched at position p, ignoring case as above, else -1 */
static Py_ssize_t match_ci(int kind, const void *d, Py_ssize_t n, Py_ssize_t p, const char *word) {
    for (; *word; word++, p++)
        if (p >= n || !ci(RD(p), *word)) return -1;
    return p;
}

static inline Py_ssize_t spaces_from(int kind, const void *d, Py_ssize_t n, Py_ssize_t p) {
    while (p < n && SPACE(RD(p))) p++;
    return p;
}

/* \s+ago\b from position p */
static int then_ago(int kind, const void *d, Py_ssize_t n, Py_ssize_t p) {
    Py_ssize_t q = spaces_from(kind, d, n, p);
    if (q == p) return 0;
    Py_ssize_t e = match_ci(kind, d, n, q, "ago");
    return e >= 0 && at_boundary(kind, d, n, e);
}

static const char *const UNITS[] = {"hour", "hr", "minute", "min", "day", "week", "month", "year"};
#define N_UNITS (sizeof(UNITS) / sizeof(UNITS[0]))

/* \d(?<!\w\d)\d*\s*(?:hours?|hrs?|...|years?)\s+ago\b from position i, IGNORECASE: the
 * digit run and the white space are taken whole (a shorter take leaves a digit or a space
 * where a letter must follow) */
static int ago_at(int kind, const void *d, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t j = i + 1;
    while (j < n && is_decimal(RD(j))) j++;
    j = spaces_from(kind, d, n, j);
    for (size_t u = 0; u < N_UNITS; u++) {
        Py_ssize_t e = match_ci(kind, d, n, j, UNITS[u]);
        if (e < 0) continue;
        if (then_ago(kind, d, n, e)) return 1;
        if (e < n && ci(RD(e), 's') && then_ago(kind, d, n, e + 1)) return 1;
    }
    return 0;
}

/* \d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日 (`_DATE_CJK`): a match of the first holds one of
 * the second, which holds one digit before 月 */
static int cjk_date(int kind, const void *d, Py_ssize_t n) {
    for (Py_ssize_t j = 1; j + 2 < n; j++) {
        if (RD(j) != 0x6708 || !is_decimal(RD(j - 1)) ||
            !is_decimal(RD(j + 1)))
            continue;
        if (RD(j + 2) == 0x65e5 ||
            (j + 3 < n && is_decimal(RD(j + 2)) && RD(j + 3) == 0x65e5))
            return 1;
    }
    return 0;
}

static const char *const ARTICLES[] = {"a", "an", "one"};
static const char *const SINGLE_UNITS[] = {"hour", "minute", "day", "week", "month", "year"};

/* `_DATE_WORDS_RE` (IGNORECASE): \b(?:a|an|one)\s+(?:hour|...|year)\s+ago\b|\byesterday\b|
 * \bjust now\b. Only "a", "o", "y" or "j" in any case starts one: no character outside
 * ASCII lowers to them. */
static int word_date(int kind, const void *d, Py_ssize_t n) {
    for (Py_ssize_t p = 0; p < n; p++) {
        Py_UCS4 c = RD(p);
        if (c >= 0x80) continue;
        Py_UCS4 low = c | 0x20; /* a letter: \b before it when no word character is */
        if (low != 'a' && low != 'o' && low != 'y' && low != 'j') continue;
        if (word_at(kind, d, n, p - 1)) continue;
        if (low == 'y' || low == 'j') {
            Py_ssize_t e = match_ci(kind, d, n, p, low == 'y' ? "yesterday" : "just now");
            if (e >= 0 && at_boundary(kind, d, n, e)) return 1;
            continue;
        }
        for (int k = 0; k < 3; k++) {
            Py_ssize_t e = match_ci(kind, d, n, p, ARTICLES[k]);
            if (e < 0) continue;
            Py_ssize_t q = spaces_from(kind, d, n, e);
            if (q == e) continue;
            for (int u = 0; u < 6; u++) {
                Py_ssize_t f = match_ci(kind, d, n, q, SINGLE_UNITS[u]);
                if (f >= 0 && then_ago(kind, d, n, f)) return 1;
            }
        }
    }
    return 0;
}

/* lines._has_date(text, digits), all its forms scanned here. Its substring tests on the
 * casefolded line only spare searches: a match of a word form holds its words there. */
static int date_test(PyObject *text, Py_ssize_t digits) {
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (digits) {
        for (Py_ssize_t i = 0; i < n; i++) {
            if (!is_decimal(RD(i)) || word_at(kind, d, n, i - 1)) continue;
            if (numeric_date_at(kind, d, n, i) || clock_at(kind, d, n, i) ||
                year_at(kind, d, n, i) || ago_at(kind, d, n, i))
                return 1;
        }
        if (cjk_date(kind, d, n)) return 1;
    }
    return word_date(kind, d, n);
}

static PyObject *has_date(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_ssize_t digits;
    if (!PyArg_ParseTuple(args, "Un:has_date", &text, &digits)) return NULL;
    if (PyUnicode_GET_LENGTH(text) > DATE_MAX_CHARS) {
        PyErr_SetString(PyExc_ValueError, "has_date() of a line over _DATE_MAX_CHARS");
        return NULL;
    }
    int res = date_test(text, digits);
    if (res < 0) return NULL;
    return PyBool_FromLong(res);
}

static inline double ratio(Py_ssize_t a, Py_ssize_t b) {
    /* Python's a / max(1, b) for ints below 2**53: the double quotient, correctly rounded */
    return (double)a / (double)(b > 1 ? b : 1);
}

/* line_features(text) -> the 17 arguments features.make takes for
 * lines.features_of_normalized(text), in order, or None for a line with CJK characters (the Python path counts those) */
static PyObject *line_features(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "line_features() needs a str");
        return NULL;
    }
    if (packer == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "line_features() before set_packer");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0) return NULL;
    Shape sh;
    scan_shape(text, &sh);
    if (sh.cjk) Py_RETURN_NONE;
    Py_ssize_t t[6];
    if (count_tokens(text, t) < 0) return NULL;
    Py_ssize_t chars = PyUnicode_GET_LENGTH(text), tokens = t[0], alpha = t[1], caps = t[2],
               numeric = t[3], stop = t[4], date_tokens = t[5];
    int has_date = 0;
    if (chars <= DATE_MAX_CHARS) {
        has_date = date_test(text, sh.digits);
        if (has_date < 0) return NULL;
    }
    Py_ssize_t content_left = tokens - date_tokens - numeric;
    int date_like = (has_date || date_tokens >= 2) && content_left <= 1 && tokens <= 12;
    Py_ssize_t sample = tokens < SAMPLE_MAX ? tokens : SAMPLE_MAX;
    PyObject *row = PyTuple_New(17);
    if (row == NULL) return NULL;
    PyObject *v[17] = {
        Py_NewRef(text), PyLong_FromSsize_t(chars), PyLong_FromSsize_t(tokens),
        PyLong_FromLong(0), PyFloat_FromDouble((double)tokens), PyLong_FromSsize_t(alpha),
        PyBool_FromLong(sh.end_punct), PyBool_FromLong(sh.end_colon),
        PyFloat_FromDouble(ratio(stop, sample)), PyFloat_FromDouble(ratio(caps, alpha)),
        PyFloat_FromDouble(ratio(sh.upper, sh.cased)), PyFloat_FromDouble(ratio(sh.digits, chars)),
        PyBool_FromLong(date_like), PyBool_FromLong(has_date), PyBool_FromLong(sh.bulleted),
        PyLong_FromSsize_t(sh.separators), PyLong_FromSsize_t(sh.inner)};
    int failed = 0;
    for (int i = 0; i < 17; i++) {
        if (v[i] == NULL) failed = 1;
        PyTuple_SET_ITEM(row, i, v[i]); /* a NULL slot is fine: the tuple is dropped then */
    }
    if (failed) {
        Py_DECREF(row);
        return NULL;
    }
    return row;
}

/* ---- white space collapsed: lines.normalize and chrome.key_of_normalized ---- */

enum { KEEP, BREAK, SKIP };

static inline int normalize_class(Py_UCS4 c) {
    if (c == 0x200b || c == 0xfeff || c == 0x00ad) return SKIP;
    return SPACE(c) ? BREAK : KEEP;
}

static inline int key_class(Py_UCS4 c) {
    /* _KEY_DROP ([\d_]+|[^\w\s]) makes a character a space unless it is a letter-like word
       character (alphanumeric, not a digit; "_" is not alphanumeric); spaces break too */
    return (Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c)) ? KEEP : BREAK;
}

/* The runs of KEEP characters of text joined by one space (SKIP characters left out
 * first): " ".join(text.split()) after the removals, or after the key's translation. */
static PyObject *joined_runs(PyObject *text, int normalizing) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "a str is needed");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i;
    /* already in its joined form (the common case)? then it is its own result */
    int pending = 0, changed = 0; /* pending: a break seen after a kept character */
    Py_ssize_t kept = 0;
    for (i = 0; i < n && !changed; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        int cls = normalizing ? normalize_class(c) : key_class(c);
        if (cls == KEEP) {
            if (pending) pending = 0;
            kept++;
        } else if (cls == SKIP || c != ' ' || pending || kept == 0) {
            changed = 1;
        } else {
            pending = 1;
        }
    }
    if (!changed && !pending) return Py_NewRef(text);
    Py_UCS4 *buf = PyMem_Malloc((n ? n : 1) * sizeof(Py_UCS4));
    if (buf == NULL) return PyErr_NoMemory();
    Py_ssize_t o = 0;
    pending = 0;
    for (i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        int cls = normalizing ? normalize_class(c) : key_class(c);
        if (cls == KEEP) {
            if (pending && o > 0) buf[o++] = ' ';
            pending = 0;
            buf[o++] = c;
        } else if (cls == BREAK) {
            pending = 1;
        }
    }
    PyObject *res = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, o);
    PyMem_Free(buf);
    return res;
}

static PyObject *normalize(PyObject *self, PyObject *text) { return joined_runs(text, 1); }

static PyObject *key_words(PyObject *self, PyObject *text) { return joined_runs(text, 0); }

static PyMethodDef methods[] = {
    {"shape", shape, METH_O, "The shape counts of one line (lines._shape_py)."},
    {"fold_digits", fold_digits, METH_O, "Digit runs to 0 in a line holding a word."},
    {"token_stats", token_stats, METH_O, "The token counts of one line (lines._token_stats_py)."},
    {"set_packer", set_packer, METH_O, "The function giving a new token's bits."},
    {"has_date", has_date, METH_VARARGS, "lines._has_date of a line of <= 2,000 characters."},
    {"line_features", line_features, METH_O, "A line's 17 feature values (no CJK), else None."},
    {"normalize", normalize, METH_O, "White space collapsed (lines._normalize_py)."},
    {"key_words", key_words, METH_O, "A lowered line's phrase key (chrome._key_words_py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_linescan", "Per-line scanners of the dump cleaner.", -1, methods,
};

PyMODINIT_FUNC PyInit__linescan(void) { return PyModule_Create(&module); }
