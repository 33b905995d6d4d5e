/* Unit tests for the bounded queue: FIFO order, ownership transfer, blocking
 * producers under a small capacity, and close semantics, with real threads. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "qr_queue.h"
#include "qr_test.h"

#define N_ITEMS 20000

static void *producer(void *arg)
{
    qr_queue *q = arg;
    for (intptr_t i = 1; i <= N_ITEMS; i++) {
        void *p = (void *)i;
        if (!qr_queue_send(q, &p) || p != NULL)
            return (void *)1;
    }
    return NULL;
}

static void test_order_under_pressure(void)
{
    qr_queue *q = qr_queue_new(3);
    pthread_t t;
    pthread_create(&t, NULL, producer, q);
    intptr_t expect = 1;
    bool in_order = true;
    for (int i = 0; i < N_ITEMS; i++) {
        void *p;
        CHECK(qr_queue_recv(q, &p));
        in_order &= (intptr_t)p == expect++;
        CHECK(qr_queue_len(q) <= 3);
    }
    void *ret;
    pthread_join(t, &ret);
    CHECK(ret == NULL);
    CHECK(in_order);
    qr_queue_free(&q, NULL);
    CHECK(q == NULL);
}

static int dropped;
static void drop(void *p)
{
    free(p);
    dropped++;
}

static void test_close(void)
{
    qr_queue *q = qr_queue_new(4);
    for (int i = 0; i < 3; i++) {
        void *p = malloc(8);
        CHECK(qr_queue_send(q, &p));
    }
    qr_queue_close(q);
    void *p = malloc(8);
    CHECK(!qr_queue_send(q, &p) && p != NULL); /* ownership stays with the sender */
    free(p);
    void *got;
    CHECK(qr_queue_recv(q, &got)); /* closed queues still drain */
    free(got);
    qr_queue_free(&q, drop);
    CHECK_EQ_INT(dropped, 2);
}

int main(void)
{
    test_order_under_pressure();
    test_close();
    return qr_test_end();
}
