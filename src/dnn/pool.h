/* Internal: a fixed set of worker threads that run one parallel loop at a time for a network. */
#ifndef CW_DNN_POOL_H
#define CW_DNN_POOL_H

/* Runs task @i of @n; @thread is 0..threads-1 (which work space to use). */
typedef void (*cw__dnn_task_fn)(void *ctx, int i, int thread);

struct cw__dnn_pool;

/* Starts @threads - 1 workers (the caller is the last). Returns NULL (logged) on failure. */
struct cw__dnn_pool *cw__dnn_pool_new(int threads);
void cw__dnn_pool_free(struct cw__dnn_pool *pool);
int cw__dnn_pool_threads(const struct cw__dnn_pool *pool);

/* Runs @fn for i in 0..@n-1 over the workers and the caller; returns when all are done. */
void cw__dnn_pool_run(struct cw__dnn_pool *pool, cw__dnn_task_fn fn, void *ctx, int n);

#endif
