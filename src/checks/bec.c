/* The bec check (bec.h): the people, protected domains and free-mail list
 * read at init, and the scan of one inbound message. */
#include <ctype.h>
#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uspoof.h>

#include "checks/bec.h"
#include "intel/lookalike.h"
#include "learn/reputation.h"
#include "checks/bec_int.h"
#include "core/conf_bec.h"
#include "core/err.h"
#include "core/log.h"
#include "engine/symbol.h"
#include "learn/reputation_addr.h"
#include "mime/mime.h"
#include "store/kv.h"

#define BEC_PEOPLE_MAX	100000		/* lines of the internal names file */
#define BEC_SEEN_PREFIX	"bec:seen:"
#define BEC_LEARNED_KEY	"bec:learned"	/* messages the record learned from */
#define BEC_SEEN_TTL	(400u * 86400)	/* a sender stays known this long */
#define BEC_MIN_LABEL	6	/* shorter protected labels: skeletons only (as url_heur) */

#define S(name, score, desc) { name, score, MG_CAT_BEC, MG_VERDICT_ACCEPT, desc }

static const struct symbol_def bec_symbols[] = {
	S("BEC_DISPLAY_NAME_VIP", 4.0, "an external sender shows the name of a VIP "
	    "(option: the VIP's address)"),
	S("BEC_DISPLAY_NAME_INTERNAL", 2.5, "an external sender shows the name of an internal "
	    "person (option: the person's address)"),
	S("BEC_LOOKALIKE_DOMAIN", 5.0, "the From or envelope sender domain looks like a "
	    "protected domain (option: domain~protected)"),
	S("BEC_REPLYTO_FREEMAIL", 1.5, "Reply-To goes to a free-mail address other than From"),
	S("BEC_REPLYTO_MISMATCH", 1.0, "Reply-To goes to another registrable domain than From"),
	S("BEC_PAYMENT_REQUEST", 1.0, "payment or wire-transfer wording (option: the phrase)"),
	S("BEC_GIFT_CARD", 1.5, "gift-card wording (option: the phrase)"),
	S("BEC_BANK_CHANGE", 2.0, "changed-bank-details wording (option: the phrase)"),
	S("BEC_URGENCY", 0.5, "urgency wording (option: the phrase)"),
	S("BEC_FIRST_TIME_SENDER", 0.3, "the From address never sent accepted mail before"),
	S("BEC_FIRST_TIME_PAYMENT", 2.0, "a first-time sender asks for money, gift cards "
	    "or a bank change"),
	S("BEC_VIP_REPLYTO", 5.0, "a VIP's name on an external address with replies going "
	    "elsewhere (CEO fraud)"),
	S("BEC_LOOKALIKE_PAYMENT", 4.0, "a look-alike domain asks for money, gift cards "
	    "or a bank change"),
	S("BEC_FAIL", 0.0, "the bec check failed or timed out"),
};

struct bec_person {
	char		 key[BEC_KEY_MAX];	/* bec_name_key */
	char		*addr;			/* lower case, the option */
	bool		 vip;
};

struct bec_domain {
	char		*name;			/* lower case, ASCII (ACE) */
	char		*uni;			/* Unicode form */
	char		*skel;			/* confusable skeleton of uni */
};

struct bec {
	struct bec_person *people;		/* sorted by key */
	size_t		 npeople;
	struct bec_domain *prot;
	size_t		 nprot;
	char		**free_mail;
	size_t		 nfree;
	unsigned	 distance;
	int64_t		 min_history;		/* first_time_history */
	USpoofChecker	*spoof;
	struct kv	*kv;			/* first-seen record; NULL = none */
};

/* What one message shows. */
struct bec_msg {
	char		 name[CONF_BEC_NAME_MAX];	/* From display name */
	char		 from[CONF_BEC_ADDR_MAX];	/* From address */
	const char	*from_reg;			/* its registrable domain */
	bool		 external;
	const char	*money;				/* a payment/gift/bank phrase */
};

static void
bec_fini(void *state)
{
	struct bec *b = state;

	if (b == NULL)
		return;
	for (size_t i = 0; i < b->npeople; i++)
		free(b->people[i].addr);
	for (size_t i = 0; i < b->nprot; i++) {
		free(b->prot[i].name);
		free(b->prot[i].uni);
		free(b->prot[i].skel);
	}
	for (size_t i = 0; i < b->nfree; i++)
		free(b->free_mail[i]);
	free(b->free_mail);
	free(b->people);
	free(b->prot);
	if (b->spoof != NULL)
		uspoof_close(b->spoof);
	if (b->kv != NULL)
		kv_close(b->kv);
	free(b);
}

