/* The URL intelligence check (url_intel.h). */
#include <stdio.h>
#include <stdlib.h>

#include "checks/url_intel.h"
#include "core/err.h"
#include "core/log.h"
#include "engine/symbol.h"
#include "intel/urldb.h"
#include "mime/mime.h"
#include "mime/url.h"

#define INTEL_POLL	64	/* URLs between deadline checks */

static const struct symbol_def intel_symbols[] = {
	{ "URL_FEED_PHISHING", 8.0, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a URL is listed by a phishing feed (option: host (source))" },
	{ "URL_FEED_MALWARE", 8.0, MG_CAT_MALWARE, MG_VERDICT_QUARANTINE,
	  "a URL is listed by a malware feed (option: host (source))" },
	{ "URL_FEED_SPAM", 4.0, MG_CAT_SPAM, MG_VERDICT_ACCEPT,
	  "a URL is listed by a spam feed (option: host (source))" },
	{ "URL_INTEL_FAIL", 0.0, MG_CAT_CLEAN, MG_VERDICT_ACCEPT,
	  "the url_intel check failed or timed out" },
};

/* Indexed by enum intel_cat. */
static const char *const intel_cat_symbol[] = { NULL, "URL_FEED_PHISHING", "URL_FEED_MALWARE",
	"URL_FEED_SPAM" };

static int
url_intel_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_intel *c = &conf->engine.intel;
	struct urldb_watch *w;
	struct urldb *db;

	*state = NULL;
	if (c->db == NULL)
		return 0;
	if ((w = urldb_watch_new(c->db, c->reload_interval)) == NULL)
		return -MG_ENOMEM;
	if ((db = urldb_watch_get(w)) == NULL)
		log_warn("intel urldb not loaded yet path=%s (mailgate feeds update builds it)",
		    c->db);
	urldb_release(db);
	*state = w;
	return 0;
}

static int
url_intel_scan(void *state, struct mg_task *t)
{
	const struct mime_msg *m = t->msg;
	struct urldb_match hit;
	struct urldb *db;
	char option[160];
	int rc = 0;

	if (state == NULL || m == NULL || m->nurls == 0 || (db = urldb_watch_get(state)) == NULL)
		return 0;
	for (size_t i = 0; i < m->nurls && rc >= 0; i++) {
		const struct mime_url *u = &m->urls[i];
		if (i % INTEL_POLL == INTEL_POLL - 1 && mg_task_expired(t)) {
			rc = -MG_ETIMEOUT;
			break;
		}
		if (urldb_lookup(db, u, &hit) != 1 || hit.category == 0 ||
		    hit.category > INTEL_CAT_MAX)
			continue;
		snprintf(option, sizeof(option), "%s (%s)", u->host, hit.source);
		rc = mg_task_symbol(t, intel_cat_symbol[hit.category], option);
	}
	urldb_release(db);
	return rc < 0 ? rc : 0;
}

static void
url_intel_fini(void *state)
{
	urldb_watch_free(state);
}

CHECK_SYMBOLS_HOOK(url_intel_symbols, intel_symbols)

const struct mg_check check_url_intel = {
	.name = "url_intel",
	.init = url_intel_init,
	.scan = url_intel_scan,
	.fini = url_intel_fini,
	.symbols = url_intel_symbols,
};
