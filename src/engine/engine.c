/* The engine's entry points. The pipeline of checks (MIME analysis, rules,
 * classifiers, anti-virus) plugs in here with the engine issue; for now a
 * scan reads the message and returns the "clean" verdict. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "engine/engine.h"

struct mg_engine {
	unsigned	 nchecks;	/* checks registered; none yet */
};

struct mg_engine *
mg_engine_open(const struct mg_conf *conf, struct mg_error *err)
{
	struct mg_engine *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		strcpy(err->text, "out of memory");
		return NULL;
	}
	return e;
}

int
mg_scan(struct mg_engine *e, const struct mg_envelope *env, const uint8_t *msg,
    size_t len, struct mg_result *res)
{
	memset(res, 0, sizeof(*res));
	mg_buf_init(&res->headers, 64 * 1024);
	res->action = MG_ACTION_ACCEPT;
	res->verdict = "clean";
	res->score = 0.0;
	return 0;
}

void
mg_result_clear(struct mg_result *res)
{
	mg_buf_release(&res->headers);
}

void
mg_engine_close(struct mg_engine *e)
{
	free(e);
}
