/* Envelope records as compact JSON (jansson). One field table drives both
 * directions so that what encode writes is exactly what decode accepts;
 * decode is strict (types, ranges, no unknown keys, no NUL in strings)
 * because a malformed envelope must fail cleanly, never half-load. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "core/id.h"
#include "spool/envelope.h"

#define ENV_VERSION	1
#define ENV_RCPTS_MAX	100000u			/* recipients of one envelope */
#define ENV_NOTIFY_MAX	0xfu			/* the four SMTP_NOTIFY_* bits */

enum env_ftype {
	F_VERSION,	/* the format version, always ENV_VERSION */
	F_ID,		/* uint64_t as 16 hex digits */
	F_ADDR,		/* char *, NULL allowed; must be valid UTF-8 */
	F_TEXT,		/* char *, NULL allowed; invalid UTF-8 becomes '?' */
	F_BOOL,		/* bool */
	F_TIME,		/* time_t, >= 0 */
	F_U64,		/* uint64_t, <= INT64_MAX */
	F_UINT,		/* unsigned, <= max */
	F_REAL,		/* finite double */
	F_ENUM,		/* unsigned-sized enum, written as names[value] */
	F_RCPTS,	/* the recipient array */
};

#define F_REQUIRED	0x1u	/* decode fails when the key is absent */
#define F_NONNULL	0x2u	/* string that may not be null */

struct env_field {
	const char		*key;
	enum env_ftype		 type;
	size_t			 off;
	unsigned		 flags;
	unsigned		 max;		/* F_UINT: ceiling; F_ENUM: count */
	const char *const	*names;		/* F_ENUM */
};

static const char *const ret_names[] = { "unset", "full", "hdrs" };
static const char *const status_names[] = { "pending", "delivered", "failed", "disposed" };

_Static_assert(sizeof(enum env_ret) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum env_rcpt_status) == sizeof(unsigned), "enum size");

#define EF(k, t, m, fl)	{ k, t, offsetof(struct envelope, m), fl, 0, NULL }
static const struct env_field env_fields[] = {
	{ "v", F_VERSION, 0, F_REQUIRED, 0, NULL },
	EF("id", F_ID, id, F_REQUIRED),
	EF("created", F_TIME, created, F_REQUIRED),
	EF("outbound", F_BOOL, outbound, 0),
	EF("client_ip", F_TEXT, client_ip, 0),
	EF("client_helo", F_TEXT, client_helo, 0),
	EF("tls", F_TEXT, tls, 0),
	EF("mail_from", F_ADDR, mail_from, F_REQUIRED | F_NONNULL),
	EF("envid", F_ADDR, envid, 0),
	{ "ret", F_ENUM, offsetof(struct envelope, ret), 0, 3, ret_names },
	EF("eightbit", F_BOOL, eightbit, 0),
	EF("smtputf8", F_BOOL, smtputf8, 0),
	EF("size", F_U64, size, F_REQUIRED),
	EF("headers", F_TEXT, headers, 0),
	EF("verdict", F_TEXT, verdict, 0),
	EF("score", F_REAL, score, 0),
	EF("action", F_TEXT, action, 0),
	EF("reason", F_TEXT, reason, 0),
	EF("symbols", F_TEXT, symbols, 0),
	EF("is_dsn", F_BOOL, is_dsn, 0),
	{ "attempts", F_UINT, offsetof(struct envelope, attempts), 0, UINT32_MAX, NULL },
	EF("next_attempt", F_TIME, next_attempt, 0),
	EF("rcpts", F_RCPTS, rcpts, F_REQUIRED),
};
#undef EF

#define RF(k, t, m, fl)	{ k, t, offsetof(struct env_rcpt, m), fl, 0, NULL }
static const struct env_field rcpt_fields[] = {
	RF("addr", F_ADDR, addr, F_REQUIRED | F_NONNULL),
	RF("orcpt", F_ADDR, orcpt, 0),
	{ "notify", F_UINT, offsetof(struct env_rcpt, notify), 0, ENV_NOTIFY_MAX, NULL },
	{ "status", F_ENUM, offsetof(struct env_rcpt, status), F_REQUIRED, 4, status_names },
	RF("remote", F_TEXT, remote, 0),
	RF("reply", F_TEXT, reply, 0),
	RF("done_at", F_TIME, done_at, 0),
	RF("act", F_TEXT, act, 0),
	RF("act_args", F_TEXT, act_args, 0),
	RF("act_filter", F_TEXT, act_filter, 0),
};
#undef RF

