/*
 * Optional compiled kernels of tagger (Python side: tagger/native.py).
 *
 * Each replaces a numpy/regex step that costs several passes over a batch with one pass, and gives
 * the same result bit for bit (tests/test_speedups.py compares them directly; every test of
 * tests/test_batch_equivalence.py runs with and without them):
 *   char_sums, word_sums  the hashed TF-IDF scorer (tagger.features._HashedScorer): the same 64-bit
 *                         polynomial hash and MurmurHash3 finaliser as tagger.hashing, the same
 *                         column map, the sublinear tf values computed by numpy and passed in, a
 *                         text's terms summed in ascending column order with numpy's pairwise
 *                         summation, as np.add.reduceat sums them;
 *   token_spans           the segmenter's token offsets and which tokens are kept (tagger.segment);
 *   lexicon_matches       leftmost-longest lexicon matching (tagger.lexicon);
 *   nfkc_visible, marked_lines  normalisation steps (tagger.normalize).
 * The array kernels run without the interpreter lock, so several threads tagging chunks of a batch
 * overlap them with the segmenter (rjieba releases the lock for most of its work too).
 *
 * Built by setup.py as an optional extension: without a C compiler the package installs without it
 * and the numpy code runs (tagger.native.status() says which). No fast-math or contraction flags:
 * the floats must stay numpy's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HASH_BASE 0x100000001B3ULL /* tagger.hashing._B */
#define SPACE_TERM ((uint64_t)' ' + 1)

static inline uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

/* numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src, @TYPE@_pairwise_sum). */
static double pairwise_sum(const double *a, Py_ssize_t n)
{
    if (n < 8) {
        double res = 0.;
        for (Py_ssize_t i = 0; i < n; i++) {
            res += a[i];
        }
        return res;
    }
    if (n <= 128) {
        double r[8];
        Py_ssize_t i;
        for (int j = 0; j < 8; j++) {
            r[j] = a[j];
        }
        for (i = 8; i < n - (n % 8); i += 8) {
            r[0] += a[i + 0];
            r[1] += a[i + 1];
            r[2] += a[i + 2];
            r[3] += a[i + 3];
            r[4] += a[i + 4];
            r[5] += a[i + 5];
            r[6] += a[i + 6];
            r[7] += a[i + 7];
        }
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) {
            res += a[i];
        }
        return res;
    }
    Py_ssize_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

/* np.add.reduceat over one segment: the first value, plus the pairwise sum of the rest. */
static inline double segment_sum(const double *v, Py_ssize_t m)
{
    if (m == 0) {
        return 0.0;
    }
    double s = v[0];
    if (m > 1) {
        s += pairwise_sum(v + 1, m - 1);
    }
    return s;
}

/* Everything a kernel needs besides its own term generator. */
typedef struct {
    uint64_t n_features;
    uint64_t mask;          /* n_features - 1 when a power of two, else 0 */
    const int32_t *remap;   /* column -> kept id (-1: dropped), or NULL (see remap16) */
    const uint16_t *remap16; /* column -> kept id (0xFFFF: dropped), or NULL: id = column */
    Py_ssize_t width;       /* ids are 0..width-1 */
    const double *table;    /* (width, stride), C order: the values of one id side by side */
    Py_ssize_t n_out, stride; /* outputs; table columns (>= n_out: rows may be padded) */
    const double *tf;       /* tf[c - 1] = 1 + log(c) */
    Py_ssize_t n_tf;
    double *out;            /* (n_out, n_rows), C order */
    Py_ssize_t n_rows;
    /* scratch: the current row's distinct ids as a two-level bitmap (ascending order for free) */
    uint64_t *bits;         /* bit id of word id / 64 */
    uint64_t *words;        /* bit w of word w / 64: bits[w] is not zero */
    Py_ssize_t n_words;
    int32_t *count;         /* per id: occurrences in the current row */
    double *values;         /* (n_out, distinct ids of the row) */
    uint32_t *ids;          /* distinct ids of the row, ascending */
    uint32_t *cols;         /* term columns of the row */
    int too_many;           /* a count beyond the tf table (cannot happen with the callers' sizes) */
    int changed;            /* an argument changed during the call (another thread wrote to it) */
} Acc;

/* The column of a term hash (finalised here). */
static inline uint32_t column_of(const Acc *acc, uint64_t h)
{
    h = fmix64(h);
    return (uint32_t)(acc->mask ? (h & acc->mask) : (h % acc->n_features));
}

/* A row's term columns (cols[0..n), in any order) counted per kept id; returns the distinct ids.
 * Two passes: the first only touches the column map, so its cache misses overlap. */
static Py_ssize_t count_row(Acc *acc, const uint32_t *cols, Py_ssize_t n)
{
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (acc->remap16) {
            __builtin_prefetch(acc->remap16 + cols[i]);
        } else if (acc->remap) {
            __builtin_prefetch(acc->remap + cols[i]);
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t id;
        if (acc->remap16) {
            id = acc->remap16[cols[i]];
            if (id == 0xFFFF) {
                continue;
            }
        } else {
            id = acc->remap ? acc->remap[cols[i]] : (int64_t)cols[i];
            if (id < 0) {
                continue;
            }
        }
        if (id >= acc->width) { /* the column map was checked before: it changed since */
            acc->changed = 1;
            continue;
        }
        uint64_t bit = 1ULL << (id & 63);
        uint64_t *word = acc->bits + (id >> 6);
        if (*word & bit) {
            acc->count[id]++;
        } else {
            *word |= bit;
            acc->words[id >> 12] |= 1ULL << ((id >> 6) & 63);
            acc->count[id] = 1;
            m++;
        }
    }
    return m;
}

