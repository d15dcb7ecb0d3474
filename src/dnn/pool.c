/* Worker threads for the forward pass. Tasks are handed out by an atomic counter, so uneven
 * tasks balance themselves; the caller works too and waits for the stragglers. */
#include "dnn/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "crosswatch/log.h"

struct cw__dnn_pool {
    int threads;
    pthread_t *tid;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long generation; /* bumped for every loop */
    bool quit;
    int busy; /* workers still in the current loop */
    cw__dnn_task_fn fn;
    void *ctx;
    int n;
    atomic_int next;
};

struct worker_arg {
    struct cw__dnn_pool *pool;
    int index;
};

static void work(struct cw__dnn_pool *p, int thread)
{
    for (int i; (i = atomic_fetch_add(&p->next, 1)) < p->n;)
        p->fn(p->ctx, i, thread);
}

static void *worker(void *arg)
{
    struct worker_arg a = *(struct worker_arg *)arg;
    struct cw__dnn_pool *p = a.pool;
    free(arg);
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        work(p, a.index);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct cw__dnn_pool *cw__dnn_pool_new(int threads)
{
    struct cw__dnn_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->threads = threads < 1 ? 1 : threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    if (p->threads > 1) {
        p->tid = calloc((size_t)p->threads - 1, sizeof(*p->tid));
        if (!p->tid)
            goto out_free;
        for (int i = 0; i < p->threads - 1; i++) {
            struct worker_arg *a = malloc(sizeof(*a));
            if (!a ||
                (a->pool = p, a->index = i + 1, pthread_create(&p->tid[i], NULL, worker, a))) {
                free(a);
                cw_log_error("dnn", "cannot start worker thread %d of %d; use fewer threads", i + 1,
                             p->threads);
                p->threads = i + 1;
                cw__dnn_pool_free(p);
                return NULL;
            }
        }
    }
    return p;
out_free:
    free(p);
    return NULL;
}

void cw__dnn_pool_free(struct cw__dnn_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->threads - 1; i++)
        pthread_join(p->tid[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p->tid);
    free(p);
}

int cw__dnn_pool_threads(const struct cw__dnn_pool *p)
{
    return p->threads;
}

void cw__dnn_pool_run(struct cw__dnn_pool *p, cw__dnn_task_fn fn, void *ctx, int n)
{
    if (p->threads == 1 || n <= 1) {
        for (int i = 0; i < n; i++)
            fn(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    atomic_store(&p->next, 0);
    p->busy = p->threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    work(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