#define NFIELDS(t)	(sizeof(t) / sizeof((t)[0]))

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 when it is invalid. */
static size_t
utf8_seq(const uint8_t *s, size_t len)
{
	uint8_t c = s[0];
	size_t n;
	uint8_t lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* A JSON string for s; invalid UTF-8 is refused (-MG_EINVAL) or, when
 * lossy, each offending byte is replaced with '?'. */
static int
string_to_json(const char *s, bool lossy, json_t **out)
{
	size_t len = strlen(s), i, n;
	char *copy = NULL;

	for (i = 0; i < len; i += n) {
		if ((n = utf8_seq((const uint8_t *)s + i, len - i)) != 0)
			continue;
		if (!lossy)
			return -MG_EINVAL;
		if (copy == NULL && (copy = strdup(s)) == NULL)
			return -MG_ENOMEM;
		copy[i] = '?';
		n = 1;
	}
	*out = json_stringn_nocheck(copy ? copy : s, len);
	free(copy);
	return *out ? 0 : -MG_ENOMEM;
}

/* The JSON value of one field of the struct at base. */
static int
field_to_json(const struct env_field *f, const void *base, json_t **out)
{
	const char *p = (const char *)base + f->off;
	char hex[MG_ID_STRLEN + 1];
	unsigned u;

	*out = NULL;
	switch (f->type) {
	case F_VERSION:
		*out = json_integer(ENV_VERSION);
		break;
	case F_ID:
		mg_id_format(*(const uint64_t *)p, hex);
		*out = json_string_nocheck(hex);
		break;
	case F_ADDR:
	case F_TEXT:
		if (*(char *const *)p == NULL) {
			if (f->flags & F_NONNULL)
				return -MG_EINVAL;
			*out = json_null();
			break;
		}
		return string_to_json(*(char *const *)p, f->type == F_TEXT, out);
	case F_BOOL:
		*out = json_boolean(*(const bool *)p);
		break;
	case F_TIME:
		if (*(const time_t *)p < 0)
			return -MG_EINVAL;
		*out = json_integer((json_int_t)*(const time_t *)p);
		break;
	case F_U64:
		if (*(const uint64_t *)p > INT64_MAX)
			return -MG_EINVAL;
		*out = json_integer((json_int_t)*(const uint64_t *)p);
		break;
	case F_UINT:
		if (*(const unsigned *)p > f->max)
			return -MG_EINVAL;
		*out = json_integer(*(const unsigned *)p);
		break;
	case F_REAL:
		if (!isfinite(*(const double *)p))
			return -MG_EINVAL;
		*out = json_real(*(const double *)p);
		break;
	case F_ENUM:
		if ((u = *(const unsigned *)p) >= f->max)
			return -MG_EINVAL;
		*out = json_string_nocheck(f->names[u]);
		break;
	case F_RCPTS:
		return -MG_EINVAL;	/* handled by the caller */
	}
	return *out ? 0 : -MG_ENOMEM;
}

static int
struct_to_json(const struct env_field *fields, size_t nfields, const void *base,
    json_t *obj)
{
	json_t *v;
	int rc;

	for (size_t i = 0; i < nfields; i++) {
		if (fields[i].type == F_RCPTS)
			continue;
		if ((rc = field_to_json(&fields[i], base, &v)) < 0)
			return rc;
		if (json_object_set_new_nocheck(obj, fields[i].key, v) == -1)
			return -MG_ENOMEM;
	}
	return 0;
}

static int
rcpts_to_json(const struct envelope *env, json_t *obj)
{
	json_t *arr, *r;
	int rc;

	if (env->nrcpts > ENV_RCPTS_MAX)
		return -MG_ELIMIT;
	if ((arr = json_array()) == NULL)
		return -MG_ENOMEM;
	if (json_object_set_new_nocheck(obj, "rcpts", arr) == -1)
		return -MG_ENOMEM;
	for (size_t i = 0; i < env->nrcpts; i++) {
		if ((r = json_object()) == NULL)
			return -MG_ENOMEM;
		if (json_array_append_new(arr, r) == -1)
			return -MG_ENOMEM;
		if ((rc = struct_to_json(rcpt_fields, NFIELDS(rcpt_fields),
		    &env->rcpts[i], r)) < 0)
			return rc;
	}
	return 0;
}

int
envelope_encode(const struct envelope *env, struct mg_buf *out)
{
	json_t *root;
	size_t need;
	int rc;

	if ((root = json_object()) == NULL)
		return -MG_ENOMEM;
	if ((rc = struct_to_json(env_fields, NFIELDS(env_fields), env, root)) < 0 ||
	    (rc = rcpts_to_json(env, root)) < 0)
		goto out;
	rc = -MG_ENOMEM;
	if ((need = json_dumpb(root, NULL, 0, JSON_COMPACT)) == 0)
		goto out;
	if ((rc = mg_buf_reserve(out, need)) < 0)
		goto out;
	if (json_dumpb(root, (char *)out->data + out->len, need, JSON_COMPACT) != need) {
		rc = -MG_ENOMEM;
		goto out;
	}
	out->len += need;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* A copy of a JSON string that contains no NUL byte, or NULL. */
static char *
json_strdup_checked(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	char *out;

	if (memchr(s, '\0', len) != NULL || (out = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

static bool
json_int_in(const json_t *v, json_int_t lo, json_int_t hi, json_int_t *out)
{
	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return *out >= lo && *out <= hi;
}

/* Stores the JSON value v into one field of the struct at base. */
static int
field_from_json(const struct env_field *f, const json_t *v, void *base)
{
	char *p = (char *)base + f->off;
	json_int_t n;

	switch (f->type) {
	case F_VERSION:
		return json_int_in(v, ENV_VERSION, ENV_VERSION, &n) ? 0 : -MG_EPROTO;
	case F_ID:
		if (!json_is_string(v) || json_string_length(v) != MG_ID_STRLEN)
			return -MG_EPROTO;
		return mg_id_parse(json_string_value(v), (uint64_t *)p) == 0 ? 0 : -MG_EPROTO;
	case F_ADDR:
	case F_TEXT:
		if (json_is_null(v))
			return f->flags & F_NONNULL ? -MG_EPROTO : 0;
		if (!json_is_string(v))
			return -MG_EPROTO;
		return (*(char **)p = json_strdup_checked(v)) ? 0 : -MG_EPROTO;
	case F_BOOL:
		if (!json_is_boolean(v))
			return -MG_EPROTO;
		*(bool *)p = json_is_true(v);
		return 0;
	case F_TIME:
	case F_U64:
		if (!json_int_in(v, 0, INT64_MAX, &n))
			return -MG_EPROTO;
		if (f->type == F_TIME)
			*(time_t *)p = (time_t)n;
		else
			*(uint64_t *)p = (uint64_t)n;
		return 0;
	case F_UINT:
		if (!json_int_in(v, 0, f->max, &n))
			return -MG_EPROTO;
		*(unsigned *)p = (unsigned)n;
		return 0;
	case F_REAL:
		if (!json_is_number(v) || !isfinite(json_number_value(v)))
			return -MG_EPROTO;
		*(double *)p = json_number_value(v);
		return 0;
	case F_ENUM:
		if (!json_is_string(v))
			return -MG_EPROTO;
		for (unsigned i = 0; i < f->max; i++) {
			if (strcmp(json_string_value(v), f->names[i]) == 0) {
				*(unsigned *)p = i;
				return 0;
			}
		}
		return -MG_EPROTO;
	case F_RCPTS:
		break;
	}
	return -MG_EPROTO;
}

static int rcpts_from_json(const json_t *arr, struct envelope *env);

/* Decodes the object obj into base: every key must be known, every
 * required key present. */
static int
struct_from_json(const struct env_field *fields, size_t nfields, const json_t *obj,
    void *base)
{
	const char *key;
	json_t *v;
	size_t i, seen = 0;
	int rc;

	if (!json_is_object(obj))
		return -MG_EPROTO;
	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; i < nfields; i++)
			if (strcmp(key, fields[i].key) == 0)
				break;
		if (i == nfields)
			return -MG_EPROTO;
		if (fields[i].type == F_RCPTS)
			rc = rcpts_from_json(v, base);
		else
			rc = field_from_json(&fields[i], v, base);
		if (rc < 0)
			return rc;
		if (fields[i].flags & F_REQUIRED)
			seen++;
	}
	for (i = 0; i < nfields; i++)
		if (fields[i].flags & F_REQUIRED)
			seen--;
	return seen == 0 ? 0 : -MG_EPROTO;
}

/* Room for n recipients: capacity is the next power of two (at least 4),
 * so that envelope_add_rcpt can grow an array that decode allocated. */
static size_t
rcpts_capacity(size_t n)
{
	size_t cap = 4;

	while (cap < n)
		cap *= 2;
	return cap;
}

static int
rcpts_from_json(const json_t *arr, struct envelope *env)
{
	size_t n, i;

	if (!json_is_array(arr) || (n = json_array_size(arr)) > ENV_RCPTS_MAX)
		return -MG_EPROTO;
	if (n == 0)
		return 0;
	if ((env->rcpts = calloc(rcpts_capacity(n), sizeof(*env->rcpts))) == NULL)
		return -MG_ENOMEM;
	for (i = 0; i < n; i++) {
		env->nrcpts = i + 1;	/* so that clear frees a partial entry */
		if (struct_from_json(rcpt_fields, NFIELDS(rcpt_fields),
		    json_array_get(arr, i), &env->rcpts[i]) < 0)
			return -MG_EPROTO;
	}
	return 0;
}

int
envelope_decode(const uint8_t *json, size_t len, struct envelope *env)
{
	struct envelope tmp = { 0 };
	json_error_t jerr;
	json_t *root;
	int rc = -MG_EPROTO;

	memset(env, 0, sizeof(*env));
	if (len > ENVELOPE_MAX_LEN)
		return -MG_EPROTO;
	root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return -MG_EPROTO;
	rc = struct_from_json(env_fields, NFIELDS(env_fields), root, &tmp);
	json_decref(root);
	if (rc < 0) {
		envelope_clear(&tmp);
		return -MG_EPROTO;
	}
	*env = tmp;
	return 0;
}

int
envelope_add_rcpt(struct envelope *env, const char *addr, const char *orcpt,
    unsigned notify)
{
	struct env_rcpt *r, *arr;
	size_t n = env->nrcpts;

	if (n >= ENV_RCPTS_MAX)
		return -MG_ELIMIT;
	if (n == 0 || n == rcpts_capacity(n)) {
		arr = realloc(env->rcpts, rcpts_capacity(n + 1) * sizeof(*arr));
		if (arr == NULL)
			return -MG_ENOMEM;
		env->rcpts = arr;
	}
	r = &env->rcpts[n];
	memset(r, 0, sizeof(*r));
	r->notify = notify;
	r->status = ENV_RCPT_PENDING;
	if ((r->addr = strdup(addr)) == NULL ||
	    (orcpt != NULL && (r->orcpt = strdup(orcpt)) == NULL)) {
		free(r->addr);
		return -MG_ENOMEM;
	}
	env->nrcpts = n + 1;
	return 0;
}

static void
struct_clear(const struct env_field *fields, size_t nfields, void *base)
{
	for (size_t i = 0; i < nfields; i++) {
		if (fields[i].type != F_ADDR && fields[i].type != F_TEXT)
			continue;
		char **p = (char **)((char *)base + fields[i].off);
		free(*p);
		*p = NULL;
	}
}

void
envelope_clear(struct envelope *env)
{
	for (size_t i = 0; i < env->nrcpts; i++)
		struct_clear(rcpt_fields, NFIELDS(rcpt_fields), &env->rcpts[i]);
	free(env->rcpts);
	struct_clear(env_fields, NFIELDS(env_fields), env);
	memset(env, 0, sizeof(*env));
}