/* Sums of one row: per output j, over its distinct ids in ascending order, table[id][j] times tf
 * (the last output times tf squared: the squared row norm), summed as np.add.reduceat does.
 * Clears the row's bitmap. The ids are listed first (their table rows prefetched), then read. */
static void finish_row(Acc *acc, Py_ssize_t row, Py_ssize_t m)
{
    Py_ssize_t k = acc->n_out - 1, u = 0;
    uint32_t *ids = acc->ids;
    for (Py_ssize_t w2 = 0; w2 < acc->n_words; w2++) {
        uint64_t top = acc->words[w2];
        acc->words[w2] = 0;
        while (top) {
            Py_ssize_t w = w2 * 64 + __builtin_ctzll(top);
            top &= top - 1;
            uint64_t x = acc->bits[w];
            acc->bits[w] = 0;
            while (x) {
                uint32_t id = (uint32_t)(w * 64 + __builtin_ctzll(x));
                x &= x - 1;
                __builtin_prefetch(acc->table + (Py_ssize_t)id * acc->stride);
                ids[u++] = id;
            }
        }
    }
    for (u = 0; u < m; u++) {
        uint32_t id = ids[u];
        const double *t = acc->table + (Py_ssize_t)id * acc->stride;
        int32_t c = acc->count[id];
        if (c > 1) {
            if (c > acc->n_tf) {
                acc->too_many = 1;
                c = (int32_t)acc->n_tf;
            }
            double tf = acc->tf[c - 1], tf2 = tf * tf;
            for (Py_ssize_t j = 0; j < k; j++) {
                acc->values[j * m + u] = t[j] * tf;
            }
            acc->values[k * m + u] = t[k] * tf2;
        } else {
            for (Py_ssize_t j = 0; j <= k; j++) {
                acc->values[j * m + u] = t[j];
            }
        }
    }
    for (Py_ssize_t j = 0; j <= k; j++) {
        acc->out[j * acc->n_rows + row] = segment_sum(acc->values + j * m, m);
    }
}

typedef struct {
    Py_buffer bufs[12];
    int n;
} Buffers;

static void release_all(Buffers *b)
{
    for (int i = 0; i < b->n; i++) {
        PyBuffer_Release(&b->bufs[i]);
    }
    b->n = 0;
}

/* Whether two buffers share memory. */
static int overlaps(const Py_buffer *a, const Py_buffer *b)
{
    const char *a0 = (const char *)a->buf, *b0 = (const char *)b->buf;
    return a->len > 0 && b->len > 0 && a0 < b0 + b->len && b0 < a0 + a->len;
}

/* The buffer b->bufs[w] (written by the kernel) must share no memory with any other argument:
 * a write would change an array after its checks (offsets, ids) and send reads out of bounds. */
static int check_disjoint(Buffers *b, int w, const char *name)
{
    for (int i = 0; i < b->n; i++) {
        if (i != w && overlaps(&b->bufs[i], &b->bufs[w])) {
            PyErr_Format(PyExc_ValueError, "%s shares memory with another argument", name);
            return -1;
        }
    }
    return 0;
}

/* A C-contiguous buffer of `itemsize`-byte items of kind `kind` ('u' unsigned, 'i' signed, 'f'). */
static int get_buffer(Buffers *b, PyObject *obj, const char *name, Py_ssize_t itemsize, char kind,
                      int writable, void **data, Py_ssize_t *len)
{
    if (b->n >= (int)(sizeof(b->bufs) / sizeof(b->bufs[0]))) {
        PyErr_SetString(PyExc_RuntimeError, "too many buffers in one call");
        return -1;
    }
    Py_buffer *view = &b->bufs[b->n];
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        return -1;
    }
    b->n++;
    const char *f = view->format ? view->format : "B";
    if (*f == '<' || *f == '=' || *f == '@') {
        f++;
    }
    char c = *f;
    int ok;
    if (kind == 'f') {
        ok = (c == 'd');
    } else {
        const char *codes = kind == 'u' ? "BHILQN" : "bhilqn";
        ok = c != '\0' && strchr(codes, c) != NULL;
    }
    if (!ok || view->itemsize != itemsize || f[1] != '\0') {
        PyErr_Format(PyExc_TypeError, "%s: expected a contiguous array of %zd-byte %s, got format '%s'",
                     name, itemsize, kind == 'f' ? "floats" : (kind == 'u' ? "unsigned ints" : "ints"),
                     view->format ? view->format : "B");
        return -1;
    }
    *data = view->buf;
    *len = view->len / itemsize;
    return 0;
}

