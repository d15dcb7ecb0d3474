/* Reading a source ahead on a thread of its own: a bounded queue of frames between the reader
 * and the consumer. See prefetch.h. */
#include "crosswatch/prefetch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "crosswatch/error.h"
#include "crosswatch/log.h"

#define MAX_DEPTH 64

struct cw_prefetch {
    struct cw_source *src;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct cw_frame *q[MAX_DEPTH]; /* the frames read and not yet taken, oldest at head */
    int head, n, depth;
    int end;   /* what the source ended with, once done */
    bool done; /* the reader has stopped */
    atomic_bool stop;
};

int cw_prefetch_pool_frames(int depth)
{
    /* the queued frames, the one being decoded into, and the one the consumer holds */
    return depth + 2;
}

static void *reader(void *arg)
{
    struct cw_prefetch *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->n == p->depth && !atomic_load(&p->stop))
            pthread_cond_wait(&p->changed, &p->lock);
        pthread_mutex_unlock(&p->lock);
        struct cw_frame *f = NULL;
        int err = atomic_load(&p->stop) ? CW_ECANCELED : cw_source_read(p->src, &f);
        pthread_mutex_lock(&p->lock);
        if (!err && atomic_load(&p->stop)) { /* stopped while reading: the queue may be full */
            cw_frame_unref(&f);
            err = CW_ECANCELED;
        }
        if (err) {
            p->end = err;
            p->done = true;
        } else { /* not stopped, so there is room: only the consumer takes frames out */
            p->q[(p->head + p->n) % p->depth] = f;
            p->n++;
        }
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        if (err)
            return NULL;
    }
}

int cw_prefetch_new(struct cw_source *src, int depth, struct cw_prefetch **out)
{
    *out = NULL;
    if (!src || depth < 1 || depth > MAX_DEPTH) {
        cw_log_error("prefetch", "reading ahead: depth %d is not 1..%d", depth, MAX_DEPTH);
        return CW_EINVAL;
    }
    struct cw_prefetch *p = calloc(1, sizeof(*p));
    if (!p) {
        cw_log_error("prefetch", "reading ahead: out of memory");
        return CW_ENOMEM;
    }
    p->src = src;
    p->depth = depth;
    atomic_init(&p->stop, false);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    if (pthread_create(&p->thread, NULL, reader, p)) {
        cw_log_error("prefetch", "reading ahead: cannot start a thread");
        pthread_cond_destroy(&p->changed);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return CW_ENOMEM;
    }
    *out = p;
    return 0;
}

int cw_prefetch_read(struct cw_prefetch *p, struct cw_frame **out)
{
    int ret = 0;
    *out = NULL;
    pthread_mutex_lock(&p->lock);
    while (p->n == 0 && !p->done)
        pthread_cond_wait(&p->changed, &p->lock);
    if (p->n > 0) {
        *out = p->q[p->head];
        p->head = (p->head + 1) % p->depth;
        p->n--;
        pthread_cond_broadcast(&p->changed);
    } else {
        ret = p->end;
    }
    pthread_mutex_unlock(&p->lock);
    return ret;
}

void cw_prefetch_free(struct cw_prefetch *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, true);
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    cw_source_cancel(p->src); /* a read blocked on a live source */
    pthread_join(p->thread, NULL);
    for (; p->n > 0; p->n--, p->head = (p->head + 1) % p->depth)
        cw_frame_unref(&p->q[p->head]);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
