/* The WindowTrigger's scan in one compiled pass: triggers._numpy_scan, operation for operation.
 *
 * For each point i of a time-sorted series: the sum, sum of squares and count of the centred
 * values in its baseline window [t_i - guard - window, t_i - guard), and whether it fires:
 *
 *     g = c·d_i - s1 - c·tol;   fired = g > 0 and c >= min_points and g² > k²·(c·s2 - s1²)
 *
 * which is d_i - mean - tol > k·sigma without a division or a root. The window sums are
 * differences of two running prefix sums, each started at -0.0 and added to in index order,
 * exactly as numpy's cumsum builds the prefix arrays of the numpy path; every other step is the
 * same IEEE operation in the same order, and the build turns off FMA contraction. So the two
 * paths agree bit for bit (tests/test_triggers.py checks it), and this module is only a speed-up:
 * without a C compiler the package installs without it and the numpy path runs.
 *
 * While timestamps are evenly spaced (what scrapers and range queries return) the window bounds
 * are fixed offsets; from the first uneven step on, two pointers find them. One pass, O(n),
 * with the GIL released.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* Judge point i from its window's count c and sums S1, S2 (all doubles); count what fires,
 * and while there is room (`room` entries of index, s1_out...), record where and with which
 * sums. */
#define JUDGE(i, c, S1, S2)                                             \
    do {                                                                \
        double g_ = (c) * (x[i] - centre);                              \
        g_ -= (S1);                                                     \
        g_ -= (c) * tol;                                                \
        double v_ = (c) * (S2);                                         \
        v_ -= (S1) * (S1);                                              \
        int f_ = (g_ > 0.0) & ((c) >= min_points) & (g_ * g_ > v_ * k2); \
        fired[i] = (uint8_t)f_;                                         \
        if (f_ && nf < room) {                                          \
            index[nf] = (i);                                            \
            s1_out[nf] = (S1);                                          \
            s2_out[nf] = (S2);                                          \
            count_out[nf] = (c);                                        \
        }                                                               \
        nf += f_;                                                       \
    } while (0)

/* Add point k to a running prefix sum and sum of squares. */
#define ADD(p, q, k)                  \
    do {                              \
        double v_ = x[k] - centre;    \
        p += v_;                      \
        q += v_ * v_;                 \
    } while (0)

static int64_t scan_points(const int64_t *restrict t, const double *restrict x, int64_t n,
                           double centre, int64_t guard, int64_t window, double min_points,
                           double tol, double k2, uint8_t *restrict fired,
                           int64_t room, int64_t *restrict index, double *restrict s1_out,
                           double *restrict s2_out, double *restrict count_out)
{
    double p_hi = -0.0, q_hi = -0.0, p_lo = -0.0, q_lo = -0.0;
    int64_t hi = 0, lo = 0, nf = 0, i = 0;
    const int64_t step = n > 1 && t[1] > t[0] ? t[1] - t[0] : 0;
    if (step) {
        /* While the points are evenly spaced, the window [i - far, i - near) is at fixed
         * offsets: the same bounds the pointers below would find. */
        int64_t far = (guard + window) / step, near = guard / step;
        if (far > n) far = n;
        if (near > n) near = n;
        /* The first points: a partial baseline [0, i - near) that grows. */
        for (; i < n && i <= far; i++) {
            if (i && t[i] - t[i - 1] != step) goto pointers;
            for (; hi < i - near; hi++) ADD(p_hi, q_hi, hi);
            double c = (double)hi;
            JUDGE(i, c, p_hi - p_lo, q_hi - q_lo);
        }
        /* Then a full one: each step adds one point and drops one. */
        const double c = (double)(far - near);
        for (; i < n; i++) {
            if (t[i] - t[i - 1] != step) { /* off the grid: the pointers take over from here */
                hi = i - 1 - near;
                lo = i - 1 - far;
                goto pointers;
            }
            ADD(p_hi, q_hi, i - near - 1);
            ADD(p_lo, q_lo, i - far - 1);
            JUDGE(i, c, p_hi - p_lo, q_hi - q_lo);
        }
    }
pointers:
    /* Anywhere else, two pointers find [t_i - guard - window, t_i - guard). */
    for (; i < n; i++) {
        if (i && t[i] < t[i - 1]) return -1; /* not sorted: the caller sorts and asks again */
        int64_t end = t[i] - guard, start = end - window;
        for (; hi < n && t[hi] < end; hi++) ADD(p_hi, q_hi, hi);
        for (; lo < n && t[lo] < start; lo++) ADD(p_lo, q_lo, lo);
        double c = (double)(hi - lo);
        JUDGE(i, c, p_hi - p_lo, q_hi - q_lo);
    }
    return nf;
}

