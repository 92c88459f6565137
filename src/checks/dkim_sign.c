/* The outbound signing step (dkim_sign.h). The message is signed as it is
 * spooled: nothing later changes its header fields or body (the gateway
 * only adds fields above it), so the signature holds at delivery. */
#include <stdlib.h>
#include <string.h>

#include "auth/dkim.h"
#include "auth/dmarc.h"
#include "checks/dkim_sign.h"
#include "core/err.h"
#include "core/log.h"

#define SIGN_FIELD_MAX	(16 * 1024)	/* one DKIM-Signature field */
#define FIELD_NAME	"DKIM-Signature: "

static const struct symbol_def sign_symbols[] = {
	{ "DKIM_SIGNED", 0.0, MG_CAT_CLEAN, MG_VERDICT_ACCEPT,
	    "outbound mail signed with the sending domain's key" },
	{ "DKIM_SIGN_FAIL", 0.0, MG_CAT_CLEAN, MG_VERDICT_ACCEPT,
	    "outbound mail with a key for its domain could not be signed" },
};

static int
sign_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	*state = NULL;
	if (conf->engine.dkim.nsign == 0)
		return 0;
	if ((*state = dkim_signer_open(&conf->engine.dkim, err, errlen)) == NULL)
		return -MG_EINVAL;
	return 0;
}

static const struct symbol_def *
sign_symbol_defs(void *state, size_t *n)
{
	*n = sizeof(sign_symbols) / sizeof(sign_symbols[0]);
	return sign_symbols;
}

/* The signature field without its name and final CRLF, as mg_task_header
 * takes it. */
static int
sign_add_header(struct mg_task *t, struct mg_buf *field)
{
	size_t name = sizeof(FIELD_NAME) - 1;
	int rc;

	if (field->len < name + 2 || memcmp(field->data, FIELD_NAME, name) != 0)
		return -MG_EPROTO;
	field->len -= 2;
	if ((rc = mg_buf_cstr(field)) < 0)
		return rc;
	return mg_task_header(t, "DKIM-Signature", (const char *)field->data + name);
}

static int
sign_scan(void *state, struct mg_task *t)
{
	const struct dkim_signer *signer = state;
	const char *domain;
	struct mg_buf field;
	int rc;

	if (signer == NULL || t->env == NULL || !t->env->outbound)
		return 0;
	if ((rc = dmarc_from_domain(t->arena, t->msg, &domain)) < 0)
		return rc == -MG_ENOMEM ? rc : 0;	/* no single From domain to sign for */
	mg_buf_init(&field, SIGN_FIELD_MAX);
	rc = dkim_sign(signer, domain, t->raw, t->len, &field);
	if (rc == 0 && (rc = sign_add_header(t, &field)) == 0)
		rc = mg_task_symbol(t, "DKIM_SIGNED", domain);
	else if (rc != -MG_ENOENT)
		rc = mg_task_symbol(t, "DKIM_SIGN_FAIL", mg_strerror(rc));
	else
		rc = 0;
	mg_buf_release(&field);
	return rc;
}

static void
sign_fini(void *state)
{
	dkim_signer_close(state);
}

const struct mg_check check_dkim_sign = {
	.name = "dkim_sign",
	.init = sign_init,
	.scan = sign_scan,
	.fini = sign_fini,
	.symbols = sign_symbol_defs,
};
