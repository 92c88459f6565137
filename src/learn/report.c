/* Learning from people's verdicts (report.h). */
#include "core/arena.h"
#include "core/err.h"
#include "learn/bayes.h"
#include "learn/report.h"
#include "mime/analyze.h"
#include "mime/mime.h"

int
learn_report(const struct mg_conf *conf, const uint8_t *msg, size_t len, bool spam)
{
	struct mime_analyze_ctx *ctx;
	struct mime_limits lim;
	struct mime_msg *m;
	struct mg_arena *a;
	struct bayes *b;
	char err[512];
	int rc = -MG_ENOMEM;

	if (conf->engine.bayes.path == NULL)
		return -MG_ENOENT;
	if ((b = bayes_open(conf->engine.bayes.path, true, &conf->engine.bayes, err,
	    sizeof(err))) == NULL)
		return -MG_EIO;
	mime_limits_conf(&lim, &conf->engine.mime);
	ctx = mime_analyze_ctx_new(err, sizeof(err));
	a = mg_arena_new(64 * 1024, REPORT_ARENA_MAX);
	if (ctx != NULL && a != NULL && (m = mime_parse(a, msg, len, &lim)) != NULL &&
	    (rc = mime_analyze(ctx, a, m)) == 0)
		rc = bayes_learn(b, m, spam, false);
	mg_arena_free(a);
	mime_analyze_ctx_free(ctx);
	bayes_close(b);
	return rc;
}
