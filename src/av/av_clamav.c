/* libclamav in process (av.h): one compiled engine shared by every scanning
 * thread, reloaded by building a new one and swapping it under a lock; the
 * scans under way keep a reference to the old one, freed by the last. */
#include <clamav.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/av.h"
#include "core/err.h"
#include "core/log.h"

#ifndef MG_AV_DEFAULT_DB
#define MG_AV_DEFAULT_DB	"/usr/share/mailgate/av"	/* the shipped rules/av */
#endif

struct clam_db {
	struct cl_engine *engine;	/* compiled, read-only */
	unsigned	 sigs;
	unsigned	 refs;		/* under clam_state.lock */
};

struct clam_state {
	pthread_mutex_t	 lock;
	struct clam_db	*db;		/* under lock */
	char		*dir;
	struct conf_av	 limits;	/* numbers only */
};

static pthread_once_t clam_once = PTHREAD_ONCE_INIT;
static cl_error_t clam_init_rc;

/* libclamav's own messages go to our log; warnings and errors only. */
static void
clam_msg(enum cl_msg severity, const char *fullmsg, const char *msg, void *ctx)
{
	size_t n = strcspn(msg, "\n");

	if (severity == CL_MSG_ERROR)
		log_err("av clamav message=\"%.*s\"", (int)n, msg);
	else if (severity == CL_MSG_WARN)
		log_warn("av clamav message=\"%.*s\"", (int)n, msg);
}

static void
clam_global_init(void)
{
	cl_set_clcb_msg(clam_msg);
	clam_init_rc = cl_init(CL_INIT_DEFAULT);
}

static struct clam_db *
clam_db_release(struct clam_state *st, struct clam_db *db)
{
	bool last;

	pthread_mutex_lock(&st->lock);
	last = --db->refs == 0;
	pthread_mutex_unlock(&st->lock);
	if (last) {
		cl_engine_free(db->engine);
		free(db);
	}
	return NULL;
}

static cl_error_t
clam_limits(struct cl_engine *e, const struct conf_av *c)
{
	cl_error_t rc;

	if ((rc = cl_engine_set_num(e, CL_ENGINE_MAX_FILESIZE, c->max_filesize)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e, CL_ENGINE_MAX_SCANSIZE, c->max_scansize)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e, CL_ENGINE_MAX_RECURSION, c->max_recursion)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e, CL_ENGINE_MAX_FILES, c->max_files)) != CL_SUCCESS)
		return rc;
	return cl_engine_set_num(e, CL_ENGINE_MAX_SCANTIME,
	    (long long)(c->clamav_timeout * 1000.0));
}

/* Loads and compiles the databases of st->dir; NULL with err filled. */
static struct clam_db *
clam_db_build(const struct clam_state *st, char *err, size_t errlen)
{
	struct clam_db *db = calloc(1, sizeof(*db));
	cl_error_t rc = CL_EMEM;

	if (db == NULL || (db->engine = cl_engine_new()) == NULL)
		goto fail;
	if ((rc = clam_limits(db->engine, &st->limits)) != CL_SUCCESS ||
	    (rc = cl_load(st->dir, db->engine, &db->sigs, CL_DB_STDOPT)) != CL_SUCCESS ||
	    (rc = cl_engine_compile(db->engine)) != CL_SUCCESS)
		goto fail;
	db->refs = 1;
	return db;
fail:
	snprintf(err, errlen, "clamav: %s: %s", st->dir, cl_strerror(rc));
	if (db != NULL && db->engine != NULL)
		cl_engine_free(db->engine);
	free(db);
	return NULL;
}

static void clam_close(void *);

static void *
clam_open(const struct conf_av *c, char *err, size_t errlen)
{
	struct clam_state *st;

	pthread_once(&clam_once, clam_global_init);
	if (clam_init_rc != CL_SUCCESS) {
		snprintf(err, errlen, "clamav: cl_init: %s", cl_strerror(clam_init_rc));
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "clamav: out of memory");
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	if ((st->dir = strdup(c->database ? c->database : MG_AV_DEFAULT_DB)) == NULL) {
		snprintf(err, errlen, "clamav: out of memory");
		clam_close(st);
		return NULL;
	}
	st->limits = *c;
	st->limits.database = st->limits.clamd = NULL;	/* not ours */
	if ((st->db = clam_db_build(st, err, errlen)) == NULL) {
		clam_close(st);
		return NULL;
	}
	log_info("av clamav loaded dir=%s signatures=%u", st->dir, st->db->sigs);
	return st;
}

static int
clam_reload(void *state, char *err, size_t errlen)
{
	struct clam_state *st = state;
	struct clam_db *fresh = clam_db_build(st, err, errlen), *old;

	if (fresh == NULL)
		return -MG_EINVAL;
	pthread_mutex_lock(&st->lock);
	old = st->db;
	st->db = fresh;
	pthread_mutex_unlock(&st->lock);
	clam_db_release(st, old);
	log_info("av clamav reloaded dir=%s signatures=%u", st->dir, fresh->sigs);
	return 0;
}

/* Nothing to send anywhere: the scan runs in finish, while the engines
 * started before it work. */
static int
clam_start(void *state, struct mg_av_job *job)
{
	return 0;
}

static int
clam_finish(void *state, struct mg_av_job *job)
{
	struct clam_state *st = state;
	/* every parser but the image fuzzy hash, which decodes each picture
	 * whole (300 MB and 0.4 s for one PNG logo) for signatures we do not
	 * ship and official databases rarely use */
	struct cl_scan_options opts = { .parse = ~0u & ~CL_SCAN_PARSE_IMAGE_FUZZY_HASH };
	struct clam_db *db;
	cl_fmap_t *map;
	const char *virname = NULL;
	cl_error_t rc;

	pthread_mutex_lock(&st->lock);
	db = st->db;
	db->refs++;
	pthread_mutex_unlock(&st->lock);
	if ((map = cl_fmap_open_memory(job->data, job->len)) == NULL) {
		job->rc = -MG_ENOMEM;
	} else {
		rc = cl_scanmap_callback(map, NULL, &virname, NULL, db->engine, &opts, NULL);
		cl_fmap_close(map);
		if (rc == CL_VIRUS) {
			job->rc = MG_AV_FOUND;
			snprintf(job->signature, sizeof(job->signature), "%s",
			    virname ? virname : "unknown");
		} else if (rc == CL_CLEAN) {
			job->rc = MG_AV_CLEAN;
		} else {
			log_warn("av clamav scan_failed reason=\"%s\"", cl_strerror(rc));
			job->rc = rc == CL_ETIMEOUT ? -MG_ETIMEOUT : -MG_EIO;
		}
	}
	clam_db_release(st, db);
	job->done = true;
	return job->rc;
}

static void
clam_close(void *state)
{
	struct clam_state *st = state;

	if (st == NULL)
		return;
	if (st->db != NULL)
		clam_db_release(st, st->db);
	pthread_mutex_destroy(&st->lock);
	free(st->dir);
	free(st);
}

unsigned
mg_av_clamav_signatures(void *state)
{
	struct clam_state *st = state;
	unsigned n;

	pthread_mutex_lock(&st->lock);
	n = st->db->sigs;
	pthread_mutex_unlock(&st->lock);
	return n;
}

const struct mg_av_engine mg_av_clamav = {
	.name = "clamav",
	.open = clam_open,
	.reload = clam_reload,
	.start = clam_start,
	.finish = clam_finish,
	.close = clam_close,
};