static int
bec_person_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bec_person *)a)->key, ((const struct bec_person *)b)->key);
}

/* Adds "Name <addr>"; -MG_EINVAL when s is not one, -MG_ENOMEM. */
static int
bec_person_add(struct bec *b, size_t *cap, const char *s, bool vip)
{
	char name[CONF_BEC_NAME_MAX], addr[CONF_BEC_ADDR_MAX];
	struct bec_person *p;

	if (conf_bec_mailbox(s, name, sizeof(name), addr, sizeof(addr)) < 0 ||
	    name[0] == '\0' || addr[0] == '\0')
		return -MG_EINVAL;
	if (b->npeople == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		if ((p = realloc(b->people, ncap * sizeof(*p))) == NULL)
			return -MG_ENOMEM;
		b->people = p;
		*cap = ncap;
	}
	p = &b->people[b->npeople];
	if (bec_name_key(name, p->key, sizeof(p->key)) < 0)
		return -MG_EINVAL;
	if ((p->addr = strdup(addr)) == NULL)
		return -MG_ENOMEM;
	p->vip = vip;
	b->npeople++;
	return 0;
}

/* The internal names file: "Display Name <addr>" lines, # comments. */
static int
bec_load_names(struct bec *b, size_t *cap, const char *path, char *err, size_t errlen)
{
	char line[CONF_BEC_NAME_MAX + CONF_BEC_ADDR_MAX + 8];
	unsigned lineno = 0;
	int rc = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot be read", path);
		return -MG_EINVAL;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *p = line;
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			rc = -MG_EINVAL;
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if (b->npeople >= BEC_PEOPLE_MAX) {
			snprintf(err, errlen, "%s:%u: more than %d people", path, lineno,
			    BEC_PEOPLE_MAX);
			rc = -MG_ELIMIT;
		} else if ((rc = bec_person_add(b, cap, p, false)) == -MG_EINVAL)
			snprintf(err, errlen, "%s:%u: not \"Display Name <address>\"", path,
			    lineno);
	}
	fclose(f);
	return rc;
}

static int
bec_load_people(struct bec *b, const struct conf_bec *c, char *err, size_t errlen)
{
	size_t cap = 0;
	int rc;

	for (size_t i = 0; i < c->nvips; i++)
		if ((rc = bec_person_add(b, &cap, c->vips[i], true)) < 0) {
			snprintf(err, errlen, "engine.bec.vips: '%s' is not usable", c->vips[i]);
			return rc;
		}
	if (c->internal_names_file != NULL &&
	    (rc = bec_load_names(b, &cap, c->internal_names_file, err, errlen)) < 0)
		return rc;
	if (b->npeople > 0)
		qsort(b->people, b->npeople, sizeof(b->people[0]), bec_person_cmp);
	return 0;
}

/* The confusable skeleton of a Unicode domain, malloc'ed, or NULL. */
static char *
bec_skeleton(const struct bec *b, const char *uni)
{
	char out[4 * BEC_KEY_MAX];

	return lookalike_skeleton(b->spoof, uni, out, sizeof(out)) ? strdup(out) : NULL;
}

