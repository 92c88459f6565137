/* The anti-virus check (av.h): engines opened once from engine.av and
 * shared by the scanning threads, results cached by SHA-256. */
#include <ctype.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "av/av.h"
#include "checks/av.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "mime/attach.h"

#define AV_MAX_ENGINES	2

struct av_engine_slot {
	const struct mg_av_engine *engine;
	void		*state;
	char		 virus[32], fail[32];	/* AV_CLAMAV_VIRUS, AV_CLAMAV_FAIL */
};

struct av_state {
	struct av_engine_slot eng[AV_MAX_ENGINES];	/* started in this order */
	size_t		 neng;
	struct mg_av_cache *cache;
	enum conf_av_failure on_failure;
	bool		 bodies;		/* engine.av.bodies */
	uint64_t	 timeout_ns[AV_MAX_ENGINES];
};

#define AV_VIRUS(n, d)	{ n, 5.0, MG_CAT_MALWARE, MG_VERDICT_QUARANTINE, d }
#define AV_NOTE(n, d)	{ n, 0.0, MG_CAT_CLEAN, MG_VERDICT_ACCEPT, d }
static const struct symbol_def av_symbols[] = {
	AV_VIRUS("AV_CLAMAV_VIRUS", "libclamav found a virus (option: clamav:SIGNATURE FILE)"),
	AV_VIRUS("AV_CLAMD_VIRUS", "clamd found a virus (option: clamd:SIGNATURE FILE)"),
	AV_NOTE("AV_CLAMAV_FAIL", "libclamav failed or ran out of time on a part"),
	AV_NOTE("AV_CLAMD_FAIL", "clamd could not be reached, timed out or answered garbage"),
	AV_NOTE("AV_UNSCANNED", "every anti-virus engine failed on a part"),
	AV_NOTE("AV_FAIL", "the av check failed or timed out"),
};

static void av_fini(void *);

/* One engine into the next slot; 0 or -MG_EINVAL with err filled. */
static int
av_add(struct av_state *st, const struct mg_av_engine *e, const struct conf_av *c,
    double timeout, char *err, size_t errlen)
{
	struct av_engine_slot *s = &st->eng[st->neng];
	char up[16];
	size_t i;

	if ((s->state = e->open(c, err, errlen)) == NULL)
		return -MG_EINVAL;
	s->engine = e;
	for (i = 0; e->name[i] != '\0' && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)e->name[i]);
	up[i] = '\0';
	snprintf(s->virus, sizeof(s->virus), "AV_%s_VIRUS", up);
	snprintf(s->fail, sizeof(s->fail), "AV_%s_FAIL", up);
	st->timeout_ns[st->neng++] = (uint64_t)(timeout * 1e9);
	return 0;
}

static int
av_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_av *c = &conf->engine.av;
	struct av_state *st;

	*state = NULL;
	if (!conf_av_enabled(c))
		return 0;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->cache = mg_av_cache_new(c->cache_ttl, c->cache_max_entries)) == NULL) {
		free(st);
		snprintf(err, errlen, "out of memory");
		return -MG_ENOMEM;
	}
	st->on_failure = c->on_failure;
	st->bodies = c->bodies;
	/* clamd first: it scans elsewhere while libclamav scans here. */
	if ((c->clamd != NULL && av_add(st, &mg_av_clamd, c, c->clamd_timeout, err, errlen) < 0) ||
	    (c->clamav && av_add(st, &mg_av_clamav, c, c->clamav_timeout, err, errlen) < 0)) {
		av_fini(st);
		return -MG_EINVAL;
	}
	*state = st;
	return 0;
}

static const char *
av_part_name(const struct mime_part *p)
{
	if (p->att != NULL && p->att->name[0] != '\0')
		return p->att->name;
	return p->filename ? p->filename : "(body)";
}

/* The lower-case hex SHA-256 of data into hex[65]. */
static int
av_sha256(const uint8_t *data, size_t len, char *hex)
{
	uint8_t md[32];

	if (EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) != 1)
		return -MG_ENOMEM;
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Reports one engine's result on a part (an attachment, or NULL for a
 * body); true when the engine answered. */
static bool
av_report(struct av_state *st, struct mg_task *t, size_t i, const struct mg_av_job *job,
    const struct mime_part *part, const char *name, const char *sha, bool cached)
{
	const struct av_engine_slot *s = &st->eng[i];
	char opt[TASK_MAX_OPTION_LEN];

	if (job->rc < 0) {
		snprintf(opt, sizeof(opt), "%s %s", mg_strerror(job->rc), name);
		mg_task_symbol(t, s->fail, opt);
		return false;
	}
	if (!cached)
		mg_av_cache_put(st->cache, s->engine->name, sha, (uint64_t)time(NULL),
		    (enum mg_av_status)job->rc, job->signature);
	log_info("av result engine=%s sha256=%s cached=%s found=\"%s\"", s->engine->name,
	    sha, cached ? "yes" : "no", job->rc == MG_AV_FOUND ? job->signature : "");
	if (job->rc == MG_AV_FOUND) {
		snprintf(opt, sizeof(opt), "%s:%s %s", s->engine->name, job->signature, name);
		mg_task_symbol_part(t, s->virus, opt, part);
	}
	return true;
}

