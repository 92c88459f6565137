/* mailgate learn spam|ham [--unlearn | --model] FILE|DIR|-... and mailgate
 * learn --expire: teaches the Bayes store of engine.bayes.path
 * (docs/bayes.md) and, with --model, moves the trained model of
 * engine.model.path one online step per new message (docs/accuracy.md).
 * Each message is parsed and analysed as the engine does before its
 * checks; a directory is walked, each regular file one message; "-" is
 * standard input. */
#include <errno.h>
#include <fts.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_files.h"
#include "cli/commands.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/conf.h"
#include "core/err.h"
#include "learn/bayes.h"
#include "learn/model.h"
#include "mime/analyze.h"
#include "mime/mime.h"
#include "mime/url.h"

#define LEARN_ARENA_MAX	(512u << 20)

struct learn_run {
	struct bayes	*store;
	struct model	*model;		/* --model, else NULL */
	struct mime_analyze_ctx *actx;
	struct mime_limits limits;	/* the engine's, from engine.mime */
	bool		 spam, unlearn;
	unsigned long	 done, known, failed;
};

static int
learn_usage(void)
{
	fprintf(stderr, "usage: mailgate learn [-c FILE] spam|ham [--unlearn | --model] "
	    "FILE|DIR|-...\n"
	    "       mailgate learn [-c FILE] --expire\n");
	return 2;
}

static void
learn_fail(struct learn_run *r, const char *path, const char *why)
{
	char p[1024];

	cli_sanitize(path, p, sizeof(p));
	fprintf(stderr, "mailgate learn: %s: %s\n", p, why);
	r->failed++;
}

/* One message: parse and analysis as in the engine, then the store. */
static void
learn_message(struct learn_run *r, const char *path, const uint8_t *data, size_t len)
{
	struct mg_arena *a;
	struct mime_msg *m = NULL;
	int rc = -MG_ENOMEM;

	if (len == 0) {
		learn_fail(r, path, "empty message");
		return;
	}
	if ((a = mg_arena_new(64 * 1024, LEARN_ARENA_MAX)) != NULL &&
	    (m = mime_parse(a, data, len, &r->limits)) != NULL &&
	    (rc = mime_analyze(r->actx, a, m)) == 0)
		rc = bayes_learn(r->store, m, r->spam, r->unlearn);
	if (rc == 0 && r->model != NULL)
		rc = model_learn_msg(r->model, m, a, r->spam);
	if (rc == 0)
		r->done++;
	else if (rc == (r->unlearn ? -MG_ENOENT : -MG_EEXIST))
		r->known++;
	else
		learn_fail(r, path, mg_strerror(rc));
	mg_arena_free(a);
}

/* A file of the walk; its failure is counted, the walk goes on. */
static int
learn_file(void *arg, const char *path)
{
	struct learn_run *r = arg;
	struct cli_file f;
	char err[256];

	if (cli_file_map(path, &f, err, sizeof(err)) < 0) {
		learn_fail(r, path, err);
		return 0;
	}
	learn_message(r, path, f.data, f.len);
	cli_file_unmap(&f);
	return 0;
}