/* Shared argument checks and scratch allocation. */
static int setup_acc(Acc *acc, Buffers *b, unsigned long long n_features, PyObject *remap_obj,
                     PyObject *table_obj, PyObject *tf_obj, PyObject *out_obj, Py_ssize_t n_rows,
                     Py_ssize_t max_terms)
{
    void *p;
    Py_ssize_t len;
    memset(acc, 0, sizeof(*acc));
    if (n_features == 0 || n_features > (1ULL << 31)) {
        PyErr_SetString(PyExc_ValueError, "n_features must be between 1 and 2**31");
        return -1;
    }
    acc->n_features = n_features;
    acc->mask = (n_features & (n_features - 1)) == 0 ? n_features - 1 : 0;
    acc->width = (Py_ssize_t)n_features;
    if (remap_obj != Py_None) {
        Py_buffer probe;
        if (PyObject_GetBuffer(remap_obj, &probe, PyBUF_ND) < 0) {
            return -1;
        }
        Py_ssize_t itemsize = probe.itemsize;
        PyBuffer_Release(&probe);
        if (get_buffer(b, remap_obj, "remap", itemsize == 2 ? 2 : 4, itemsize == 2 ? 'u' : 'i', 0, &p, &len) < 0) {
            return -1;
        }
        if ((unsigned long long)len != n_features) {
            PyErr_SetString(PyExc_ValueError, "remap must have n_features entries");
            return -1;
        }
        int64_t top = -1;
        if (itemsize == 2) {
            acc->remap16 = (const uint16_t *)p;
            for (Py_ssize_t i = 0; i < len; i++) {
                if (acc->remap16[i] != 0xFFFF && acc->remap16[i] > top) {
                    top = acc->remap16[i];
                }
            }
        } else {
            acc->remap = (const int32_t *)p;
            for (Py_ssize_t i = 0; i < len; i++) {
                if (acc->remap[i] > top) {
                    top = acc->remap[i];
                }
            }
        }
        acc->width = (Py_ssize_t)top + 1;
    }
    int out_index = b->n;
    if (get_buffer(b, out_obj, "out", 8, 'f', 1, &p, &len) < 0) {
        return -1;
    }
    acc->out = (double *)p;
    acc->n_rows = n_rows;
    const Py_buffer *v = &b->bufs[out_index];
    if (n_rows < 1 || v->ndim != 2 || v->shape[1] != n_rows || v->shape[0] < 1) {
        PyErr_SetString(PyExc_ValueError, "out must have shape (outputs, rows), rows >= 1");
        return -1;
    }
    acc->n_out = v->shape[0];
    int table_index = b->n;
    if (get_buffer(b, table_obj, "table", 8, 'f', 0, &p, &len) < 0) {
        return -1;
    }
    acc->table = (const double *)p;
    v = &b->bufs[table_index];
    if (acc->width == 0 || v->ndim != 2 || v->shape[0] < acc->width || v->shape[1] < acc->n_out) {
        PyErr_SetString(PyExc_ValueError, "table must have shape (at least width, at least outputs) and width >= 1");
        return -1;
    }
    acc->stride = v->shape[1];
    if (get_buffer(b, tf_obj, "tf", 8, 'f', 0, &p, &len) < 0) {
        return -1;
    }
    acc->tf = (const double *)p;
    acc->n_tf = len;
    if (len < 1) {
        PyErr_SetString(PyExc_ValueError, "tf must not be empty");
        return -1;
    }
    if (check_disjoint(b, out_index, "out") < 0) {
        return -1;
    }
    Py_ssize_t n_bits = (acc->width + 63) / 64;
    acc->n_words = (n_bits + 63) / 64;
    acc->bits = (uint64_t *)calloc((size_t)n_bits, sizeof(uint64_t));
    acc->words = (uint64_t *)calloc((size_t)acc->n_words, sizeof(uint64_t));
    acc->count = (int32_t *)malloc((size_t)acc->width * sizeof(int32_t));
    /* cols holds a row's terms; values and ids its distinct ids, at most width of them */
    size_t scratch = (size_t)(max_terms > 0 ? max_terms : 1);
    size_t distinct = scratch < (size_t)acc->width ? scratch : (size_t)acc->width;
    if (scratch > (size_t)PY_SSIZE_T_MAX / sizeof(uint32_t) ||
        distinct > (size_t)PY_SSIZE_T_MAX / sizeof(double) / (size_t)acc->n_out) {
        PyErr_NoMemory();
        return -1;
    }
    acc->values = (double *)malloc(distinct * (size_t)acc->n_out * sizeof(double));
    acc->ids = (uint32_t *)malloc(distinct * sizeof(uint32_t));
    acc->cols = (uint32_t *)malloc(scratch * sizeof(uint32_t));
    if (!acc->bits || !acc->words || !acc->count || !acc->values || !acc->ids || !acc->cols) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void free_acc(Acc *acc)
{
    free(acc->bits);
    free(acc->words);
    free(acc->count);
    free(acc->values);
    free(acc->ids);
    free(acc->cols);
}

static PyObject *finish_call(Acc *acc, Buffers *b, int failed)
{
    free_acc(acc);
    release_all(b);
    if (failed) {
        return NULL;
    }
    if (acc->changed) {
        PyErr_SetString(PyExc_ValueError, "an argument changed during the call (results not computed)");
        return NULL;
    }
    if (acc->too_many) {
        PyErr_SetString(PyExc_ValueError, "a term count exceeds the tf table");
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(char_sums_doc,
"char_sums(cp, lens, min_n, max_n, n_features, remap, table, tf, out)\n--\n\n"
"Per text, sums of table[id][j] * tf over its distinct character min_n..max_n-gram ids (the last\n"
"output times tf squared), written to out[j, text]. cp: uint32 code points of the texts\n"
"one after another (lower-cased), lens: int64 length of each text, remap: int32 column -> id or\n"
"None, table: float64 (width, outputs), tf: float64 tf[c - 1] = 1 + log(c), out: float64\n"
"(outputs, texts).");

static PyObject *char_sums(PyObject *self, PyObject *args)
{
    PyObject *cp_obj, *lens_obj, *remap_obj, *table_obj, *tf_obj, *out_obj;
    int min_n, max_n;
    unsigned long long n_features;
    if (!PyArg_ParseTuple(args, "OOiiKOOOO", &cp_obj, &lens_obj, &min_n, &max_n, &n_features, &remap_obj,
                          &table_obj, &tf_obj, &out_obj)) {
        return NULL;
    }
    if (min_n < 1 || max_n < min_n) {
        PyErr_SetString(PyExc_ValueError, "need 1 <= min_n <= max_n");
        return NULL;
    }
    Buffers b = {.n = 0};
    Acc acc;
    memset(&acc, 0, sizeof(acc));
    void *p;
    Py_ssize_t n_cp, n_rows;
    if (get_buffer(&b, cp_obj, "cp", 4, 'u', 0, &p, &n_cp) < 0) {
        return finish_call(&acc, &b, 1);
    }
    const uint32_t *cp = (const uint32_t *)p;
    if (get_buffer(&b, lens_obj, "lens", 8, 'i', 0, &p, &n_rows) < 0) {
        return finish_call(&acc, &b, 1);
    }
    const int64_t *lens = (const int64_t *)p;
    int64_t total = 0, longest = 0;
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        if (lens[r] < 0) {
            PyErr_SetString(PyExc_ValueError, "lens must not be negative");
            return finish_call(&acc, &b, 1);
        }
        if (lens[r] > n_cp - total) {
            PyErr_SetString(PyExc_ValueError, "lens must add up to the length of cp");
            return finish_call(&acc, &b, 1);
        }
        total += lens[r];
        longest = lens[r] > longest ? lens[r] : longest;
    }
    if (total != n_cp) {
        PyErr_SetString(PyExc_ValueError, "lens must add up to the length of cp");
        return finish_call(&acc, &b, 1);
    }
    if (longest > 0 && (int64_t)(max_n - min_n + 1) > PY_SSIZE_T_MAX / longest) {
        PyErr_NoMemory();
        return finish_call(&acc, &b, 1);
    }
    Py_ssize_t max_terms = (Py_ssize_t)longest * (max_n - min_n + 1);
    if (setup_acc(&acc, &b, n_features, remap_obj, table_obj, tf_obj, out_obj, n_rows, max_terms) < 0) {
        return finish_call(&acc, &b, 1);
    }
    Py_BEGIN_ALLOW_THREADS
    const uint32_t *text = cp;
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        Py_ssize_t n = (Py_ssize_t)lens[r], n_cols = 0;
        if (n < 0 || n > longest || n > n_cp - (text - cp)) { /* lens changed since checked */
            acc.changed = 1;
            break;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            uint64_t h = 0;
            Py_ssize_t stop = n - i < max_n ? n - i : max_n;
            for (Py_ssize_t k = 1; k <= stop; k++) {
                h = h * HASH_BASE + ((uint64_t)text[i + k - 1] + 1);
                if (k >= min_n) {
                    acc.cols[n_cols++] = column_of(&acc, h);
                }
            }
        }
        finish_row(&acc, r, count_row(&acc, acc.cols, n_cols));
        text += n;
    }
    Py_END_ALLOW_THREADS
    return finish_call(&acc, &b, 0);
}

PyDoc_STRVAR(word_sums_doc,
"word_sums(cp, starts, ends, rows, n_rows, max_n, n_features, remap, table, tf, out)\n--\n\n"
"As char_sums for words and space-joined word n-grams up to max_n: the words are cp[starts:ends]\n"
"(uint32 code points of a buffer; int64 offsets in reading order), rows (int64, non-decreasing,\n"
"below n_rows) the text of each word; n-grams never cross texts.");

static PyObject *word_sums(PyObject *self, PyObject *args)
{
    PyObject *cp_obj, *starts_obj, *ends_obj, *rows_obj, *remap_obj, *table_obj, *tf_obj, *out_obj;
    Py_ssize_t n_rows;
    int max_n;
    unsigned long long n_features;
    if (!PyArg_ParseTuple(args, "OOOOniKOOOO", &cp_obj, &starts_obj, &ends_obj, &rows_obj, &n_rows, &max_n,
                          &n_features, &remap_obj, &table_obj, &tf_obj, &out_obj)) {
        return NULL;
    }
    if (max_n < 1 || n_rows < 0) {
        PyErr_SetString(PyExc_ValueError, "need max_n >= 1 and n_rows >= 0");
        return NULL;
    }
    Buffers b = {.n = 0};
    Acc acc;
    memset(&acc, 0, sizeof(acc));
    void *p;
    Py_ssize_t n_cp, n_words, n2, n3;
    if (get_buffer(&b, cp_obj, "cp", 4, 'u', 0, &p, &n_cp) < 0) {
        return finish_call(&acc, &b, 1);
    }
    const uint32_t *cp = (const uint32_t *)p;
    if (get_buffer(&b, starts_obj, "starts", 8, 'i', 0, &p, &n_words) < 0) {
        return finish_call(&acc, &b, 1);
    }
    const int64_t *starts = (const int64_t *)p;
    if (get_buffer(&b, ends_obj, "ends", 8, 'i', 0, &p, &n2) < 0) {
        return finish_call(&acc, &b, 1);
    }
    const int64_t *ends = (const int64_t *)p;
    if (get_buffer(&b, rows_obj, "rows", 8, 'i', 0, &p, &n3) < 0) {
        return finish_call(&acc, &b, 1);
    }
    const int64_t *rows = (const int64_t *)p;
    if (n2 != n_words || n3 != n_words) {
        PyErr_SetString(PyExc_ValueError, "starts, ends and rows must have the same length");
        return finish_call(&acc, &b, 1);
    }
    Py_ssize_t longest = 0, run = 0;
    for (Py_ssize_t i = 0; i < n_words; i++) {
        if (starts[i] < 0 || ends[i] <= starts[i] || ends[i] > n_cp || rows[i] < 0 || rows[i] >= n_rows ||
            (i > 0 && rows[i] < rows[i - 1])) {
            PyErr_Format(PyExc_ValueError, "word %zd: span outside cp, or row out of order or range", i);
            return finish_call(&acc, &b, 1);
        }
        run = (i > 0 && rows[i] == rows[i - 1]) ? run + 1 : 1;
        longest = run > longest ? run : longest;
    }
    if (longest > 0 && (Py_ssize_t)max_n > PY_SSIZE_T_MAX / longest) {
        PyErr_NoMemory();
        return finish_call(&acc, &b, 1);
    }
    if (setup_acc(&acc, &b, n_features, remap_obj, table_obj, tf_obj, out_obj, n_rows, longest * max_n) < 0) {
        return finish_call(&acc, &b, 1);
    }
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t w = 0;
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        Py_ssize_t first = w, n_cols = 0;
        while (w < n_words && rows[w] == r) {
            int64_t s = starts[w], e = ends[w];
            if (s < 0 || e < s || e > n_cp || w - first >= longest) { /* changed since checked */
                acc.changed = 1;
                break;
            }
            w++;
        }
        if (acc.changed) {
            break;
        }
        for (Py_ssize_t i = first; i < w; i++) {
            uint64_t h = 0;
            for (Py_ssize_t k = 1; k <= max_n && i + k - 1 < w; k++) {
                if (k > 1) {
                    h = h * HASH_BASE + SPACE_TERM;
                }
                int64_t s = starts[i + k - 1], e = ends[i + k - 1];
                if (s < 0 || e > n_cp) {
                    acc.changed = 1;
                    s = e = 0;
                }
                for (int64_t c = s; c < e; c++) {
                    h = h * HASH_BASE + ((uint64_t)cp[c] + 1);
                }
                acc.cols[n_cols++] = column_of(&acc, h);
            }
        }
        finish_row(&acc, r, count_row(&acc, acc.cols, n_cols));
    }
    Py_END_ALLOW_THREADS
    return finish_call(&acc, &b, 0);
}