/* Every engine on one buffer: cached answers first, then the others
 * started in order and finished in reverse, so that clamd scans while
 * libclamav does. False when no engine answered. */
static bool
av_scan_buffer(struct av_state *st, struct mg_task *t, const struct mime_part *part,
    const uint8_t *data, size_t len, const char *name, const char *sha)
{
	struct mg_av_job jobs[AV_MAX_ENGINES];
	bool pending[AV_MAX_ENGINES] = { false }, answered = false;
	uint64_t now = mg_clock_ns();
	enum mg_av_status status;

	for (size_t i = 0; i < st->neng; i++) {
		const struct av_engine_slot *s = &st->eng[i];
		mg_av_job_init(&jobs[i], data, len);
		if (mg_av_cache_get(st->cache, s->engine->name, sha, (uint64_t)time(NULL),
		    &status, jobs[i].signature, sizeof(jobs[i].signature))) {
			jobs[i].rc = (int)status;
			answered |= av_report(st, t, i, &jobs[i], part, name, sha, true);
			continue;
		}
		jobs[i].deadline_ns = now + st->timeout_ns[i];
		pending[i] = true;
		if (s->engine->start(s->state, &jobs[i]) < 0 || jobs[i].done) {
			pending[i] = false;
			answered |= av_report(st, t, i, &jobs[i], part, name, sha, false);
		}
	}
	for (size_t i = st->neng; i-- > 0;) {
		if (!pending[i])
			continue;
		st->eng[i].engine->finish(st->eng[i].state, &jobs[i]);
		answered |= av_report(st, t, i, &jobs[i], part, name, sha, false);
	}
	return answered;
}

/* Every engine failed on a part: tempfail the message, or pass it with
 * a header, as engine.av.on_failure says. */
static int
av_unscanned(const struct av_state *st, struct mg_task *t, const char *name)
{
	bool first = mg_task_symbol_get(t, "AV_UNSCANNED") == NULL;
	int rc = mg_task_symbol(t, "AV_UNSCANNED", name);

	if (rc == 0 && first && st->on_failure == CONF_AV_ACCEPT_WITH_HEADER)
		rc = mg_task_header(t, "X-Mailgate-AV", "unscanned");
	if (rc == 0 && st->on_failure == CONF_AV_TEMPFAIL)
		rc = mg_task_tempfail(t, "Anti-virus scanning unavailable, please try again later");
	return rc;
}

/* The kept members of an archive opened with a password from the body:
 * the engines cannot decrypt it themselves. */
static int
av_scan_opened(struct av_state *st, struct mg_task *t, const struct mime_part *p)
{
	const struct mime_attachment *a = p->att;
	char sha[65], name[1024];

	if (a == NULL || a->password == NULL)
		return 0;
	for (size_t i = 0; i < a->nmembers; i++) {
		const struct attach_member *m = &a->members[i];
		if (m->data == NULL)
			continue;
		if (av_sha256(m->data, m->len, sha) < 0)
			return -MG_ENOMEM;
		snprintf(name, sizeof(name), "%s/%s", av_part_name(p), m->path);
		if (!av_scan_buffer(st, t, p, m->data, m->len, name, sha) &&
		    av_unscanned(st, t, name) < 0)
			return -MG_ENOMEM;
	}
	return 0;
}

static int
av_scan(void *state, struct mg_task *t)
{
	struct av_state *st = state;
	const struct mime_msg *m = t->msg;
	char sha[65];

	if (st == NULL || m == NULL)
		return 0;
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = m->parts[i];
		if (p->first_child != NULL || p->body.len == 0 || (!st->bodies && p->att == NULL))
			continue;	/* multipart and message/rfc822: their leaves come */
		if (mg_task_expired(t)) {
			/* the parts left are unscanned: never passed silently */
			return av_unscanned(st, t, av_part_name(p)) < 0 ? -MG_ENOMEM :
			    -MG_ETIMEOUT;
		}
		if (p->att != NULL)
			memcpy(sha, p->att->sha256, sizeof(sha));
		else if (av_sha256(p->body.ptr, p->body.len, sha) < 0)
			return -MG_ENOMEM;
		if (!av_scan_buffer(st, t, p->is_attachment ? p : NULL, p->body.ptr, p->body.len,
		    av_part_name(p), sha) &&
		    av_unscanned(st, t, av_part_name(p)) < 0)
			return -MG_ENOMEM;
		if (av_scan_opened(st, t, p) < 0)
			return -MG_ENOMEM;
	}
	return 0;
}

static void
av_fini(void *state)
{
	struct av_state *st = state;

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->neng; i++)
		st->eng[i].engine->close(st->eng[i].state);
	mg_av_cache_free(st->cache);
	free(st);
}

CHECK_SYMBOLS_HOOK(av_symbols_of, av_symbols)

const struct mg_check check_av = {
	.name = "av",
	.init = av_init,
	.scan = av_scan,
	.fini = av_fini,
	.symbols = av_symbols_of,
};
