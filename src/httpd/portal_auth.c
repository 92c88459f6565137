/* Signing in to the portal: sessions (random 128-bit ids in memory, bound
 * to a user, each with its own CSRF token), login by signed link (usable
 * again until it expires: a digest carries one), and one-time codes by
 * mail (kept as HMACs, PORTAL_CODE_ATTEMPTS tries, rate-limited per
 * address and per client IP; the answer never tells whether an address
 * gets mail here). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/err.h"
#include "core/log.h"
#include "httpd/portal_int.h"
#include "quarantine/notice.h"

void
portal_random_hex(char out[PORTAL_ID_HEX])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t raw[16];

	MG_BUG_ON(RAND_bytes(raw, sizeof(raw)) != 1);
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[32] = '\0';
}

const struct portal_session *
session_find(struct portal *p, const char *cookie, time_t now)
{
	const struct portal_session *found = NULL;

	if (cookie == NULL || strlen(cookie) != PORTAL_ID_HEX - 1)
		return NULL;
	for (size_t i = 0; i < PORTAL_SESSIONS_MAX; i++) {
		struct portal_session *s = &p->sessions[i];
		if (s->id[0] == '\0')
			continue;
		if (s->expires <= now) {
			memset(s, 0, sizeof(*s));
			continue;
		}
		if (CRYPTO_memcmp(s->id, cookie, PORTAL_ID_HEX - 1) == 0)
			found = s;
	}
	return found;
}

int
session_new(struct portal_req *r, const char *user, char *cookie, size_t len)
{
	struct portal *p = r->p;
	struct portal_session *s = NULL;
	time_t life = (time_t)p->conf->portal.session_minutes * 60;

	for (size_t i = 0; i < PORTAL_SESSIONS_MAX; i++) {
		struct portal_session *c = &p->sessions[i];
		if (c->id[0] == '\0' || c->expires <= r->now) {
			s = c;
			break;
		}
		if (s == NULL || c->expires < s->expires)
			s = c;	/* full: the one ending first goes */
	}
	memset(s, 0, sizeof(*s));
	portal_random_hex(s->id);
	portal_random_hex(s->csrf);
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->expires = r->now + life;
	snprintf(cookie, len, "mg_session=%s; Max-Age=%lld; Path=/portal; HttpOnly;"
	    " SameSite=Strict%s", s->id, (long long)life, p->secure ? "; Secure" : "");
	return 0;
}

bool
session_csrf_ok(const struct portal_session *s, const char *csrf)
{
	return strlen(csrf) == PORTAL_ID_HEX - 1 &&
	    CRYPTO_memcmp(s->csrf, csrf, PORTAL_ID_HEX - 1) == 0;
}

bool
portal_is_rcpt(const char *rcpts, const char *user)
{
	size_t ulen = strlen(user);
	const char *p = rcpts, *end;

	while (p != NULL && *p != '\0') {
		end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == ulen && strncasecmp(p, user, ulen) == 0)
			return true;
		p = end ? end + 1 : NULL;
		while (p != NULL && *p == ' ')
			p++;
	}
	return false;
}

bool
portal_addr_ok(char *addr)
{
	size_t len = strlen(addr);
	char *at = strrchr(addr, '@');

	if (len == 0 || len >= QTOKEN_USER_MAX || at == NULL || at == addr || at[1] == '\0')
		return false;
	for (char *c = addr; *c != '\0'; c++) {
		if (*c <= ' ' || *c >= 0x7f || strchr("\"<>()[]\\,;:", *c) != NULL)
			return false;
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	}
	return true;
}

/* Page that signs in: the cookie is set on a page of ours whose refresh
 * then opens the portal, so that SameSite=Strict holds even when the link
 * was followed from a webmail (a cross-site redirect would drop it). */
static enum MHD_Result
signed_in(struct portal_req *r, const char *user, const char *via)
{
	static const char body[] = "<meta http-equiv=\"refresh\" content=\"0; url=/portal\">"
	    "<p>You are signed in. <a href=\"/portal\">Open your quarantine</a>.</p>";
	struct mg_buf b = { .data = (uint8_t *)(uintptr_t)body, .len = sizeof(body) - 1 };
	char cookie[256];

	session_new(r, user, cookie, sizeof(cookie));
	log_info("portal login user=%s via=%s ip=%s", user, via, r->ip);
	return portal_page(r, MHD_HTTP_OK, "Signed in", &b, cookie);
}