PyDoc_STRVAR(token_spans_doc,
"token_spans(tokens, cp, classes, starts, ends, status) -> int\n--\n\n"
"Offsets of the segmenter's tokens in the text they cover (cp: its uint32 code points) and what to\n"
"do with each (status, uint8): 0 drop (no word character, or a bare number without '.'), 1 keep,\n"
"2 ask the regex (a number with '.', or a character beyond the BMP). classes: uint8 flags per BMP\n"
"code point (1 word, 2 digit, 4 '.', 8 '%'). Returns the tokens' total length; it differs from\n"
"len(cp) when the tokens do not cover the text exactly (status is then not filled).");

static PyObject *token_spans(PyObject *self, PyObject *args)
{
    PyObject *tokens, *cp_obj, *cls_obj, *starts_obj, *ends_obj, *status_obj;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!OOOOO", &PyList_Type, &tokens, &cp_obj, &cls_obj, &starts_obj, &ends_obj,
                          &status_obj)) {
        return NULL;
    }
    Buffers b = {.n = 0};
    void *p;
    Py_ssize_t n_cp, n_cls, n1, n2, n3;
    if (get_buffer(&b, cp_obj, "cp", 4, 'u', 0, &p, &n_cp) < 0) {
        release_all(&b);
        return NULL;
    }
    const uint32_t *cp = (const uint32_t *)p;
    if (get_buffer(&b, cls_obj, "classes", 1, 'u', 0, &p, &n_cls) < 0) {
        release_all(&b);
        return NULL;
    }
    const uint8_t *cls = (const uint8_t *)p;
    int64_t *starts, *ends;
    uint8_t *status;
    if (get_buffer(&b, starts_obj, "starts", 8, 'i', 1, &p, &n1) < 0) {
        release_all(&b);
        return NULL;
    }
    starts = (int64_t *)p;
    if (get_buffer(&b, ends_obj, "ends", 8, 'i', 1, &p, &n2) < 0) {
        release_all(&b);
        return NULL;
    }
    ends = (int64_t *)p;
    if (get_buffer(&b, status_obj, "status", 1, 'u', 1, &p, &n3) < 0) {
        release_all(&b);
        return NULL;
    }
    status = (uint8_t *)p;
    Py_ssize_t n = PyList_GET_SIZE(tokens);
    if (n_cls != 0x10000 || n1 != n || n2 != n || n3 != n) {
        release_all(&b);
        PyErr_SetString(PyExc_ValueError, "classes must have 65536 entries, starts/ends/status one per token");
        return NULL;
    }
    if (check_disjoint(&b, 2, "starts") < 0 || check_disjoint(&b, 3, "ends") < 0 ||
        check_disjoint(&b, 4, "status") < 0) {
        release_all(&b);
        return NULL;
    }
    /* the offsets read without the lock are this function's own (the caller's arrays may change) */
    int64_t *off = (int64_t *)malloc(((size_t)n + 1) * sizeof(int64_t));
    if (off == NULL) {
        release_all(&b);
        return PyErr_NoMemory();
    }
    int64_t total = 0;
    off[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(tokens, i);
        if (!PyUnicode_Check(t)) {
            free(off);
            release_all(&b);
            PyErr_Format(PyExc_TypeError, "token %zd is not a str", i);
            return NULL;
        }
        starts[i] = total;
        total += PyUnicode_GET_LENGTH(t);
        ends[i] = off[i + 1] = total;
    }
    if (total == n_cp) {
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            int word = 0, astral = 0;
            Py_ssize_t digit = 0, dot = 0, pct = 0, len = off[i + 1] - off[i];
            uint8_t last = 0;
            for (int64_t c = off[i]; c < off[i + 1]; c++) {
                uint32_t ch = cp[c];
                if (ch > 0xFFFF) {
                    astral = 1;
                    last = 0;
                    continue;
                }
                last = cls[ch];
                word |= last & 1;
                digit += (last >> 1) & 1;
                dot += (last >> 2) & 1;
                pct += (last >> 3) & 1;
            }
            uint8_t st;
            if (astral) {
                st = 2;
            } else if (!word) {
                st = 0;
            } else if (digit + dot + pct != len) {
                st = 1;
            } else if (dot > 0) {
                st = 2;
            } else if (pct == 0 || (pct == 1 && (last & 8))) {
                st = 0;
            } else {
                st = 1;
            }
            status[i] = st;
        }
        Py_END_ALLOW_THREADS
    }
    free(off);
    release_all(&b);
    return PyLong_FromLongLong(total);
}

