/*
 * qr_queue: a bounded FIFO of pointers between pipeline threads.
 *
 * Ownership is written at the queue: qr_queue_send() takes ownership of *item
 * and sets the sender's pointer to NULL; qr_queue_recv() hands ownership to
 * the receiver. Bounded capacity is what keeps memory independent of the size
 * of a delivery: a fast producer blocks instead of piling up pages.
 *
 * Closing the queue wakes everyone: senders get false, receivers drain what is
 * left and then get false.
 */
#ifndef QR_QUEUE_H
#define QR_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct qr_queue qr_queue;

qr_queue *qr_queue_new(size_t capacity);
/* Blocks while full. Returns false (and keeps *item) when the queue is closed. */
bool qr_queue_send(qr_queue *q, void **item);
/* Blocks while empty. Returns false when closed and drained. */
bool qr_queue_recv(qr_queue *q, void **item);
void qr_queue_close(qr_queue *q);
size_t qr_queue_len(qr_queue *q);
/* Frees the queue; items still queued are passed to drop (may be NULL). */
void qr_queue_free(qr_queue **q, void (*drop)(void *));

#endif
