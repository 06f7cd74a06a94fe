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
 * Evenly spaced timestamps (what scrapers and range queries return) take a loop whose window
 * bounds are fixed offsets; anything else moves two pointers. Both are one pass, O(n).
 * The GIL is released while scanning.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

typedef struct {
    const int64_t *t;
    const double *x;
    double centre, min_points, tol, k2;
    int64_t n, guard, window;
    uint8_t *fired;
    int64_t *index; /* where fired points' sums go: index, s1, s2, count (optional) */
    double *s1, *s2, *count;
} Scan;

/* Judge point i from its window sums; record them if it fires. Returns 1 if it fired. */
static inline int judge(const Scan *s, int64_t i, double c, double s1, double s2, int64_t *nf)
{
    double d = s->x[i] - s->centre;
    double g = c * d;
    g -= s1;
    g -= c * s->tol;
    double v = c * s2;
    v -= s1 * s1;
    int f = (g > 0.0) & (c >= s->min_points) & (g * g > v * s->k2);
    s->fired[i] = (uint8_t)f;
    if (f && s->index) {
        s->index[*nf] = i;
        s->s1[*nf] = s1;
        s->s2[*nf] = s2;
        s->count[*nf] = c;
    }
    *nf += f;
    return f;
}

#define ADD(p, q, k)                      \
    do {                                  \
        double v_ = s->x[k] - s->centre;  \
        p += v_;                          \
        q += v_ * v_;                     \
    } while (0)

static int64_t scan_grid(const Scan *s, int64_t step)
{
    const int64_t n = s->n;
    int64_t far = (s->guard + s->window) / step, near = s->guard / step;
    if (far > n) far = n;
    if (near > n) near = n;
    double p_hi = -0.0, q_hi = -0.0, p_lo = -0.0, q_lo = -0.0;
    int64_t hi = 0, nf = 0, i = 0;
    /* The first points: a partial baseline [0, i - near) that grows. */
    for (; i < n && i <= far; i++) {
        for (int64_t h = i - near; hi < h; hi++) ADD(p_hi, q_hi, hi);
        judge(s, i, (double)hi, p_hi - p_lo, q_hi - q_lo, &nf);
    }
    /* Then a full one, [i - far, i - near): each step adds one point and drops one. */
    const double c = (double)(far - near);
    for (; i < n; i++) {
        ADD(p_hi, q_hi, i - near - 1);
        ADD(p_lo, q_lo, i - far - 1);
        judge(s, i, c, p_hi - p_lo, q_hi - q_lo, &nf);
    }
    return nf;
}

static int64_t scan_pointers(const Scan *s)
{
    const int64_t n = s->n, *t = s->t;
    double p_hi = -0.0, q_hi = -0.0, p_lo = -0.0, q_lo = -0.0;
    int64_t hi = 0, lo = 0, nf = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t end = t[i] - s->guard, start = end - s->window;
        for (; hi < n && t[hi] < end; hi++) ADD(p_hi, q_hi, hi);
        for (; lo < n && t[lo] < start; lo++) ADD(p_lo, q_lo, lo);
        judge(s, i, (double)(hi - lo), p_hi - p_lo, q_hi - q_lo, &nf);
    }
    return nf;
}

static int64_t grid_step(const int64_t *t, int64_t n)
{
    if (n < 2 || t[1] <= t[0]) return 0;
    int64_t step = t[1] - t[0], bad = 0;
    for (int64_t i = 1; i < n; i++) bad |= (t[i] - t[i - 1]) ^ step;
    return bad ? 0 : step;
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
    "index, s1, s2, count (int64, float64 x3, each at least as long): where the fired points'\n"
    "window sums are written, in order. Returns how many points fired.");

static PyObject *scan(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"t", "x", "centre", "guard", "window", "min_points", "tol", "k2",
                             "fired", "index", "s1", "s2", "count", NULL};
    Py_buffer bufs[7] = {{0}};
    Py_buffer *t = &bufs[0], *x = &bufs[1], *fired = &bufs[2];
    Scan s = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*y*dLLdddw*|w*w*w*w*", kwlist, t, x,
                                     &s.centre, &s.guard, &s.window, &s.min_points, &s.tol, &s.k2,
                                     fired, &bufs[3], &bufs[4], &bufs[5], &bufs[6]))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = x->len / (Py_ssize_t)sizeof(double);
    int detail = bufs[3].obj != NULL;
    if (!check(t, n, 8, "t") || !check(x, n, 8, "x") || !check(fired, n, 1, "fired"))
        goto done;
    if (detail) {
        if (!bufs[4].obj || !bufs[5].obj || !bufs[6].obj) {
            PyErr_SetString(PyExc_TypeError, "index, s1, s2 and count come together");
            goto done;
        }
        for (int k = 3; k < 7; k++)
            if (bufs[k].len < n * 8) {
                PyErr_SetString(PyExc_ValueError, "index, s1, s2, count: too short");
                goto done;
            }
        s.index = bufs[3].buf;
        s.s1 = bufs[4].buf;
        s.s2 = bufs[5].buf;
        s.count = bufs[6].buf;
    }
    s.t = t->buf;
    s.x = x->buf;
    s.fired = fired->buf;
    s.n = n;
    int64_t nf;
    Py_BEGIN_ALLOW_THREADS
    int64_t step = grid_step(s.t, s.n);
    nf = step ? scan_grid(&s, step) : scan_pointers(&s);
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