static int
bec_load_domains(struct bec *b, const struct mg_conf *conf)
{
	UErrorCode st = U_ZERO_ERROR;

	if ((b->spoof = uspoof_open(&st)) == NULL || U_FAILURE(st))
		return -MG_ENOMEM;
	if (conf->nroutes > 0 && (b->prot = calloc(conf->nroutes, sizeof(*b->prot))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < conf->nroutes; i++) {
		struct bec_domain *d = &b->prot[b->nprot];
		if (conf->routes[i].domain == NULL)
			continue;
		b->nprot++;
		if ((d->name = strdup(conf->routes[i].domain)) == NULL)
			return -MG_ENOMEM;
		if (idn2_to_unicode_8z8z(d->name, &d->uni, 0) != IDN2_OK &&
		    (d->uni = strdup(d->name)) == NULL)
			return -MG_ENOMEM;
		d->skel = bec_skeleton(b, d->uni);
	}
	return 0;
}

static int
bec_load_free(struct bec *b, const struct conf_bec *c)
{
	const char *const *src = c->free_mail != NULL ? (const char *const *)c->free_mail :
	    conf_bec_free_mail_default;
	size_t n = c->free_mail != NULL ? c->nfree_mail : 0;

	if (c->free_mail == NULL)
		while (src[n] != NULL)
			n++;
	if (n > 0 && (b->free_mail = calloc(n, sizeof(char *))) == NULL)
		return -MG_ENOMEM;
	for (; b->nfree < n; b->nfree++)
		if ((b->free_mail[b->nfree] = strdup(src[b->nfree])) == NULL)
			return -MG_ENOMEM;
	return 0;
}

/* The first-seen record shares the reputation state (its own key prefix);
 * off when learned reputation is. */
static void
bec_open_kv(struct bec *b, const struct mg_conf *conf)
{
	char err[256];

	if (conf->engine.reputation.history.enabled &&
	    (b->kv = rep_state_open(conf, "bec", err, sizeof(err))) == NULL)
		log_warn("bec first-seen state status=off reason=\"%s\"", err);
}

static int
bec_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_bec *c = &conf->engine.bec;
	struct bec *b;
	int rc;

	*state = NULL;
	if (!c->enabled)
		return 0;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -MG_ENOMEM;
	b->distance = c->lookalike_distance;
	b->min_history = c->first_time_history;
	if ((rc = bec_load_people(b, c, err, errlen)) < 0 ||
	    (rc = bec_load_domains(b, conf)) < 0 || (rc = bec_load_free(b, c)) < 0) {
		bec_fini(b);
		return rc;
	}
	bec_open_kv(b, conf);
	*state = b;
	return 0;
}

static bool
bec_protected(const struct bec *b, const char *dom)
{
	size_t n = strlen(dom);

	for (size_t i = 0; i < b->nprot; i++) {
		size_t k = strlen(b->prot[i].name);
		if (strcmp(dom, b->prot[i].name) == 0 ||
		    (n > k && dom[n - k - 1] == '.' && strcmp(dom + n - k, b->prot[i].name) == 0))
			return true;
	}
	return false;
}

/* reg is a registrable domain of a free-mail service ("yahoo.*" matches
 * yahoo.co.uk). */
static bool
bec_free(const struct bec *b, const char *reg)
{
	for (size_t i = 0; i < b->nfree; i++) {
		const char *e = b->free_mail[i];
		size_t n = strlen(e);
		if (n > 2 && strcmp(e + n - 2, ".*") == 0 ? strncmp(reg, e, n - 1) == 0 :
		    strcmp(reg, e) == 0)
			return true;
	}
	return false;
}

/* The registrable domain of an address's domain (lower case), or the
 * domain itself when it is not a host name the PSL knows. */
static const char *
bec_reg(struct mg_task *t, const char *addr)
{
	const char *at = strrchr(addr, '@'), *reg;

	if (at == NULL || at[1] == '\0')
		return NULL;
	return (reg = rep_registrable(t->arena, at + 1)) != NULL ? reg : at + 1;
}

/* A display name of a VIP or internal person on an external address: 1
 * for a VIP, 0 when nothing (or an internal person) fired, or an error. */
