/* crosswatch — optimal assignment (the "Hungarian" problem) for matching detections, tracks and
 * ground truth.
 *
 * Solves min Σ cost[r][c] over a one-to-one assignment of min(rows, cols) pairs of a dense
 * rows × cols matrix of doubles, exactly (shortest augmenting paths with potentials, O(n²m)).
 * A solver keeps its scratch memory between calls, so steady use allocates nothing; one solver
 * is used by one thread at a time.
 */
#ifndef CROSSWATCH_ASSIGN_H
#define CROSSWATCH_ASSIGN_H

struct cw_assign;

struct cw_assign *cw_assign_new(void);
void cw_assign_free(struct cw_assign *a);

/* Assigns rows to columns of @cost (row-major, @rows × @cols, finite values) minimising the total.
 * Writes the column of each row to @row_to_col (-1 for rows left out when rows > cols). Returns
 * the number of pairs (min(rows, cols)), or CW_ENOMEM. */
int cw_assign_solve(struct cw_assign *a, const double *cost, int rows, int cols, int *row_to_col);

#endif
