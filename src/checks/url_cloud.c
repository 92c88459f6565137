/* The cloud URL reputation check (url_cloud.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/url_cloud.h"
#include "core/err.h"
#include "engine/symbol.h"
#include "intel/cloud.h"
#include "mime/mime.h"
#include "mime/url.h"

static const struct symbol_def cloud_symbols[] = {
	CHECK_SYMBOL("URL_CLOUD_PHISHING", 8.0, PHISHING, ACCEPT,
	    "the cloud URL service rates a URL as phishing (option: host (source))"),
	CHECK_SYMBOL("URL_CLOUD_MALWARE", 8.0, MALWARE, QUARANTINE,
	    "the cloud URL service rates a URL as malware (option: host (source))"),
	CHECK_SYMBOL("URL_CLOUD_SPAM", 4.0, SPAM, ACCEPT,
	    "the cloud URL service rates a URL as spam (option: host (source))"),
	CHECK_SYMBOL("URL_CLOUD_UNAVAILABLE", 0.0, CLEAN, ACCEPT,
	    "cloud lookup unreachable or circuit open; local data only (option: why)"),
	CHECK_SYMBOL("URL_CLOUD_FAIL", 0.0, CLEAN, ACCEPT,
	    "the url_cloud check failed"),
};

/* Indexed by enum cloud_category. */
static const char *const cloud_symbol[] = { NULL, NULL, "URL_CLOUD_PHISHING",
	"URL_CLOUD_MALWARE", "URL_CLOUD_SPAM" };

static int
url_cloud_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	*state = NULL;
	if (!conf->engine.cloud.enabled)
		return 0;
	if ((*state = cloud_new(&conf->engine.cloud, err, errlen)) == NULL)
		return -MG_EINVAL;
	return 0;
}

/* Milliseconds left before the check's deadline; 0 = no deadline. */
static uint64_t
url_cloud_budget(const struct mg_task *t)
{
	uint64_t now = task_now();

	if (t->check_deadline == UINT64_MAX)
		return 0;
	return t->check_deadline > now + 1000000u ? (t->check_deadline - now) / 1000000u : 1;
}

/* Why the service gave no answer, as the option of URL_CLOUD_UNAVAILABLE. */
static const char *
url_cloud_why(int rc)
{
	switch (rc) {
	case -MG_EAGAIN:
		return "circuit open";
	case -MG_ETIMEOUT:
		return "timeout";
	case -MG_EPROTO:
	case -MG_ELIMIT:
		return "bad response";
	default:
		return "unreachable";
	}
}

/* Whether the service is asked about u: web URLs only. */
static bool
url_cloud_asks(const struct mime_url *u)
{
	return u->scheme != NULL && u->url != NULL &&
	    (strcmp(u->scheme, "http") == 0 || strcmp(u->scheme, "https") == 0);
}

static int
url_cloud_scan(void *state, struct mg_task *t)
{
	const struct mime_msg *m = t->msg;
	const struct mime_url **from;
	const char **urls;
	struct cloud_answer *ans;
	size_t n = 0, max;
	char option[160];
	int rc = 0, lrc;

	if (state == NULL || m == NULL || m->nurls == 0)
		return 0;
	max = cloud_max_urls(state) < m->nurls ? cloud_max_urls(state) : m->nurls;
	from = mg_arena_alloc(t->arena, max * sizeof(*from));
	urls = mg_arena_alloc(t->arena, max * sizeof(*urls));
	ans = mg_arena_alloc(t->arena, max * sizeof(*ans));
	if (from == NULL || urls == NULL || ans == NULL)
		return -MG_ENOMEM;
	/* m->urls holds each normalised URL once (url_set, mg_task_add_url) */
	for (size_t i = 0; i < m->nurls && n < max; i++)
		if (url_cloud_asks(&m->urls[i])) {
			from[n] = &m->urls[i];
			urls[n++] = m->urls[i].url;
		}
	if (n == 0)
		return 0;
	lrc = cloud_lookup(state, urls, n, url_cloud_budget(t), ans);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!ans[i].known || cloud_symbol[ans[i].category] == NULL)
			continue;
		snprintf(option, sizeof(option), "%s (%s)", from[i]->host,
		    ans[i].source[0] ? ans[i].source : "cloud");
		rc = mg_task_symbol(t, cloud_symbol[ans[i].category], option);
	}
	if (rc == 0 && lrc == -MG_ENOMEM)
		return lrc;
	if (rc == 0 && lrc < 0)
		rc = mg_task_symbol(t, "URL_CLOUD_UNAVAILABLE", url_cloud_why(lrc));
	return rc;
}

static void
url_cloud_fini(void *state)
{
	cloud_free(state);
}

CHECK_SYMBOLS_HOOK(url_cloud_symbols, cloud_symbols)

const struct mg_check check_url_cloud = {
	.name = "url_cloud",
	.init = url_cloud_init,
	.scan = url_cloud_scan,
	.fini = url_cloud_fini,
	.symbols = url_cloud_symbols,
};