static int
bec_people(const struct bec *b, struct mg_task *t, const struct bec_msg *bm)
{
	struct bec_person key;
	const struct bec_person *p, *hit = NULL;
	size_t lo = 0, hi = b->npeople;

	if (!bm->external || bm->name[0] == '\0' || b->npeople == 0 ||
	    bec_name_key(bm->name, key.key, sizeof(key.key)) < 0)
		return 0;
	while (lo < hi) {	/* the first person with the key */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(b->people[mid].key, key.key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (p = b->people + lo; p < b->people + b->npeople && strcmp(p->key, key.key) == 0;
	    p++) {
		if (strcmp(p->addr, bm->from) == 0)
			return 0;	/* the person, from an address of theirs */
		if (hit == NULL || (p->vip && !hit->vip))
			hit = p;
	}
	if (hit == NULL)
		return 0;
	if (mg_task_symbol(t, hit->vip ? "BEC_DISPLAY_NAME_VIP" : "BEC_DISPLAY_NAME_INTERNAL",
	    hit->addr) < 0)
		return -MG_ENOMEM;
	return hit->vip ? 1 : 0;
}

/* Whether the domain of addr imitates a protected domain; opt gets
 * "domain~protected". */
static bool
bec_lookalike_of(const struct bec *b, struct mg_task *t, const char *addr, char *opt,
    size_t optlen)
{
	const char *reg = bec_reg(t, addr), *found = NULL;
	char *uni = NULL, *skel;

	if (reg == NULL || bec_protected(b, reg) || b->nprot == 0)
		return false;
	if (idn2_to_unicode_8z8z(reg, &uni, 0) != IDN2_OK && (uni = strdup(reg)) == NULL)
		return false;
	skel = bec_skeleton(b, uni);
	for (size_t i = 0; i < b->nprot && found == NULL; i++) {
		const struct bec_domain *d = &b->prot[i];
		if (b->distance > 0 && strcspn(d->uni, ".") >= BEC_MIN_LABEL &&
		    lookalike_distance(uni, d->uni, b->distance) <= b->distance)
			found = d->name;
		else if (skel != NULL && d->skel != NULL && strcmp(skel, d->skel) == 0)
			found = d->name;
	}
	if (found != NULL)
		snprintf(opt, optlen, "%s~%s", uni, found);
	free(uni);
	free(skel);
	return found != NULL;
}

/* The From and envelope sender domains; 1 when one is a look-alike. */
static int
bec_lookalike(const struct bec *b, struct mg_task *t, const struct bec_msg *bm)
{
	char env[CONF_BEC_ADDR_MAX], opt[2 * BEC_KEY_MAX];

	if (bm->from[0] != '\0' && bec_lookalike_of(b, t, bm->from, opt, sizeof(opt)))
		return mg_task_symbol(t, "BEC_LOOKALIKE_DOMAIN", opt) < 0 ? -MG_ENOMEM : 1;
	if (t->env != NULL && t->env->mail_from != NULL &&
	    rep_addr_clean(t->env->mail_from, env, sizeof(env)) == 0 &&
	    bec_lookalike_of(b, t, env, opt, sizeof(opt)))
		return mg_task_symbol(t, "BEC_LOOKALIKE_DOMAIN", opt) < 0 ? -MG_ENOMEM : 1;
	return 0;
}

/* Reply-To elsewhere than From: 1 when a symbol fired. */
static int
bec_replyto(const struct bec *b, struct mg_task *t, const struct bec_msg *bm)
{
	const struct mime_header *h = mime_header_find(t->msg->root, "Reply-To");
	char name[CONF_BEC_NAME_MAX], addr[CONF_BEC_ADDR_MAX];
	const char *reg, *sym;

	if (h == NULL || h->value == NULL || bm->from_reg == NULL ||
	    conf_bec_mailbox(h->value, name, sizeof(name), addr, sizeof(addr)) < 0 ||
	    addr[0] == '\0' || strcmp(addr, bm->from) == 0 ||
	    bec_protected(b, strrchr(addr, '@') + 1) || (reg = bec_reg(t, addr)) == NULL)
		return 0;
	if (bec_free(b, reg))
		sym = "BEC_REPLYTO_FREEMAIL";
	else if (strcmp(reg, bm->from_reg) != 0)
		sym = "BEC_REPLYTO_MISMATCH";
	else
		return 0;
	return mg_task_symbol(t, sym, addr) < 0 ? -MG_ENOMEM : 1;
}

/* The phrase sets; bm->money gets a payment, gift-card or bank phrase. */
static int
bec_phrases_scan(struct mg_task *t, struct bec_msg *bm)
{
	static const struct { unsigned set; const char *sym; } sets[] = {
		{ BEC_SET_PAYMENT, "BEC_PAYMENT_REQUEST" }, { BEC_SET_GIFT, "BEC_GIFT_CARD" },
		{ BEC_SET_BANK, "BEC_BANK_CHANGE" }, { BEC_SET_URGENT, "BEC_URGENCY" },
	};
	char *text = bec_message_text(t->msg);
	int rc = 0;

	if (text == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]) && rc == 0; i++) {
		const char *ph = bec_phrase_find(text, sets[i].set);
		if (ph == NULL)
			continue;
		if (sets[i].set != BEC_SET_URGENT && bm->money == NULL)
			bm->money = ph;
		rc = mg_task_symbol(t, sets[i].sym, ph);
	}
	free(text);
	return rc;
}

/* Whether the From address never sent accepted mail (1), or is known or
 * the record is too young to tell (0). */
