/* The local lists check (lists.h). The configuration's lists are copied at
 * init into sorted arrays in one arena: CIDRs ordered by family, prefix
 * and address (one binary search per distinct prefix length), names split
 * into exact entries and ".domain" suffixes (one search per label). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "checks/lists.h"
#include "core/err.h"
#include "learn/reputation_addr.h"

#define S(name, score, cat, force, desc) \
	{ name, score, MG_CAT_##cat, MG_VERDICT_##force, desc }

/* Indexed [block][kind]: allow rows first, then block rows, then the check's. */
static const struct symbol_def lists_symbols[] = {
	S("LIST_ALLOW_IP", -20.0, CLEAN, ACCEPT, "client address in lists.allow_ip"),
	S("LIST_ALLOW_SENDER", -20.0, CLEAN, ACCEPT, "sender address in lists.allow_sender"),
	S("LIST_ALLOW_DOMAIN", -20.0, CLEAN, ACCEPT, "sender domain in lists.allow_domain"),
	S("LIST_ALLOW_HELO", -20.0, CLEAN, ACCEPT, "HELO name in lists.allow_helo"),
	S("LIST_ALLOW_RCPT", -20.0, CLEAN, ACCEPT, "every recipient in lists.allow_rcpt"),
	S("LIST_BLOCK_IP", 20.0, POLICY, REJECT, "client address in lists.block_ip"),
	S("LIST_BLOCK_SENDER", 20.0, POLICY, REJECT, "sender address in lists.block_sender"),
	S("LIST_BLOCK_DOMAIN", 20.0, POLICY, REJECT, "sender domain in lists.block_domain"),
	S("LIST_BLOCK_HELO", 20.0, POLICY, REJECT, "HELO name in lists.block_helo"),
	S("LIST_BLOCK_RCPT", 20.0, POLICY, REJECT, "a recipient in lists.block_rcpt"),
	S("LISTS_FAIL", 0.0, CLEAN, ACCEPT, "the lists check failed or timed out"),
};

struct ip_entry {
	int		 family;
	unsigned	 prefix;
	uint8_t		 addr[16];	/* bits past prefix are zero */
};

struct ip_set {
	struct ip_entry	*v;
	size_t		 n;
};

struct name_set {
	const char	**exact, **suffix;	/* sorted; suffixes without the dot */
	size_t		 nexact, nsuffix;
};

struct lists {
	struct mg_arena	*arena;
	struct ip_set	 ip[2];				/* [0] allow, [1] block */
	struct name_set	 names[2][CONF_LIST_KINDS];
	bool		 empty;
};