static int check(Py_buffer *b, Py_ssize_t n, Py_ssize_t itemsize, const char *name)
{
    if (b->len != n * itemsize || b->itemsize != itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd items of %zd bytes", name, n, itemsize);
        return 0;
    }
    return 1;
}

PyDoc_STRVAR(scan_doc,
    "scan(t, x, centre, guard, window, min_points, tol, k2, fired, index=None, s1=None, s2=None, "
    "count=None) -> int\n\n"
    "t: int64 ms, sorted; x: float64; fired: a writable bool array of the same length, filled in.\n"
    "index, s1, s2, count (int64, float64 x3): where the fired points' window sums are written,\n"
    "in order, as many as the shortest holds. Returns how many points fired (more than were\n"
    "written when they did not fit), or -1 when t is not sorted (what was written means nothing).");

static PyObject *scan(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"t", "x", "centre", "guard", "window", "min_points", "tol", "k2",
                             "fired", "index", "s1", "s2", "count", NULL};
    Py_buffer bufs[7] = {{0}};
    Py_buffer *t = &bufs[0], *x = &bufs[1], *fired = &bufs[2];
    double centre, min_points, tol, k2;
    long long guard, window;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*y*dLLdddw*|w*w*w*w*", kwlist, t, x,
                                     &centre, &guard, &window, &min_points, &tol, &k2, fired,
                                     &bufs[3], &bufs[4], &bufs[5], &bufs[6]))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = x->len / (Py_ssize_t)sizeof(double);
    int detail = bufs[3].obj != NULL;
    if (!check(t, n, 8, "t") || !check(x, n, 8, "x") || !check(fired, n, 1, "fired"))
        goto done;
    Py_ssize_t room = 0; /* the fired points whose sums fit: the shortest of the four */
    if (detail) {
        if (!bufs[4].obj || !bufs[5].obj || !bufs[6].obj) {
            PyErr_SetString(PyExc_TypeError, "index, s1, s2 and count come together");
            goto done;
        }
        room = bufs[3].len / 8;
        for (int k = 3; k < 7; k++) {
            if (bufs[k].itemsize != 8) {
                PyErr_SetString(PyExc_ValueError, "index, s1, s2, count: 8-byte items");
                goto done;
            }
            if (bufs[k].len / 8 < room) room = bufs[k].len / 8;
        }
    }
    int64_t nf;
    Py_BEGIN_ALLOW_THREADS
    nf = scan_points(t->buf, x->buf, n, centre, guard, window, min_points, tol, k2, fired->buf,
                     room, bufs[3].buf, bufs[4].buf, bufs[5].buf, bufs[6].buf);
    Py_END_ALLOW_THREADS
    result = PyLong_FromLongLong(nf);
done:
    for (int k = 0; k < 7; k++)
        if (bufs[k].obj) PyBuffer_Release(&bufs[k]);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_VARARGS | METH_KEYWORDS, scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "detection._window",
    "The WindowTrigger's scan, compiled: see triggers._numpy_scan.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__window(void) { return PyModule_Create(&module); }