enum MHD_Result
portal_login(struct portal_req *r)
{
	char text[QTOKEN_TEXT_MAX];
	struct qtoken t;
	int rc;

	if (portal_field(r, true, "t", text, sizeof(text)) < 0)
		return portal_invalid_link(r);
	if ((rc = qtoken_verify(r->p->key, text, r->now, &t)) < 0 || t.action != QTOKEN_LOGIN) {
		log_info("portal refused what=login reason=%s ip=%s",
		    rc == -MG_ETIMEOUT ? "expired" : rc < 0 ? "invalid" : "wrong_action", r->ip);
		return portal_invalid_link(r);
	}
	return signed_in(r, t.user, "link");
}

/* Counts one event of key in the current window; false past max. */
static bool
rate_ok(struct portal *p, const char *kind, const char *what, unsigned max, time_t now)
{
	time_t window = (time_t)p->conf->portal.code_minutes * 60;
	struct portal_rate *slot = NULL, *victim = NULL;
	char key[sizeof(slot->key)];

	snprintf(key, sizeof(key), "%s:%s", kind, what);
	for (size_t i = 0; i < PORTAL_RATES_MAX && slot == NULL; i++) {
		struct portal_rate *c = &p->rates[i];
		if (c->key[0] != '\0' && c->start + window <= now)
			memset(c, 0, sizeof(*c));
		if (c->key[0] != '\0' && strcmp(c->key, key) == 0)
			slot = c;
		else if (victim == NULL || (victim->key[0] != '\0' &&
		    (c->key[0] == '\0' || c->start < victim->start)))
			victim = c;	/* a free slot, else the oldest window */
	}
	if (slot == NULL) {
		slot = victim;
		memset(slot, 0, sizeof(*slot));
		snprintf(slot->key, sizeof(slot->key), "%s", key);
		slot->start = now;
	}
	return ++slot->count <= max;
}

static void
code_hash(const struct portal *p, const char *user, const char *code, uint8_t out[32])
{
	uint8_t in[QTOKEN_USER_MAX + 16];
	size_t ulen = strlen(user), clen = strlen(code);
	unsigned int n = 32;

	memcpy(in, user, ulen + 1);
	memcpy(in + ulen + 1, code, clen < 15 ? clen : 15);
	MG_BUG_ON(HMAC(EVP_sha256(), p->key, QTOKEN_KEY_LEN, in, ulen + 1 + (clen < 15 ? clen :
	    15), out, &n) == NULL);
}

static struct portal_code *
code_find(struct portal *p, const char *user, time_t now)
{
	for (size_t i = 0; i < PORTAL_CODES_MAX; i++) {
		struct portal_code *c = &p->codes[i];
		if (c->user[0] != '\0' && c->expires <= now)
			memset(c, 0, sizeof(*c));
		if (c->user[0] != '\0' && strcmp(c->user, user) == 0)
			return c;
	}
	return NULL;
}

static enum MHD_Result
code_verify_form(struct portal_req *r, unsigned status, const char *addr, const char *note)
{
	struct mg_buf b;
	enum MHD_Result ret;
	int rc;

	mg_buf_init(&b, PORTAL_PAGE_MAX);
	rc = html_escf(&b, "<p>%s</p>", note);
	rc = rc ? rc : html_escf(&b, "<form method=\"post\" action=\"/portal/code/verify\">"
	    "<input type=\"hidden\" name=\"address\" value=\"%s\">"
	    "<label>Code <input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\""
	    " maxlength=\"8\" required></label> <button type=\"submit\">Sign in</button>"
	    "</form><p><a href=\"/portal/code\">Ask for another code</a></p>", addr);
	if (rc < 0)
		mg_buf_reset(&b);
	ret = portal_page(r, status, "Enter your code", &b, NULL);
	mg_buf_release(&b);
	return ret;
}

enum MHD_Result
portal_code_form(struct portal_req *r)
{
	static const char body[] = "<p>Enter your e-mail address; if it receives mail"
	    " through this gateway, a sign-in code is sent to it.</p>"
	    "<form method=\"post\" action=\"/portal/code\"><label>Address <input"
	    " name=\"address\" type=\"email\" maxlength=\"319\" required></label>"
	    " <button type=\"submit\">Send code</button></form>";
	struct mg_buf b = { .data = (uint8_t *)(uintptr_t)body, .len = sizeof(body) - 1 };

	return portal_page(r, MHD_HTTP_OK, "Sign in by code", &b, NULL);
}