static void
learn_stdin(struct learn_run *r)
{
	size_t len = 0, cap = 64 * 1024, n;
	uint8_t *buf = malloc(cap), *grown;

	while (buf != NULL && (n = fread(buf + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len == cap && (cap >= CLI_FILE_MAX ||
		    (grown = realloc(buf, cap * 2)) == NULL)) {
			learn_fail(r, "-", cap >= CLI_FILE_MAX ? "message too large" :
			    "out of memory");
			free(buf);
			return;
		}
		if (len == cap) {
			buf = grown;
			cap *= 2;
		}
	}
	if (buf == NULL || ferror(stdin))
		learn_fail(r, "-", buf == NULL ? "out of memory" : strerror(errno));
	else
		learn_message(r, "-", buf, len);
	free(buf);
}

/* Files are learned in name order; what cannot be read is a failure. */
static void
learn_paths(struct learn_run *r, char **paths)
{
	for (; *paths != NULL; paths++) {
		char *one[2] = { *paths, NULL };

		if (strcmp(*paths, "-") == 0)
			learn_stdin(r);
		else if (cli_walk(one, learn_file, r) < 0)
			learn_fail(r, *paths, strerror(errno));
	}
}

static void
learn_print_store(const char *path, const struct bayes *b)
{
	struct bayes_stats st;

	bayes_stats(b, &st);
	fprintf(stderr, "mailgate learn: store %s: %u spam, %u ham, %u tokens, %.1f MiB\n",
	    path, st.nspam, st.nham, st.ntokens, (double)st.file_size / (1 << 20));
}

static int
learn_messages(struct learn_run *r, char **paths)
{
	const char *cls = r->spam ? "spam" : "ham";
	char err[256];
	double t0 = mg_clock_seconds(), secs;

	if (url_init(err, sizeof(err)) < 0)
		fprintf(stderr, "mailgate learn: %s\n", err);
	if ((r->actx = mime_analyze_ctx_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate learn: %s\n", err);
		return 1;
	}
	learn_paths(r, paths);
	secs = mg_clock_seconds() - t0;
	fprintf(stderr, "mailgate learn: %s %lu %s, %lu %s, %lu failed (%.1f s, %.0f msg/s)\n",
	    r->unlearn ? "unlearned" : "learned", r->done, cls, r->known,
	    r->unlearn ? "not learned" : "already known", r->failed, secs,
	    (double)(r->done + r->known + r->failed) / (secs > 0 ? secs : 1e-9));
	r->actx = mime_analyze_ctx_free(r->actx);
	url_fini();
	return r->failed > 0 ? 1 : 0;
}

/* learn_messages with the model loaded before and saved after (atomically:
 * scanning engines see the new file when they reopen, on SIGHUP). */
static int
learn_with_model(struct learn_run *r, const struct mg_conf *conf, char **paths)
{
	const char *path = conf->engine.model.path;
	char err[1024];
	int rc;

	if (path == NULL) {
		fprintf(stderr, "mailgate learn: %s: engine.model.path is not set\n", conf->path);
		return 1;
	}
	if ((r->model = model_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate learn: %s\n", err);
		return 1;
	}
	rc = learn_messages(r, paths);
	if (r->done > 0 && model_save(r->model, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgate learn: %s\n", err);
		rc = 1;
	}
	r->model = model_free(r->model);
	return rc;
}

/* The configuration (-c FILE, MAILGATE_CONF or the default) and its store. */
static struct mg_conf *
learn_conf(const char *conf_path, char *err, size_t errlen)
{
	struct mg_conf *conf = conf_load(conf_path, err, errlen);

	if (conf != NULL && conf->engine.bayes.path == NULL) {
		snprintf(err, errlen, "%s: engine.bayes.path is not set: Bayes is off", conf_path);
		conf_free(conf);
		return NULL;
	}
	return conf;
}

int
cmd_learn(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "unlearn", no_argument, NULL, 'U' },
		{ "expire", no_argument, NULL, 'E' },
		{ "model", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = getenv("MAILGATE_CONF");
	struct learn_run r = { 0 };
	bool expire = false, model = false;
	struct mg_conf *conf;
	char err[1024];
	int ch, rc;

	optind = 0;	/* GNU getopt: start again, options after operands too */
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'U': r.unlearn = true; break;
		case 'E': expire = true; break;
		case 'M': model = true; break;
		default: return learn_usage();
		}
	}
	if (model && (expire || r.unlearn))
		return learn_usage();
	if (expire ? optind != argc || r.unlearn : argc - optind < 2 ||
	    (strcmp(argv[optind], "spam") != 0 && strcmp(argv[optind], "ham") != 0))
		return learn_usage();
	if ((conf = learn_conf(conf_path ? conf_path : "etc/mailgate.conf", err,
	    sizeof(err))) == NULL ||
	    (r.store = bayes_open(conf->engine.bayes.path, true, &conf->engine.bayes, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate learn: %s\n", err);
		conf_free(conf);
		return 1;
	}
	if (expire) {
		if ((rc = bayes_expire(r.store, 0)) < 0)
			fprintf(stderr, "mailgate learn: expiry failed: %s\n", mg_strerror(rc));
		rc = rc < 0 ? 1 : 0;
	} else {
		r.spam = strcmp(argv[optind], "spam") == 0;
		mime_limits_conf(&r.limits, &conf->engine.mime);
		rc = model ? learn_with_model(&r, conf, argv + optind + 1) :
		    learn_messages(&r, argv + optind + 1);
	}
	learn_print_store(conf->engine.bayes.path, r.store);
	bayes_close(r.store);
	conf_free(conf);
	return rc;
}