PyDoc_STRVAR(lexicon_matches_doc,
"lexicon_matches(cp, lens, term_cp, term_start, heads, head_start, starts, rows, ids) -> int\n--\n\n"
"Leftmost-longest non-overlapping matches of lexicon terms in each text (cp: uint32 code points of\n"
"the texts one after another, lens: int64 length of each). Terms: term_cp (uint32) holds them one\n"
"after another, term i being term_cp[term_start[i]:term_start[i + 1]]; heads (uint32, ascending)\n"
"their distinct first characters, and head_start (int64, len(heads) + 1) the range of the term\n"
"order for each head, listed longest first. Writes the start offset (in its text), text and term of\n"
"each match to starts, rows, ids (int64, room for len(cp) matches) and returns how many.");

static PyObject *lexicon_matches(PyObject *self, PyObject *args)
{
    PyObject *objs[9];
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOOOOO", &objs[0], &objs[1], &objs[2], &objs[3], &objs[4], &objs[5], &objs[6],
                          &objs[7], &objs[8])) {
        return NULL;
    }
    static const char *names[9] = {"cp", "lens", "term_cp", "term_start", "heads", "head_start", "starts", "rows",
                                   "ids"};
    static const Py_ssize_t sizes[9] = {4, 8, 4, 8, 4, 8, 8, 8, 8};
    static const char kinds[9] = {'u', 'i', 'u', 'i', 'u', 'i', 'i', 'i', 'i'};
    Buffers b = {.n = 0};
    void *data[9];
    Py_ssize_t len[9];
    for (int i = 0; i < 9; i++) {
        if (get_buffer(&b, objs[i], names[i], sizes[i], kinds[i], i >= 6, &data[i], &len[i]) < 0) {
            release_all(&b);
            return NULL;
        }
    }
    const uint32_t *cp = data[0], *term_cp = data[2], *heads = data[4];
    const int64_t *lens = data[1], *term_start = data[3], *head_start = data[5];
    int64_t *out_starts = data[6], *out_rows = data[7], *out_ids = data[8];
    Py_ssize_t n_cp = len[0], n_rows = len[1], n_terms = len[3] - 1, n_heads = len[4];
    int bad = n_terms < 0 || len[5] != n_heads + 1 || len[6] < n_cp || len[7] < n_cp || len[8] < n_cp;
    for (Py_ssize_t t = 0; !bad && t < n_terms; t++) {
        bad = term_start[t] < 0 || term_start[t + 1] <= term_start[t] || term_start[t + 1] > len[2];
    }
    for (Py_ssize_t h = 0; !bad && h < n_heads; h++) {
        bad = head_start[h] < 0 || head_start[h + 1] < head_start[h] || head_start[h + 1] > n_terms ||
              (h > 0 && heads[h] <= heads[h - 1]);
    }
    int64_t total = 0;
    for (Py_ssize_t r = 0; !bad && r < n_rows; r++) {
        bad = lens[r] < 0 || lens[r] > n_cp - total;
        total += bad ? 0 : lens[r];
    }
    if (bad || total != n_cp) {
        release_all(&b);
        PyErr_SetString(PyExc_ValueError, "inconsistent lexicon tables or text lengths");
        return NULL;
    }
    if (check_disjoint(&b, 6, "starts") < 0 || check_disjoint(&b, 7, "rows") < 0 ||
        check_disjoint(&b, 8, "ids") < 0) {
        release_all(&b);
        return NULL;
    }
    /* which BMP characters begin a term: one bit each */
    uint64_t *first = (uint64_t *)calloc(0x10000 / 64, sizeof(uint64_t));
    if (!first) {
        release_all(&b);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t h = 0; h < n_heads; h++) {
        if (heads[h] < 0x10000) {
            first[heads[h] >> 6] |= 1ULL << (heads[h] & 63);
        }
    }
    Py_ssize_t found = 0;
    int changed = 0; /* an array changed after its checks (another thread wrote to it) */
    Py_BEGIN_ALLOW_THREADS
    const uint32_t *text = cp;
    for (Py_ssize_t r = 0; r < n_rows && !changed; r++) {
        int64_t n = lens[r], i = 0;
        if (n < 0 || n > n_cp - (text - cp)) {
            changed = 1;
            break;
        }
        while (i < n && !changed) {
            uint32_t c = text[i];
            if (c < 0x10000 && !(first[c >> 6] >> (c & 63) & 1)) {
                i++;
                continue;
            }
            Py_ssize_t lo = 0, hi = n_heads; /* the head equal to c, if any */
            while (lo < hi) {
                Py_ssize_t mid = (lo + hi) / 2;
                if (heads[mid] < c) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            int64_t hit = -1, hit_len = 0;
            if (lo < n_heads && heads[lo] == c) {
                int64_t k0 = head_start[lo], k1 = head_start[lo + 1];
                if (k0 < 0 || k1 > n_terms) {
                    changed = 1;
                    break;
                }
                for (int64_t k = k0; k < k1; k++) { /* longest first */
                    int64_t t = k, a = term_start[t], m = term_start[t + 1] - a;
                    if (a < 0 || m < 1 || term_start[t + 1] > len[2]) {
                        changed = 1;
                        break;
                    }
                    if (m > n - i) {
                        continue;
                    }
                    int64_t j = 1;
                    while (j < m && text[i + j] == term_cp[a + j]) {
                        j++;
                    }
                    if (j == m) {
                        hit = t;
                        hit_len = m;
                        break;
                    }
                }
            }
            if (hit < 0) {
                i++;
                continue;
            }
            out_starts[found] = i;
            out_rows[found] = r;
            out_ids[found] = hit;
            found++;
            i += hit_len;
        }
        text += n;
    }
    Py_END_ALLOW_THREADS
    free(first);
    release_all(&b);
    if (changed) {
        PyErr_SetString(PyExc_ValueError, "an argument changed during the call (results not computed)");
        return NULL;
    }
    return PyLong_FromSsize_t(found);
}

