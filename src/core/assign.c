#include "crosswatch/assign.h"

#include <float.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/error.h"
#include "crosswatch/log.h"

struct cw_assign {
    int cap_n, cap_m; /* capacity of the scratch arrays */
    double *u, *v, *minv;
    int *p, *way;
    bool *used;
    double *t; /* the transposed matrix when rows > cols */
    size_t t_cap;
    int *col_to_row; /* the transposed answer */
    int c_cap;
};

struct cw_assign *cw_assign_new(void)
{
    struct cw_assign *a = calloc(1, sizeof(*a));
    if (!a)
        cw_log_error("assign", "out of memory");
    return a;
}

/* The per-size work arrays, which reserve() replaces when a bigger problem comes. */
static void free_work(struct cw_assign *a)
{
    free(a->u);
    free(a->v);
    free(a->minv);
    free(a->p);
    free(a->way);
    free(a->used);
}

void cw_assign_free(struct cw_assign *a)
{
    if (!a)
        return;
    free_work(a);
    free(a->t);
    free(a->col_to_row);
    free(a);
}

static int reserve(struct cw_assign *a, int n, int m)
{
    if (n <= a->cap_n && m <= a->cap_m)
        return 0;
    if (n < a->cap_n)
        n = a->cap_n;
    if (m < a->cap_m)
        m = a->cap_m;
    free_work(a);
    a->u = malloc(sizeof(double) * (size_t)(n + 1));
    a->v = malloc(sizeof(double) * (size_t)(m + 1));
    a->minv = malloc(sizeof(double) * (size_t)(m + 1));
    a->p = malloc(sizeof(int) * (size_t)(m + 1));
    a->way = malloc(sizeof(int) * (size_t)(m + 1));
    a->used = malloc(sizeof(bool) * (size_t)(m + 1));
    if (!a->u || !a->v || !a->minv || !a->p || !a->way || !a->used) {
        a->cap_n = a->cap_m = 0;
        cw_log_error("assign", "out of memory for a %dx%d assignment", n, m);
        return CW_ENOMEM;
    }
    a->cap_n = n;
    a->cap_m = m;
    return 0;
}

/* n <= m: every row gets a column. Potentials u (rows), v (columns); p[j] is the row (1-based)
 * holding column j; column 0 is the virtual start of each augmenting path. */
static void solve(struct cw_assign *a, const double *c, int n, int m, int *row_to_col)
{
    double *u = a->u, *v = a->v, *minv = a->minv;
    int *p = a->p, *way = a->way;
    bool *used = a->used;

    memset(u, 0, sizeof(double) * (size_t)(n + 1));
    memset(v, 0, sizeof(double) * (size_t)(m + 1));
    memset(p, 0, sizeof(int) * (size_t)(m + 1));
    for (int i = 1; i <= n; i++) {
        int j0 = 0;
        p[0] = i;
        for (int j = 0; j <= m; j++) {
            minv[j] = DBL_MAX;
            used[j] = false;
        }
        do {
            int i0 = p[j0], j1 = 0;
            double delta = DBL_MAX;
            const double *row = c + (size_t)(i0 - 1) * m;
            used[j0] = true;
            for (int j = 1; j <= m; j++) {
                if (used[j])
                    continue;
                double cur = row[j - 1] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (int j = 0; j <= m; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            int j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    for (int j = 1; j <= m; j++)
        if (p[j])
            row_to_col[p[j] - 1] = j - 1;
}

int cw_assign_solve(struct cw_assign *a, const double *cost, int rows, int cols, int *row_to_col)
{
    if (rows <= 0 || cols <= 0) {
        for (int r = 0; r < rows; r++)
            row_to_col[r] = -1;
        return 0;
    }
    if (rows <= cols) {
        if (reserve(a, rows, cols))
            return CW_ENOMEM;
        solve(a, cost, rows, cols, row_to_col);
        return rows;
    }
    /* More rows than columns: solve the transpose, then invert the answer. */
    size_t need = (size_t)rows * (size_t)cols;
    if (need > a->t_cap) {
        double *t = realloc(a->t, sizeof(double) * need);
        if (!t) {
            cw_log_error("assign", "out of memory for a %dx%d assignment", rows, cols);
            return CW_ENOMEM;
        }
        a->t = t;
        a->t_cap = need;
    }
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            a->t[(size_t)c * rows + r] = cost[(size_t)r * cols + c];
    if (cols > a->c_cap) {
        int *ctr = realloc(a->col_to_row, sizeof(int) * (size_t)cols);
        if (!ctr) {
            cw_log_error("assign", "out of memory for a %dx%d assignment", rows, cols);
            return CW_ENOMEM;
        }
        a->col_to_row = ctr;
        a->c_cap = cols;
    }
    if (reserve(a, cols, rows))
        return CW_ENOMEM;
    solve(a, a->t, cols, rows, a->col_to_row);
    for (int r = 0; r < rows; r++)
        row_to_col[r] = -1;
    for (int c = 0; c < cols; c++)
        row_to_col[a->col_to_row[c]] = c;
    return cols;
}
