/* DMARC policy records (RFC 7489 6.3, 6.4): a tag-list "v=DMARC1; p=...",
 * tags p, sp, pct, adkim, aspf, rua, ruf, fo, rf, ri; unknown tags are
 * ignored, invalid values of optional tags fall back to their defaults. */
#include <string.h>
#include <strings.h>

#include "auth/dmarc.h"
#include "core/err.h"

struct dmarc_tag {
	const char	*name, *value;
	size_t		 nlen, vlen;
};

static bool
dmarc_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The next "name=value" of the tag-list at *pos; false at the end. A
 * part without '=' is skipped and sets *bad. Blanks around names and
 * values are dropped. */
static bool
dmarc_next_tag(const char *s, size_t len, size_t *pos, struct dmarc_tag *t, bool *bad)
{
	for (;;) {
		size_t i = *pos, end, eq;

		while (i < len && (dmarc_ws(s[i]) || s[i] == ';'))
			i++;
		if (i >= len)
			return false;
		for (end = i; end < len && s[end] != ';'; end++)
			;
		*pos = end;
		for (eq = i; eq < end && s[eq] != '='; eq++)
			;
		if (eq == end) {
			*bad = true;
			continue;
		}
		t->name = s + i;
		for (t->nlen = eq - i; t->nlen > 0 && dmarc_ws(t->name[t->nlen - 1]); t->nlen--)
			;
		for (i = eq + 1; i < end && dmarc_ws(s[i]); i++)
			;
		t->value = s + i;
		for (t->vlen = end - i; t->vlen > 0 && dmarc_ws(t->value[t->vlen - 1]); t->vlen--)
			;
		return true;
	}
}

static bool
dmarc_is(const struct dmarc_tag *t, const char *name)
{
	return t->nlen == strlen(name) && strncasecmp(t->name, name, t->nlen) == 0;
}

static bool
dmarc_value_is(const struct dmarc_tag *t, const char *v)
{
	return t->vlen == strlen(v) && strncasecmp(t->value, v, t->vlen) == 0;
}

static bool
dmarc_policy_value(const struct dmarc_tag *t, enum dmarc_policy *p)
{
	if (dmarc_value_is(t, "none"))
		*p = DMARC_P_NONE;
	else if (dmarc_value_is(t, "quarantine"))
		*p = DMARC_P_QUARANTINE;
	else if (dmarc_value_is(t, "reject"))
		*p = DMARC_P_REJECT;
	else
		return false;
	return true;
}

static bool
dmarc_pct_value(const struct dmarc_tag *t, unsigned *pct)
{
	unsigned v = 0;

	if (t->vlen == 0 || t->vlen > 3)
		return false;
	for (size_t i = 0; i < t->vlen; i++) {
		if (t->value[i] < '0' || t->value[i] > '9')
			return false;
		v = v * 10 + (unsigned)(t->value[i] - '0');
	}
	*pct = v;
	return v <= 100;
}

/* One tag after v=: p and sp say whether they are valid through *p_ok and
 * *sp_ok; an invalid optional one keeps its default and is named in
 * rec->bad; unknown ones are ignored. */
static int
dmarc_record_tag(struct mg_arena *a, const struct dmarc_tag *t, struct dmarc_record *rec,
    bool *p_ok, bool *sp_ok, bool *has_sp)
{
	bool ok = true;
	unsigned pct = 100;

	if (dmarc_is(t, "p")) {
		*p_ok = dmarc_policy_value(t, &rec->p);
		return 0;
	}
	if (dmarc_is(t, "sp")) {
		*has_sp = true;
		*sp_ok = dmarc_policy_value(t, &rec->sp);
		return 0;
	}
	if (dmarc_is(t, "pct") && (ok = dmarc_pct_value(t, &pct)))
		rec->pct = pct;
	else if (dmarc_is(t, "adkim") || dmarc_is(t, "aspf")) {
		bool *strict = dmarc_is(t, "adkim") ? &rec->adkim_strict : &rec->aspf_strict;
		ok = dmarc_value_is(t, "r") || dmarc_value_is(t, "s");
		*strict = dmarc_value_is(t, "s");
	} else if (dmarc_is(t, "rua") && t->vlen > 0) {
		if ((rec->rua = mg_arena_strndup(a, t->value, t->vlen)) == NULL)
			return -MG_ENOMEM;
	} else if (dmarc_is(t, "fo") && t->vlen > 0) {
		if ((rec->fo = mg_arena_strndup(a, t->value, t->vlen)) == NULL)
			return -MG_ENOMEM;
	}
	if (!ok && rec->bad == NULL)
		rec->bad = dmarc_is(t, "pct") ? "pct" : dmarc_is(t, "adkim") ? "adkim" : "aspf";
	return 0;
}

int
dmarc_record_parse(struct mg_arena *a, const char *txt, size_t len, struct dmarc_record *rec)
{
	struct dmarc_tag t;
	size_t pos = 0;
	bool bad = false, p_ok = false, sp_ok = true, has_sp = false;
	int rc;

	memset(rec, 0, sizeof(*rec));
	rec->pct = 100;
	if (!dmarc_next_tag(txt, len, &pos, &t, &bad) || !dmarc_is(&t, "v") ||
	    t.vlen != 6 || memcmp(t.value, "DMARC1", 6) != 0)
		return -MG_ENOENT;
	while (dmarc_next_tag(txt, len, &pos, &t, &bad))
		if ((rc = dmarc_record_tag(a, &t, rec, &p_ok, &sp_ok, &has_sp)) < 0)
			return rc;
	if (bad && rec->bad == NULL)
		rec->bad = "tag without '='";
	if (!has_sp)
		rec->sp = rec->p;
	if (p_ok && sp_ok)
		return 0;
	rec->bad = p_ok ? "sp" : "p";
	if (rec->rua == NULL)
		return -MG_EPROTO;
	rec->p = rec->sp = DMARC_P_NONE;	/* 6.6.3: as if p=none */
	return 0;
}
