/* engine.bec (conf_bec.h): enabled = true; vips = [ "Jane Doe <jane@example.com>",
 * ... ]; internal_names_file = "PATH"; free_mail = [ "gmail.com", "yahoo.*",
 * ... ]; lookalike_distance = 1; first_time_history = 100. The names file is read by the bec check,
 * which reports its FILE:LINE mistakes when the engine opens. */
#include <ctype.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_bec.h"
#include "core/conf_parse.h"

const char *const conf_bec_free_mail_default[] = {
	"gmail.com", "googlemail.com", "outlook.com", "hotmail.*", "live.*", "msn.com",
	"yahoo.*", "ymail.com", "aol.com", "icloud.com", "me.com", "mac.com",
	"protonmail.com", "proton.me", "pm.me", "gmx.*", "web.de", "t-online.de",
	"mail.com", "zoho.com", "yandex.*", "mail.ru", "inbox.ru", "bk.ru", "list.ru",
	"163.com", "126.com", "yeah.net", "qq.com", "foxmail.com", "sina.com", "sohu.com",
	"aliyun.com", "naver.com", "daum.net", "orange.fr", "laposte.net", "free.fr",
	"sfr.fr", "wanadoo.fr", "libero.it", "tutanota.com", "tuta.io", "fastmail.com",
	"hushmail.com", "rediffmail.com", NULL
};

static const struct conf_u32 bec_nums[] = {
	{ "lookalike_distance", offsetof(struct conf_bec, lookalike_distance), 1, 0, 3 },
	{ "first_time_history", offsetof(struct conf_bec, first_time_history), 100, 0,
	  10000000 },
};
#define BEC_NNUMS	(sizeof(bec_nums) / sizeof(bec_nums[0]))

void
conf_bec_defaults(struct conf_bec *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = true;
	conf_u32_defaults(bec_nums, BEC_NNUMS, c);
}

/* s[0..n) without surrounding blanks and quotes (backslashes kept out),
 * into out. */
static void
bec_copy_trim(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		out[o++] = s[i];
	}
	out[o] = '\0';
}

int
conf_bec_mailbox(const char *s, char *name, size_t namelen, char *addr, size_t addrlen)
{
	const char *lt = strrchr(s, '<'), *gt, *par;

	name[0] = addr[0] = '\0';
	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		bec_copy_trim(s, (size_t)(lt - s), name, namelen);
		bec_copy_trim(lt + 1, (size_t)(gt - lt - 1), addr, addrlen);
	} else if ((par = strchr(s, '(')) != NULL && strchr(s, '@') != NULL &&
	    strchr(s, '@') < par) {
		const char *end = strchr(par, ')');
		bec_copy_trim(s, (size_t)(par - s), addr, addrlen);
		bec_copy_trim(par + 1, end != NULL ? (size_t)(end - par - 1) : strlen(par + 1),
		    name, namelen);
	} else if (strchr(s, '@') != NULL)
		bec_copy_trim(s, strlen(s), addr, addrlen);
	else
		bec_copy_trim(s, strlen(s), name, namelen);
	if (strchr(addr, '@') == NULL || addr[0] == '@' || strchr(addr, ' ') != NULL)
		addr[0] = '\0';
	conf_lower(addr);
	return name[0] == '\0' && addr[0] == '\0' ? -1 : 0;
}

static const char *
bec_vip_ok(const char *v)
{
	char name[CONF_BEC_NAME_MAX], addr[CONF_BEC_ADDR_MAX];

	if (strlen(v) >= CONF_BEC_NAME_MAX + CONF_BEC_ADDR_MAX ||
	    conf_bec_mailbox(v, name, sizeof(name), addr, sizeof(addr)) < 0 ||
	    strlen(name) < 3 || addr[0] == '\0' ||
	    conf_check_domain(strrchr(addr, '@') + 1) != 0)
		return "is not \"Display Name <address>\" (a name of 3 bytes or more)";
	return NULL;
}

static const char *
bec_free_ok(const char *v)
{
	size_t n = strlen(v);
	char label[64];

	if (n > 2 && n < sizeof(label) && strcmp(v + n - 2, ".*") == 0 &&
	    strchr(v, '.') == v + n - 2) {
		memcpy(label, v, n - 2);
		label[n - 2] = '\0';
		return conf_check_domain(label) == 0 ? NULL : "is not a domain or LABEL.*";
	}
	return conf_check_domain(v) == 0 ? NULL : "is not a domain or LABEL.*";
}

int
conf_load_bec(struct conf_ctx *cx, const config_setting_t *g, struct conf_bec *c)
{
	static const char *const keys[] = { "enabled", "vips", "internal_names_file",
		"free_mail", "lookalike_distance", "first_time_history", NULL };
	const config_setting_t *s;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.bec' must be a group { vips = [ ... ]; }");
	if (conf_check_keys(cx, g, keys, "engine.bec") < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.bec", &c->enabled) < 0 ||
	    conf_load_u32s(cx, g, "engine.bec", bec_nums, BEC_NNUMS, c) < 0 ||
	    conf_get_path(cx, g, "internal_names_file", false, &c->internal_names_file) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "vips")) != NULL &&
	    conf_load_strings(cx, s, "engine.bec.vips", bec_vip_ok, CONF_BEC_MAX_VIPS,
	    &c->vips, &c->nvips) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "free_mail")) != NULL &&
	    conf_load_strings(cx, s, "engine.bec.free_mail", bec_free_ok,
	    CONF_BEC_MAX_FREE_MAIL, &c->free_mail, &c->nfree_mail) < 0)
		return -1;
	return 0;
}

void
conf_bec_free(struct conf_bec *c)
{
	conf_strings_free(c->vips, c->nvips);
	conf_strings_free(c->free_mail, c->nfree_mail);
	free(c->internal_names_file);
	memset(c, 0, sizeof(*c));
}