PyDoc_STRVAR(nfkc_visible_doc,
"nfkc_visible(text, kinds, target, many_start, many_pool, drop) -> (str, int) | None\n--\n\n"
"NFKC by table, then the characters marked in drop removed: kinds (uint8 per BMP code point) says\n"
"1 unchanged, 2 one character target[c] (uint32), 3 several characters many_pool[many_start[c]:\n"
"many_start[c + 1]] (int64 offsets into uint32), 0 not handled here. Returns the new text and how\n"
"many characters were removed, or None when the text holds a character of kind 0 or beyond the\n"
"BMP (the caller then takes the general path).");

#define NFKC_NOGIL_MIN 16384 /* characters */

static PyObject *nfkc_visible(PyObject *self, PyObject *args)
{
    PyObject *text, *objs[5];
    (void)self;
    if (!PyArg_ParseTuple(args, "UOOOOO", &text, &objs[0], &objs[1], &objs[2], &objs[3], &objs[4])) {
        return NULL;
    }
    static const char *names[5] = {"kinds", "target", "many_start", "many_pool", "drop"};
    static const Py_ssize_t sizes[5] = {1, 4, 8, 4, 1};
    static const char kinds_of[5] = {'u', 'u', 'i', 'u', 'u'};
    Buffers b = {.n = 0};
    void *data[5];
    Py_ssize_t len[5];
    for (int i = 0; i < 5; i++) {
        if (get_buffer(&b, objs[i], names[i], sizes[i], kinds_of[i], 0, &data[i], &len[i]) < 0) {
            release_all(&b);
            return NULL;
        }
    }
    const uint8_t *kinds = data[0], *drop = data[4];
    const uint32_t *target = data[1], *pool = data[3];
    const int64_t *many_start = data[2];
    if (len[0] != 0x10000 || len[1] != 0x10000 || len[2] != 0x10001 || len[4] != 0x10000 ||
        many_start[0x10000] > len[3]) {
        release_all(&b);
        PyErr_SetString(PyExc_ValueError, "tables must cover the BMP (many_start: 65537 offsets)");
        return NULL;
    }
    int in_kind = PyUnicode_KIND(text);
    const void *in = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), out_len = 0, removed = 0, n_pool = len[3];
    Py_UCS4 maxchar = 0, bad = 0;
    int fallback = 0, error = 0; /* error 1: target beyond the BMP; 2: many_start out of range */
    /* Long texts are scanned without the interpreter lock: the text is immutable and referenced by
     * the arguments, the output string is not shared until returned, and each table value is read
     * once per use into a local, checked, and checked again in the second pass (another thread may
     * write to the tables meanwhile). Short texts keep the lock: releasing and taking it back costs
     * more than the scan, and next to a busy thread each release can wait for a switch interval. */
    PyThreadState *save = n >= NFKC_NOGIL_MIN ? PyEval_SaveThread() : NULL;
    /* first pass: output length and widest character, or the decision to fall back */
    for (Py_ssize_t i = 0; i < n && !fallback && !error; i++) {
        Py_UCS4 c = PyUnicode_READ(in_kind, in, i);
        if (c > 0xFFFF) {
            fallback = 1;
            break;
        }
        uint8_t kind = kinds[c];
        switch (kind) {
        case 1:
        case 2: {
            Py_UCS4 o = kind == 1 ? c : target[c];
            if (o > 0xFFFF) {
                error = 1;
                bad = c;
                break;
            }
            if (drop[o]) {
                removed++;
            } else {
                out_len++;
                maxchar = o > maxchar ? o : maxchar;
            }
            break;
        }
        case 3: {
            int64_t lo = many_start[c], hi = many_start[c + 1]; /* read once: checked, then used */
            if (lo < 0 || hi < lo || hi > n_pool) {
                error = 2;
                bad = c;
                break;
            }
            for (int64_t k = lo; k < hi; k++) {
                Py_UCS4 o = pool[k];
                if (o > 0xFFFF) {
                    fallback = 1;
                } else if (drop[o]) {
                    removed++;
                } else {
                    out_len++;
                    maxchar = o > maxchar ? o : maxchar;
                }
            }
            break;
        }
        default:
            fallback = 1;
        }
    }
    if (save != NULL) {
        PyEval_RestoreThread(save);
    }
    if (error) {
        release_all(&b);
        if (error == 1) {
            PyErr_Format(PyExc_ValueError, "target[%u] is beyond the BMP", (unsigned)bad);
        } else {
            PyErr_Format(PyExc_ValueError, "many_start[%u] and many_start[%u] do not bound a range of many_pool",
                         (unsigned)bad, (unsigned)bad + 1);
        }
        return NULL;
    }
    if (fallback) {
        release_all(&b);
        Py_RETURN_NONE;
    }
    PyObject *out = PyUnicode_New(out_len, maxchar);
    if (out == NULL) {
        release_all(&b);
        return NULL;
    }
    int out_kind = PyUnicode_KIND(out), changed = 0;
    void *dst = PyUnicode_DATA(out);
    Py_ssize_t j = 0;
    Py_UCS4 written_max = 0; /* must reach maxchar again: PyUnicode_New chose the kind from it */
    save = n >= NFKC_NOGIL_MIN ? PyEval_SaveThread() : NULL;
    for (Py_ssize_t i = 0; i < n && !changed; i++) {
        Py_UCS4 c = PyUnicode_READ(in_kind, in, i);
        uint8_t kind = c > 0xFFFF ? 0 : kinds[c];
        if (kind == 3) {
            int64_t lo = many_start[c], hi = many_start[c + 1];
            if (lo < 0 || hi < lo || hi > n_pool) {
                changed = 1;
                break;
            }
            for (int64_t k = lo; k < hi; k++) {
                Py_UCS4 o = pool[k];
                if (o > 0xFFFF) {
                    changed = 1;
                    break;
                }
                if (!drop[o]) { /* drop[o] read once: the check and the write see the same value */
                    if (j >= out_len || o > maxchar) {
                        changed = 1;
                        break;
                    }
                    written_max = o > written_max ? o : written_max;
                    PyUnicode_WRITE(out_kind, dst, j++, o);
                }
            }
            continue;
        }
        if (kind != 1 && kind != 2) {
            changed = 1;
            break;
        }
        Py_UCS4 o = kind == 1 ? c : target[c];
        if (o > 0xFFFF) {
            changed = 1;
            break;
        }
        if (!drop[o]) {
            if (j >= out_len || o > maxchar) {
                changed = 1;
                break;
            }
            written_max = o > written_max ? o : written_max;
            PyUnicode_WRITE(out_kind, dst, j++, o);
        }
    }
    if (save != NULL) {
        PyEval_RestoreThread(save);
    }
    release_all(&b);
    if (changed || j != out_len || written_max != maxchar) {
        Py_DECREF(out);
        PyErr_SetString(PyExc_ValueError, "an argument changed during the call (results not computed)");
        return NULL;
    }
    return Py_BuildValue("(Nn)", out, removed);
}