static int
bec_first_time(const struct bec *b, const struct bec_msg *bm)
{
	char key[KV_KEY_MAX], val[24];
	size_t vlen = 0;
	int n = snprintf(key, sizeof(key), BEC_SEEN_PREFIX "%s", bm->from);

	if (b->kv == NULL || !bm->external || bm->from[0] == '\0' || n < 0 ||
	    (size_t)n >= sizeof(key))
		return 0;
	if (b->min_history > 0) {
		if (kv_get(b->kv, BEC_LEARNED_KEY, strlen(BEC_LEARNED_KEY), val, sizeof(val) - 1,
		    &vlen) < 0)
			return 0;
		val[vlen] = '\0';
		if (strtoll(val, NULL, 10) < b->min_history)
			return 0;
	}
	return kv_get(b->kv, key, (size_t)n, val, sizeof(val), &vlen) == -MG_ENOENT;
}

static void
bec_msg_of(const struct bec *b, struct mg_task *t, struct bec_msg *bm)
{
	const struct mime_header *h = mime_header_find(t->msg->root, "From");

	memset(bm, 0, sizeof(*bm));
	if (h == NULL || h->value == NULL ||
	    conf_bec_mailbox(h->value, bm->name, sizeof(bm->name), bm->from,
	    sizeof(bm->from)) < 0 || bm->from[0] == '\0')
		return;
	bm->from_reg = bec_reg(t, bm->from);
	bm->external = !bec_protected(b, strrchr(bm->from, '@') + 1);
}

static int
bec_scan(void *state, struct mg_task *t)
{
	const struct bec *b = state;
	struct bec_msg bm;
	int vip, reply, look, rc;

	if (b == NULL || t->msg == NULL || (t->env != NULL && t->env->outbound))
		return 0;
	bec_msg_of(b, t, &bm);
	if ((vip = bec_people(b, t, &bm)) < 0 || (look = bec_lookalike(b, t, &bm)) < 0 ||
	    (reply = bec_replyto(b, t, &bm)) < 0 || (rc = bec_phrases_scan(t, &bm)) < 0)
		return -MG_ENOMEM;
	if (vip && reply && mg_task_symbol(t, "BEC_VIP_REPLYTO", bm.name) < 0)
		return -MG_ENOMEM;
	if (look && bm.money != NULL && mg_task_symbol(t, "BEC_LOOKALIKE_PAYMENT", bm.money) < 0)
		return -MG_ENOMEM;
	if (bec_first_time(b, &bm)) {
		if (mg_task_symbol(t, "BEC_FIRST_TIME_SENDER", bm.from) < 0 ||
		    (bm.money != NULL && mg_task_symbol(t, "BEC_FIRST_TIME_PAYMENT", bm.money) < 0))
			return -MG_ENOMEM;
	}
	return 0;
}

static void
bec_seen(const struct bec *b, const char *addr)
{
	char key[KV_KEY_MAX];
	int n = snprintf(key, sizeof(key), BEC_SEEN_PREFIX "%s", addr);

	if (n > 0 && (size_t)n < sizeof(key) &&
	    (kv_put(b->kv, key, (size_t)n, "1", 1, BEC_SEEN_TTL) < 0 ||
	    kv_incr(b->kv, BEC_LEARNED_KEY, strlen(BEC_LEARNED_KEY), 1, 0, NULL) < 0))
		log_debug("bec first-seen status=failed");
}

/* Accepted clean mail makes its From address known; so do the recipients
 * of outbound mail (people written to are not strangers). */
static void
bec_verdict(void *state, const struct mg_task *t, const struct mg_result *res)
{
	const struct bec *b = state;
	char addr[CONF_BEC_ADDR_MAX], name[CONF_BEC_NAME_MAX];
	const struct mime_header *h;

	if (b == NULL || b->kv == NULL || t->msg == NULL)
		return;
	if (t->env != NULL && t->env->outbound) {
		for (size_t i = 0; i < t->env->nrcpts; i++)
			if (rep_addr_clean(t->env->rcpts[i], addr, sizeof(addr)) == 0)
				bec_seen(b, addr);
		return;
	}
	if (res->verdict_action != MG_VERDICT_ACCEPT || res->category != MG_CAT_CLEAN ||
	    (h = mime_header_find(t->msg->root, "From")) == NULL || h->value == NULL ||
	    conf_bec_mailbox(h->value, name, sizeof(name), addr, sizeof(addr)) < 0 ||
	    addr[0] == '\0')
		return;
	bec_seen(b, addr);
}

CHECK_SYMBOLS_HOOK(bec_defs, bec_symbols)

const struct mg_check check_bec = {
	.name = "bec",
	.init = bec_init,
	.scan = bec_scan,
	.fini = bec_fini,
	.symbols = bec_defs,
	.verdict = bec_verdict,
};
