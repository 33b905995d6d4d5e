/*
 * Bounded FIFO (see qr_queue.h): a ring of pointers guarded by one mutex and
 * two condition variables. Any thread may send or receive.
 */
#include "qr_queue.h"

#include <pthread.h>
#include <stdlib.h>

struct qr_queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    void **ring;
    size_t cap, head, len;
    bool closed;
};

qr_queue *qr_queue_new(size_t capacity)
{
    qr_queue *q = calloc(1, sizeof *q);
    if (!q || !capacity)
        goto fail;
    q->ring = calloc(capacity, sizeof *q->ring);
    if (!q->ring)
        goto fail;
    q->cap = capacity;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return q;
fail:
    free(q);
    return NULL;
}

bool qr_queue_send(qr_queue *q, void **item)
{
    pthread_mutex_lock(&q->mu);
    while (q->len == q->cap && !q->closed)
        pthread_cond_wait(&q->not_full, &q->mu);
    if (q->closed) {
        pthread_mutex_unlock(&q->mu);
        return false;
    }
    q->ring[(q->head + q->len) % q->cap] = *item;
    q->len++;
    *item = NULL;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return true;
}

bool qr_queue_recv(qr_queue *q, void **item)
{
    pthread_mutex_lock(&q->mu);
    while (q->len == 0 && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->mu);
    if (q->len == 0) {
        pthread_mutex_unlock(&q->mu);
        return false;
    }
    *item = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return true;
}

void qr_queue_close(qr_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

size_t qr_queue_len(qr_queue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void qr_queue_free(qr_queue **qp, void (*drop)(void *))
{
    qr_queue *q = *qp;
    if (!q)
        return;
    for (size_t i = 0; i < q->len; i++)
        if (drop)
            drop(q->ring[(q->head + i) % q->cap]);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->ring);
    free(q);
    *qp = NULL;
}
