/* Telling queued about a message put into the queue from outside its
 * loop (`mailgate quarantine release`, the portal): one QUEUE_NOTIFY over
 * a short connection to its socket. When that fails queued's periodic
 * scan finds the message anyway, within 30 seconds. */
#ifndef MG_DAEMON_QUEUED_NOTIFY_H
#define MG_DAEMON_QUEUED_NOTIFY_H

#include <stdint.h>

/* 0, -MG_EAGAIN (queued is not listening) or -MG_EIO. */
int	queued_notify(const char *spool_dir, uint64_t qid);

#endif
