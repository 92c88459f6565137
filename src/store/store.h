/* The store interface (DESIGN.md section 4): the message log, delivery
 * events, connection counts, the quarantine's metadata and the policy
 * filters today; users later. Backends implement
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

/* One quarantined message (its file: quarantine/quarantine.h). */
struct store_quarantine {
	uint64_t	 id;		/* the queue id it had */
	time_t		 time;		/* when it was quarantined */
	const char	*mail_from;	/* "" = null sender */
	const char	*rcpts;		/* recipients joined with ", " */
	const char	*subject;	/* decoded, UTF-8, or "" */
	const char	*category;	/* the verdict: "spam", "malware", ... */
	double		 score;
	const char	*reason;	/* the symbol that forced it, or "score" */
	const char	*symbols;	/* "NAME(score),..." or "" */
	uint64_t	 size;		/* bytes of the message (uncompressed) */
	time_t		 released;	/* last release or forward, 0 = never */
	const char	*released_to;	/* its recipients joined with ", ", or NULL */
	bool		 hold;		/* held for an administrator's review */
};

enum store_hold_filter { STORE_HOLD_ANY, STORE_HOLD_ONLY, STORE_HOLD_NONE };

/* Filters of a quarantine search: substrings (case-insensitive for ASCII)
 * and exact category; NULL/0 = any. Newest first. */
struct store_quarantine_query {
	const char	*from;
	const char	*to;
	const char	*subject;
	const char	*category;
	time_t		 since;
	time_t		 until;		/* time <= until */
	uint64_t	 id;
	enum store_hold_filter hold;
	unsigned	 limit;		/* 0 = 100 */
};

typedef int (*store_message_fn)(const struct store_message *, void *arg);
typedef int (*store_delivery_fn)(const struct store_delivery *, void *arg);
typedef int (*store_conn_fn)(const struct store_conn_group *, void *arg);
typedef int (*store_quarantine_fn)(const struct store_quarantine *, void *arg);

/* One policy filter (policy/policy.h parses and checks the texts). */
struct store_policy {
	uint64_t	 id;		/* assigned by pol_add */
	const char	*name;
	int		 priority;
	const char	*scope;		/* "global", "domain" or "user" */
	const char	*scope_value;	/* the domain or address, or "" */
	const char	*state;		/* "enabled", "disabled" or "monitor" */
	const char	*condition;
	const char	*action;
	const char	*action_args;	/* "" when none */
	time_t		 created;
	time_t		 updated;
};

typedef int (*store_policy_fn)(const struct store_policy *, void *arg);

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
	/* Adds a row; -MG_EEXIST when id has one already. */
	int	(*quar_add)(struct store *, const struct store_quarantine *);
	int	(*quar_search)(struct store *, const struct store_quarantine_query *,
		    store_quarantine_fn, void *);
	/* Records a release; -MG_ENOENT when there is no such row. */
	int	(*quar_released)(struct store *, uint64_t id, time_t when, const char *to);
	/* -MG_ENOENT when there is no such row. */
	int	(*quar_delete)(struct store *, uint64_t id);
	/* Adds a filter; its id in *id. */
	int	(*pol_add)(struct store *, const struct store_policy *, uint64_t *id);
	/* Every filter by id, or the one with id (-MG_ENOENT when none). */
	int	(*pol_list)(struct store *, uint64_t id, store_policy_fn, void *);
	/* -MG_ENOENT when there is no such filter. */
	int	(*pol_state)(struct store *, uint64_t id, const char *state, time_t when);
	int	(*pol_delete)(struct store *, uint64_t id);
	/* Marks the single-use link nonce (hex, at most 64 bytes) used until
	 * expires; -MG_EEXIST when it was used already. Forgets nonces whose
	 * links expired before now. */
	int	(*token_use)(struct store *, const char *nonce, time_t expires, time_t now);
	/* When user's last digest was sent (*last = 0: never). */
	int	(*digest_get)(struct store *, const char *user, time_t *last);
	int	(*digest_set)(struct store *, const char *user, time_t last);
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

static inline int
store_quar_add(struct store *s, const struct store_quarantine *q)
{
	return s->ops->quar_add(s, q);
}

static inline int
store_quar_search(struct store *s, const struct store_quarantine_query *q,
    store_quarantine_fn fn, void *arg)
{
	return s->ops->quar_search(s, q, fn, arg);
}

static inline int
store_quar_released(struct store *s, uint64_t id, time_t when, const char *to)
{
	return s->ops->quar_released(s, id, when, to);
}

static inline int
store_quar_delete(struct store *s, uint64_t id)
{
	return s->ops->quar_delete(s, id);
}

static inline int
store_token_use(struct store *s, const char *nonce, time_t expires, time_t now)
{
	return s->ops->token_use(s, nonce, expires, now);
}

static inline int
store_digest_get(struct store *s, const char *user, time_t *last)
{
	return s->ops->digest_get(s, user, last);
}

static inline int
store_digest_set(struct store *s, const char *user, time_t last)
{
	return s->ops->digest_set(s, user, last);
}

static inline int
store_pol_add(struct store *s, const struct store_policy *p, uint64_t *id)
{
	return s->ops->pol_add(s, p, id);
}

static inline int
store_pol_list(struct store *s, uint64_t id, store_policy_fn fn, void *arg)
{
	return s->ops->pol_list(s, id, fn, arg);
}

static inline int
store_pol_state(struct store *s, uint64_t id, const char *state, time_t when)
{
	return s->ops->pol_state(s, id, state, when);
}

static inline int
store_pol_delete(struct store *s, uint64_t id)
{
	return s->ops->pol_delete(s, id);
}

#endif