static int
ip_entry_cmp(const void *a, const void *b)
{
	const struct ip_entry *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
ip_set_build(struct mg_arena *a, const struct conf_list *l, struct ip_set *s)
{
	size_t n = 0;

	if (l->n == 0)
		return 0;
	if ((s->v = mg_arena_zalloc(a, l->n * sizeof(*s->v))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		s->v[i].family = l->nets[i].family;
		s->v[i].prefix = l->nets[i].prefix;
		memcpy(s->v[i].addr, l->nets[i].addr, sizeof(s->v[i].addr));
	}
	qsort(s->v, l->n, sizeof(*s->v), ip_entry_cmp);
	for (size_t i = 0; i < l->n; i++)
		if (n == 0 || ip_entry_cmp(&s->v[n - 1], &s->v[i]) != 0)
			s->v[n++] = s->v[i];
	s->n = n;
	return 0;
}

/* One binary search per run of entries with the family and prefix. */
static bool
ip_set_match(const struct ip_set *s, const struct rep_ip *ip)
{
	for (size_t i = 0, j; i < s->n; i = j) {
		struct ip_entry key = { s->v[i].family, s->v[i].prefix, { 0 } };
		unsigned full = key.prefix / 8, rest = key.prefix % 8;

		for (j = i + 1; j < s->n && s->v[j].family == key.family &&
		    s->v[j].prefix == key.prefix; j++)
			;
		if (key.family != ip->family)
			continue;
		memcpy(key.addr, ip->addr, full);
		if (rest)
			key.addr[full] = ip->addr[full] & (uint8_t)(0xff << (8 - rest));
		if (bsearch(&key, s->v + i, j - i, sizeof(key), ip_entry_cmp) != NULL)
			return true;
	}
	return false;
}

static int
name_set_build(struct mg_arena *a, const struct conf_list *l, struct name_set *s)
{
	if (l->n == 0)
		return 0;
	if ((s->exact = mg_arena_alloc(a, l->n * sizeof(*s->exact))) == NULL ||
	    (s->suffix = mg_arena_alloc(a, l->n * sizeof(*s->suffix))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		const char *v = l->names[i];
		size_t dot = v[0] == '.';
		const char *copy = mg_arena_strndup(a, v + dot, strlen(v) - dot);

		if (copy == NULL)
			return -MG_ENOMEM;
		if (v[0] == '.')
			s->suffix[s->nsuffix++] = copy;
		else
			s->exact[s->nexact++] = copy;
	}
	qsort(s->exact, s->nexact, sizeof(*s->exact), str_cmp);
	qsort(s->suffix, s->nsuffix, sizeof(*s->suffix), str_cmp);
	return 0;
}

static bool
names_has(const char *const *v, size_t n, const char *s)
{
	return n > 0 && bsearch(&s, v, n, sizeof(*v), str_cmp) != NULL;
}

/* s exactly, or (as_domain) s or one of its parents among the suffixes. */
static bool
name_set_match(const struct name_set *ns, const char *s, bool as_domain)
{
	if (names_has(ns->exact, ns->nexact, s))
		return true;
	for (const char *p = s; as_domain; p++) {
		if (names_has(ns->suffix, ns->nsuffix, p))
			return true;
		if ((p = strchr(p, '.')) == NULL)
			return false;
	}
	return false;
}

static void
lists_fini(void *state)
{
	struct lists *ls = state;

	if (ls == NULL)
		return;
	mg_arena_free(ls->arena);
	free(ls);
}

static int
lists_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_reputation *c = &conf->engine.reputation;
	struct lists *ls = calloc(1, sizeof(*ls));
	int rc = 0;

	if (ls == NULL || (ls->arena = mg_arena_new(16 * 1024, 0)) == NULL) {
		free(ls);
		return -MG_ENOMEM;
	}
	ls->empty = true;
	for (int b = 0; b < 2 && rc == 0; b++) {
		const struct conf_list *lists = b ? c->block : c->allow;
		rc = ip_set_build(ls->arena, &lists[CONF_LIST_IP], &ls->ip[b]);
		for (int k = CONF_LIST_IP + 1; k < CONF_LIST_KINDS && rc == 0; k++)
			rc = name_set_build(ls->arena, &lists[k], &ls->names[b][k]);
		for (int k = 0; k < CONF_LIST_KINDS; k++)
			ls->empty &= lists[k].n == 0;
	}
	if (rc < 0) {
		lists_fini(ls);
		return rc;
	}
	*state = ls;
	return 0;
}

static const struct symbol_def *
lists_defs(void *state, size_t *n)
{
	*n = sizeof(lists_symbols) / sizeof(lists_symbols[0]);
	return lists_symbols;
}

/* LIST_<ALLOW|BLOCK>_<KIND> with what matched. */
static int
lists_fire(struct mg_task *t, int block, enum conf_list_kind k, const char *what)
{
	return mg_task_symbol(t, lists_symbols[block * CONF_LIST_KINDS + k].name, what);
}

/* The sender addresses: envelope and header From, cleaned. */
static size_t
lists_senders(const struct mg_task *t, char out[2][REP_ADDR_MAX + 1])
{
	size_t n = 0;

	if (t->env != NULL && rep_addr_clean(t->env->mail_from, out[n], REP_ADDR_MAX + 1) == 0)
		n++;
	if (rep_header_from(t->msg, out[n], REP_ADDR_MAX + 1) == 0 &&
	    (n == 0 || strcmp(out[0], out[n]) != 0))
		n++;
	return n;
}

/* Recipients: block when any matches, allow when every one does. */
static int
lists_rcpts(struct mg_task *t, int block, const struct name_set *ns)
{
	char addr[REP_ADDR_MAX + 1];
	size_t hits = 0;

	for (size_t i = 0; i < t->env->nrcpts; i++) {
		if (rep_addr_clean(t->env->rcpts[i], addr, sizeof(addr)) < 0 ||
		    !(name_set_match(ns, addr, false) ||
		    name_set_match(ns, rep_addr_domain(addr), true)))
			continue;
		hits++;
		if (block)
			return lists_fire(t, block, CONF_LIST_RCPT, addr);
	}
	if (hits > 0 && hits == t->env->nrcpts)
		return lists_fire(t, block, CONF_LIST_RCPT, addr);
	return 0;
}

static int
lists_scan_one(struct lists *ls, struct mg_task *t, int b, const struct rep_ip *ip,
    char senders[2][REP_ADDR_MAX + 1], size_t nsenders, const char *helo)
{
	const struct name_set *ns = ls->names[b];
	int rc = 0;

	if (ip != NULL && ip_set_match(&ls->ip[b], ip))
		rc = lists_fire(t, b, CONF_LIST_IP, t->env->client_ip);
	for (size_t i = 0; i < nsenders && rc == 0; i++) {
		const char *domain = rep_addr_domain(senders[i]);
		if (name_set_match(&ns[CONF_LIST_SENDER], senders[i], false))
			rc = lists_fire(t, b, CONF_LIST_SENDER, senders[i]);
		if (rc == 0 && name_set_match(&ns[CONF_LIST_DOMAIN], domain, true))
			rc = lists_fire(t, b, CONF_LIST_DOMAIN, domain);
	}
	if (rc == 0 && helo != NULL && name_set_match(&ns[CONF_LIST_HELO], helo, true))
		rc = lists_fire(t, b, CONF_LIST_HELO, helo);
	if (rc == 0 && t->env != NULL && t->env->nrcpts > 0)
		rc = lists_rcpts(t, b, &ns[CONF_LIST_RCPT]);
	return rc;
}

static int
lists_scan(void *state, struct mg_task *t)
{
	struct lists *ls = state;
	char senders[2][REP_ADDR_MAX + 1], helo[256];
	struct rep_ip ip;
	bool have_ip;
	size_t nsenders;
	int rc = 0;

	if (ls->empty)
		return 0;
	have_ip = t->env != NULL && rep_ip_parse(t->env->client_ip, &ip) == 0;
	nsenders = lists_senders(t, senders);
	helo[0] = '\0';
	if (t->env != NULL && t->env->helo != NULL && strlen(t->env->helo) < sizeof(helo)) {
		size_t i = 0;
		for (; t->env->helo[i]; i++)
			helo[i] = (char)tolower((unsigned char)t->env->helo[i]);
		helo[i] = '\0';
	}
	for (int b = 0; b < 2 && rc == 0; b++)
		rc = lists_scan_one(ls, t, b, have_ip ? &ip : NULL, senders, nsenders,
		    helo[0] ? helo : NULL);
	return rc;
}

const struct mg_check check_lists = {
	.name = "lists",
	.init = lists_init,
	.scan = lists_scan,
	.fini = lists_fini,
	.symbols = lists_defs,
};
