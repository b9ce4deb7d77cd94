/* Shared by the project's C extensions (crawler/extract/_shingles.c, crawler/extract/_langscan.c):
 * a numpy array or other buffer taken as a C-contiguous run of items of one type. Included by
 * relative path; crawler/extract/boilerplate/native.py hashes it with the sources, so an edit
 * here makes a build stale. */
#ifndef CORPUS_C_BUFFER_H
#define CORPUS_C_BUFFER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* A C-contiguous buffer whose items are `size` bytes of one of the format codes `codes`. */
static int get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t size, const char *codes,
                      int writable, const char *what) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    const char *f = view->format ? view->format : "B";
    if (f[0] == '=' || f[0] == '@' || f[0] == '<') f++; /* native order (x86, arm: little) */
    if (view->itemsize != size || strlen(f) != 1 || !strchr(codes, f[0])) {
        PyErr_Format(PyExc_TypeError, "%s: items of %zd bytes (%s) expected, got format %s",
                     what, size, codes, view->format ? view->format : "B");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* The buffers one call holds, released together by `release_buffers` wherever it stops. */
#define HELD_MAX 8
typedef struct {
    Py_buffer *views[HELD_MAX];
    int got;
} Held;

/* `get_buffer` into `view`, which `held` then releases with the others. */
static int hold_buffer(Held *held, PyObject *obj, Py_buffer *view, Py_ssize_t size,
                       const char *codes, int writable, const char *what) {
    if (held->got >= HELD_MAX) {
        PyErr_SetString(PyExc_SystemError, "more buffers than HELD_MAX");
        return -1;
    }
    if (get_buffer(obj, view, size, codes, writable, what) < 0) return -1;
    held->views[held->got++] = view;
    return 0;
}

static void release_buffers(Held *held) {
    for (int i = 0; i < held->got; i++) PyBuffer_Release(held->views[i]);
    held->got = 0;
}

#endif