/* marks: uint8 per BMP code point, 1 for the characters looked for; every character beyond the BMP
 * counts as marked. */
static int get_marks(Buffers *b, PyObject *obj, const uint8_t **marks)
{
    void *p;
    Py_ssize_t len;
    if (get_buffer(b, obj, "marks", 1, 'u', 0, &p, &len) < 0) {
        return -1;
    }
    if (len != 0x10000) {
        PyErr_SetString(PyExc_ValueError, "marks must have 65536 entries");
        return -1;
    }
    *marks = (const uint8_t *)p;
    return 0;
}

#define IS_MARKED(marks, c) ((c) > 0xFFFF || (marks)[c])

PyDoc_STRVAR(marked_lines_doc,
"marked_lines(text, marks) -> list[int]\n--\n\n"
"Start and end offsets, one after the other, of the lines of text (split at '\\n', the break not\n"
"included) that hold a marked character (marks: uint8 per BMP code point; characters beyond the BMP\n"
"count as marked).");

static PyObject *marked_lines(PyObject *self, PyObject *args)
{
    PyObject *text, *marks_obj;
    (void)self;
    if (!PyArg_ParseTuple(args, "UO", &text, &marks_obj)) {
        return NULL;
    }
    Buffers b = {.n = 0};
    const uint8_t *marks;
    if (get_marks(&b, marks_obj, &marks) < 0) {
        release_all(&b);
        return NULL;
    }
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        release_all(&b);
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), start = 0, i = 0;
    while (i < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\n') {
            start = ++i;
            continue;
        }
        if (!IS_MARKED(marks, c)) {
            i++;
            continue;
        }
        Py_ssize_t end = i;
        while (end < n && PyUnicode_READ(kind, data, end) != '\n') {
            end++;
        }
        PyObject *a = PyLong_FromSsize_t(start), *z = PyLong_FromSsize_t(end);
        int failed = a == NULL || z == NULL || PyList_Append(out, a) < 0 || PyList_Append(out, z) < 0;
        Py_XDECREF(a);
        Py_XDECREF(z);
        if (failed) {
            Py_DECREF(out);
            release_all(&b);
            return NULL;
        }
        start = i = end + 1;
    }
    release_all(&b);
    return out;
}

static PyMethodDef methods[] = {
    {"char_sums", char_sums, METH_VARARGS, char_sums_doc},
    {"word_sums", word_sums, METH_VARARGS, word_sums_doc},
    {"token_spans", token_spans, METH_VARARGS, token_spans_doc},
    {"lexicon_matches", lexicon_matches, METH_VARARGS, lexicon_matches_doc},
    {"nfkc_visible", nfkc_visible, METH_VARARGS, nfkc_visible_doc},
    {"marked_lines", marked_lines, METH_VARARGS, marked_lines_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups",
    "Optional compiled kernels of tagger's hashed TF-IDF scorer (see tagger.features).", -1, methods,
};

PyMODINIT_FUNC PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
