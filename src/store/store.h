/* The store interface (DESIGN.md section 4): the message log, delivery
 * events and connection counts today; quarantine, policies and users later. Backends implement
 * struct store_ops; SQLite (store_sqlite.c) is the embedded default and
 * PostgreSQL comes with the scale-out issue, on the same schema. */
#ifndef MG_STORE_STORE_H
#define MG_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* One row per accepted message. */
struct store_message {
	uint64_t	 qid;
	time_t		 time;
	bool		 outbound;
	const char	*client_ip;
	const char	*helo;
	const char	*tls;		/* NULL = plaintext */
	const char	*mail_from;	/* "" = null sender */
	const char	*rcpts;		/* recipients joined with ", " */
	uint64_t	 size;
	const char	*verdict;
	double		 score;
	const char	*action;
	const char	*symbols;	/* "NAME(score),..." or "" */
};

/* One row per delivery attempt and recipient. */
struct store_delivery {
	uint64_t	 qid;
	time_t		 time;
	const char	*rcpt;
	const char	*remote;	/* next hop "host[ip]:port", or "" */
	const char	*status;	/* "delivered", "deferred", "failed", "expired" */
	const char	*reply;		/* remote reply or local error text */
};

struct store_query {
	const char	*from;		/* substring of the sender, or NULL */
	const char	*to;		/* substring of a recipient, or NULL */
	time_t		 since;		/* 0 = no lower bound */
	time_t		 until;		/* 0 = no upper bound */
	uint64_t	 qid;		/* 0 = any */
	unsigned	 limit;		/* 0 = 100 */
};

/* Connection counts: how many times event happened for client ip during
 * one minute (smtpd's guard: "connect", "message", refusal reasons). */
struct store_conn_count {
	time_t		 minute;	/* its first second (UTC), a multiple of 60 */
	const char	*ip;		/* an address, or "other" */
	const char	*event;
	uint64_t	 count;
};

enum store_conn_by {
	STORE_CONN_BY_MINUTE,
	STORE_CONN_BY_HOUR,
	STORE_CONN_BY_DAY,
	STORE_CONN_BY_IP,
	STORE_CONN_BY_EVENT,
};

/* Sums of the counts grouped by one key. By a time: the latest limit
 * periods, oldest first; by ip or event: the largest limit sums, largest
 * first (ties by name). */
struct store_conn_query {
	enum store_conn_by by;
	time_t		 since;		/* 0 = no lower bound (the minute holding it counts) */
	time_t		 until;		/* 0 = no upper bound */
	const char	*ip;		/* exact, or NULL */
	const char	*event;		/* exact, or NULL */
	unsigned	 limit;		/* 0 = 100 */
};

/* One group: by a time, time is the period's first second and key NULL;
 * by ip or event, key is the value and time 0. */
struct store_conn_group {
	time_t		 time;
	const char	*key;
	uint64_t	 count;
};

typedef int (*store_message_fn)(const struct store_message *, void *arg);
typedef int (*store_delivery_fn)(const struct store_delivery *, void *arg);
typedef int (*store_conn_fn)(const struct store_conn_group *, void *arg);

struct store;

struct store_ops {
	const char *name;
	int	(*open)(const char *location, bool readonly, struct store **out,
		    char *err, size_t errlen);
	void	(*close)(struct store *);
	int	(*log_message)(struct store *, const struct store_message *);
	int	(*log_delivery)(struct store *, const struct store_delivery *);
	int	(*search)(struct store *, const struct store_query *, store_message_fn, void *);
	int	(*deliveries)(struct store *, uint64_t qid, store_delivery_fn, void *);
	/* Adds every row's count to the stored one, all or none. */
	int	(*conn_add)(struct store *, const struct store_conn_count *, size_t n);
	/* Deletes the counts of minutes before before; *deleted gets the rows. */
	int	(*conn_expire)(struct store *, time_t before, uint64_t *deleted);
	int	(*conn_query)(struct store *, const struct store_conn_query *,
		    store_conn_fn, void *);
};

struct store {
	const struct store_ops *ops;
};

extern const struct store_ops store_sqlite_ops;

/* Opens the backend named by location ("/path/file.db" or "sqlite:/path");
 * NULL with a message in err on failure. */
struct store *store_open(const char *location, bool readonly, char *err, size_t errlen);
struct store *store_close(struct store *);	/* returns NULL */

static inline int
store_log_message(struct store *s, const struct store_message *m)
{
	return s->ops->log_message(s, m);
}

static inline int
store_log_delivery(struct store *s, const struct store_delivery *d)
{
	return s->ops->log_delivery(s, d);
}

static inline int
store_search(struct store *s, const struct store_query *q, store_message_fn fn, void *arg)
{
	return s->ops->search(s, q, fn, arg);
}

static inline int
store_deliveries(struct store *s, uint64_t qid, store_delivery_fn fn, void *arg)
{
	return s->ops->deliveries(s, qid, fn, arg);
}

static inline int
store_conn_add(struct store *s, const struct store_conn_count *rows, size_t n)
{
	return s->ops->conn_add(s, rows, n);
}

static inline int
store_conn_expire(struct store *s, time_t before, uint64_t *deleted)
{
	return s->ops->conn_expire(s, before, deleted);
}

static inline int
store_conn_query(struct store *s, const struct store_conn_query *q, store_conn_fn fn,
    void *arg)
{
	return s->ops->conn_query(s, q, fn, arg);
}

#endif