/* Makes, keeps and mails a code for addr (a protected domain's). */
static void
code_send(struct portal_req *r, const char *addr)
{
	struct portal *p = r->p;
	struct notice_ctx ctx = { &p->conf->portal, p->conf->hostname, p->key, r->now };
	struct portal_code *c = code_find(p, addr, r->now);
	char code[16];
	uint8_t rnd[8];
	uint64_t v = 0, qid;
	struct mg_buf msg;
	int rc;

	for (size_t i = 0; c == NULL && i < PORTAL_CODES_MAX; i++)
		if (p->codes[i].user[0] == '\0')
			c = &p->codes[i];
	if (c == NULL) {
		log_warn("portal refused what=code user=%s reason=codes_full ip=%s", addr, r->ip);
		return;
	}
	MG_BUG_ON(RAND_bytes(rnd, sizeof(rnd)) != 1);
	for (size_t i = 0; i < sizeof(rnd); i++)
		v = v << 8 | rnd[i];
	snprintf(code, sizeof(code), "%08" PRIu64, v % 100000000u);
	memset(c, 0, sizeof(*c));
	snprintf(c->user, sizeof(c->user), "%s", addr);
	code_hash(p, addr, code, c->hash);
	c->expires = r->now + (time_t)p->conf->portal.code_minutes * 60;
	mg_buf_init(&msg, NOTICE_MAX_LEN);
	rc = notice_code(&ctx, addr, code, &msg);
	rc = rc ? rc : notice_submit(p->spool, addr, &msg, r->now, &qid);
	mg_buf_release(&msg);
	OPENSSL_cleanse(code, sizeof(code));
	if (rc < 0) {
		log_err("portal code user=%s status=failed error=\"%s\"", addr, mg_strerror(rc));
		return;
	}
	if (p->notify != NULL)
		p->notify(p->conf, qid);
	log_info("portal code user=%s qid=%016" PRIx64 " ip=%s", addr, qid, r->ip);
}

enum MHD_Result
portal_code_send(struct portal_req *r)
{
	static const char sent[] = "If this address receives mail through this gateway,"
	    " a sign-in code is on its way to it.";
	char addr[PORTAL_FIELD_MAX];
	const char *why = NULL;

	if (portal_field(r, false, "address", addr, sizeof(addr)) < 0 || !portal_addr_ok(addr))
		return portal_message(r, MHD_HTTP_BAD_REQUEST, "Sign in by code",
		    "That is not an e-mail address.");
	if (!rate_ok(r->p, "i", r->ip, PORTAL_CODES_PER_IP, r->now))
		why = "rate_ip";
	else if (!rate_ok(r->p, "a", addr, PORTAL_CODES_PER_ADDR, r->now))
		why = "rate_address";
	else if (conf_route_for(r->p->conf, strrchr(addr, '@') + 1,
	    strlen(strrchr(addr, '@') + 1)) == NULL)
		why = "not_protected";
	if (why != NULL)
		log_info("portal refused what=code user=%s reason=%s ip=%s", addr, why, r->ip);
	else
		code_send(r, addr);
	return code_verify_form(r, MHD_HTTP_OK, addr, sent);
}

enum MHD_Result
portal_code_verify(struct portal_req *r)
{
	char addr[PORTAL_FIELD_MAX], code[PORTAL_FIELD_MAX];
	struct portal_code *c;
	uint8_t h[32];

	if (portal_field(r, false, "address", addr, sizeof(addr)) < 0 || !portal_addr_ok(addr) ||
	    portal_field(r, false, "code", code, sizeof(code)) < 0)
		return portal_message(r, MHD_HTTP_BAD_REQUEST, "Sign in by code",
		    "The address or the code is missing.");
	if ((c = code_find(r->p, addr, r->now)) != NULL) {
		code_hash(r->p, addr, code, h);
		if (strlen(code) == 8 && CRYPTO_memcmp(h, c->hash, sizeof(h)) == 0) {
			memset(c, 0, sizeof(*c));
			return signed_in(r, addr, "code");
		}
		if (++c->attempts >= PORTAL_CODE_ATTEMPTS)
			memset(c, 0, sizeof(*c));
	}
	log_info("portal refused what=code_verify user=%s reason=%s ip=%s", addr,
	    c == NULL ? "no_code" : "wrong_code", r->ip);
	return code_verify_form(r, MHD_HTTP_FORBIDDEN, addr,
	    "That code is not valid or has expired.");
}
