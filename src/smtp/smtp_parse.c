/* SMTP command-line parser (RFC 5321 4.1 with the ESMTP parameters of
 * RFC 1870, 6152, 3030, 3461 and 6531): one untrusted line in, a typed
 * command out, nothing allocated. Written by hand because no library
 * parses SMTP commands into slices; address literals use inet_pton. */
#include <arpa/inet.h>
#include <string.h>

#include "core/err.h"
#include "smtp/smtp_parse.h"

#define SMTP_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define SMTP_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */
#define SMTP_PATH_MAX	256	/* RFC 5321 4.5.3.1.3, with < > */
#define SMTP_LABEL_MAX	63	/* RFC 1035 2.3.4 */
#define SMTP_ENVID_MAX	100	/* RFC 3461 4.4 */
#define SMTP_ORCPT_MAX	500	/* RFC 3461 4.2 */
#define SMTP_CHUNK_MAX	((uint64_t)INT64_MAX)

/* parse_domain() flags */
#define DOM_UTF8	0x1u	/* U-labels (valid UTF-8) allowed */
#define DOM_LITERAL	0x2u	/* [IPv4] and [IPv6:...] allowed */
#define DOM_UNDERSCORE	0x4u	/* '_' allowed in labels (EHLO leniency) */

static bool
is_alpha(uint8_t c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* RFC 5322 atext */
static bool
is_atext(uint8_t c)
{
	return is_alpha(c) || is_digit(c) ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Length of the valid UTF-8 sequence at p (2..4), or 0: rejects overlong
 * forms, surrogates and code points past U+10FFFF. */
static size_t
utf8_char_len(const uint8_t *p, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1fu;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07u;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		return 0;
	if (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
		return 0;
	return len;
}

/* "[1.2.3.4]" or "[IPv6:...]" at p; *n gets its length with brackets.
 * Only hex digits, dots and colons reach inet_pton. */
static bool
parse_addr_literal(const uint8_t *p, size_t len, size_t *n)
{
	char text[64];
	const uint8_t *close, *in = p + 1;
	struct in6_addr a6;
	size_t inner, i;
	int af = AF_INET;

	if ((close = memchr(p, ']', len)) == NULL)
		return false;
	inner = (size_t)(close - in);
	if (mg_slice_prefix_nocase(mg_slice_make(in, inner), "IPv6:")) {
		af = AF_INET6;
		in += 5;
		inner -= 5;
	}
	if (inner == 0 || inner >= sizeof(text))
		return false;
	for (i = 0; i < inner; i++)
		if (!is_digit(in[i]) && !((in[i] | 0x20) >= 'a' && (in[i] | 0x20) <= 'f') &&
		    in[i] != '.' && in[i] != ':')
			return false;
	memcpy(text, in, inner);
	text[inner] = '\0';
	if (inet_pton(af, text, &a6) != 1)
		return false;
	*n = (size_t)(close - p) + 1;
	return true;
}

/* One label (RFC 5321 sub-domain): starts and ends with a letter, digit
 * or UTF-8 character, hyphens inside. Returns its length or 0. */
static size_t
parse_label(const uint8_t *p, size_t len, unsigned flags, bool *utf8)
{
	size_t i = 0, k;
	uint8_t last = '-';

	while (i < len) {
		uint8_t c = p[i];

		if (c >= 0x80) {
			if (!(flags & DOM_UTF8) || (k = utf8_char_len(p + i, len - i)) == 0)
				return 0;
			*utf8 = true;
			i += k;
			last = 'a';
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-' &&
		    !(c == '_' && (flags & DOM_UNDERSCORE)))
			break;
		if (i == 0 && c == '-')
			return 0;
		last = c;
		i++;
	}
	if (i == 0 || i > SMTP_LABEL_MAX || last == '-')
		return 0;
	return i;
}

/* Domain or (with DOM_LITERAL) address literal at p, stopping at the first
 * byte that cannot belong to it; *n gets its length. */
static bool
parse_domain(const uint8_t *p, size_t len, unsigned flags, bool *utf8, size_t *n)
{
	size_t i = 0, k;

	if (len > 0 && p[0] == '[')
		return (flags & DOM_LITERAL) && parse_addr_literal(p, len, n);
	for (;;) {
		if ((k = parse_label(p + i, len - i, flags, utf8)) == 0)
			return false;
		i += k;
		if (i < len && p[i] == '.')
			i++;
		else
			break;
	}
	if (i > SMTP_DOMAIN_MAX)
		return false;
	*n = i;
	return true;
}

/* RFC 5321 Quoted-string (with RFC 6531 UTF-8 when allowed); *n gets its
 * length including both quotes. */
static bool
parse_quoted(const uint8_t *p, size_t len, bool utf8_ok, bool *utf8, size_t *n)
{
	size_t i = 1, k;

	while (i < len) {
		uint8_t c = p[i];

		if (c == '"') {
			*n = i + 1;
			return true;
		}
		if (c == '\\') {
			if (i + 1 >= len || p[i + 1] < 32 || p[i + 1] > 126)
				return false;
			i += 2;
		} else if (c >= 0x80) {
			if (!utf8_ok || (k = utf8_char_len(p + i, len - i)) == 0)
				return false;
			*utf8 = true;
			i += k;
		} else if (c >= 32 && c <= 126) {
			i++;
		} else {
			return false;
		}
	}
	return false;
}

/* RFC 5321 Dot-string: Atom *("." Atom); *n gets its length. */
static bool
parse_dot_string(const uint8_t *p, size_t len, bool utf8_ok, bool *utf8, size_t *n)
{
	size_t i = 0, k;
	bool atom_empty = true;

	while (i < len) {
		uint8_t c = p[i];

		if (c >= 0x80) {
			if (!utf8_ok || (k = utf8_char_len(p + i, len - i)) == 0)
				return false;
			*utf8 = true;
			i += k;
		} else if (is_atext(c)) {
			i++;
		} else if (c == '.' && !atom_empty) {
			i++;
			atom_empty = true;
			continue;
		} else {
			break;
		}
		atom_empty = false;
	}
	if (atom_empty)
		return false;
	*n = i;
	return true;
}

/* Skips an RFC 5321 source route "@a,@b:" (obsolete, ASCII only, and
 * ignored). */
static bool
skip_source_route(const uint8_t *p, size_t len, size_t *n)
{
	size_t i = 0, k;
	bool utf8 = false;

	for (;;) {
		if (i >= len || p[i] != '@')
			return false;
		i++;
		if (!parse_domain(p + i, len - i, 0, &utf8, &k))
			return false;
		i += k;
		if (i < len && p[i] == ',')
			i++;
		else if (i < len && p[i] == ':')
			break;
		else
			return false;
	}
	*n = i + 1;
	return true;
}

int
smtp_parse_path(const uint8_t *p, size_t len, bool allow_null,
    bool utf8_ok, struct smtp_path *out, size_t *end)
{
	size_t i = 1, k, local_at;

	memset(out, 0, sizeof(*out));
	if (len < 2 || p[0] != '<')
		return -SMTP_PERR_BAD_PATH;
	if (p[1] == '>') {
		if (!allow_null)
			return -SMTP_PERR_BAD_PATH;
		out->null = true;
		out->mailbox = out->local = out->domain = mg_slice_make(p + 1, 0);
		*end = 2;
		return 0;
	}
	if (p[1] == '@') {
		if (!skip_source_route(p + 1, len - 1, &k))
			return -SMTP_PERR_BAD_PATH;
		i += k;
	}
	local_at = i;
	if (i < len && p[i] == '"') {
		if (!parse_quoted(p + i, len - i, utf8_ok, &out->utf8, &k))
			return -SMTP_PERR_BAD_PATH;
	} else if (!parse_dot_string(p + i, len - i, utf8_ok, &out->utf8, &k)) {
		return -SMTP_PERR_BAD_PATH;
	}
	i += k;
	if (k > SMTP_LOCAL_MAX || i >= len || p[i] != '@')
		return -SMTP_PERR_BAD_PATH;
	out->local = mg_slice_make(p + local_at, k);
	i++;
	if (!parse_domain(p + i, len - i, DOM_LITERAL | (utf8_ok ? DOM_UTF8 : 0),
	    &out->utf8, &k))
		return -SMTP_PERR_BAD_PATH;
	out->domain = mg_slice_make(p + i, k);
	i += k;
	if (i >= len || p[i] != '>' || i + 1 > SMTP_PATH_MAX)
		return -SMTP_PERR_BAD_PATH;
	out->mailbox = mg_slice_make(p + local_at, i - local_at);
	*end = i + 1;
	return 0;
}

/* Value of an upper-case hex digit (RFC 3461 hexchar), or -1. */
static int
hex_upper(uint8_t c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Validates RFC 3461 xtext and, when out is not NULL, appends its decoding.
 * Decoded control characters are refused: the values end up in DSNs. */
static int
xtext_scan(struct mg_slice in, struct mg_buf *out)
{
	size_t i;
	int hi, lo, rc;

	for (i = 0; i < in.len; i++) {
		uint8_t c = in.ptr[i];

		if (c == '+') {
			if (in.len - i < 3 || (hi = hex_upper(in.ptr[i + 1])) < 0 ||
			    (lo = hex_upper(in.ptr[i + 2])) < 0)
				return -MG_EPROTO;
			c = (uint8_t)(hi << 4 | lo);
			if (c < 0x20 || c == 0x7f)
				return -MG_EPROTO;
			i += 2;
		} else if (c < 33 || c > 126 || c == '=') {
			return -MG_EPROTO;
		}
		if (out != NULL && (rc = mg_buf_putc(out, c)) < 0)
			return rc;
	}
	return 0;
}

int
smtp_xtext_decode(struct mg_slice in, struct mg_buf *out)
{
	return xtext_scan(in, out);
}

/* Unsigned decimal no greater than max; false on anything else. */
static bool
parse_u64(struct mg_slice s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s.len == 0)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned d = s.ptr[i] - (unsigned)'0';

		if (d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool
param_size(struct smtp_cmd *cmd, struct mg_slice val, bool has_val)
{
	if (!has_val || !parse_u64(val, UINT64_MAX, &cmd->size))
		return false;
	cmd->size_given = true;
	return true;
}

static bool
param_body(struct smtp_cmd *cmd, struct mg_slice val, bool has_val)
{
	if (has_val && mg_slice_eq_nocase(val, "7BIT"))
		cmd->body = SMTP_BODY_7BIT;
	else if (has_val && mg_slice_eq_nocase(val, "8BITMIME"))
		cmd->body = SMTP_BODY_8BITMIME;
	else if (has_val && mg_slice_eq_nocase(val, "BINARYMIME"))
		cmd->body = SMTP_BODY_BINARYMIME;
	else
		return false;
	return true;
}

static bool
param_smtputf8(struct smtp_cmd *cmd, struct mg_slice val, bool has_val)
{
	if (has_val)
		return false;
	cmd->smtputf8 = true;
	return true;
}

static bool
param_ret(struct smtp_cmd *cmd, struct mg_slice val, bool has_val)
{
	if (has_val && mg_slice_eq_nocase(val, "FULL"))
		cmd->ret = SMTP_RET_FULL;
	else if (has_val && mg_slice_eq_nocase(val, "HDRS"))
		cmd->ret = SMTP_RET_HDRS;
	else
		return false;
	return true;
}

static bool
param_envid(struct smtp_cmd *cmd, struct mg_slice val, bool has_val)
{
	if (!has_val || val.len > SMTP_ENVID_MAX || xtext_scan(val, NULL) < 0)
		return false;
	cmd->envid = val;
	return true;
}

/* RFC 4954 AUTH=<> or AUTH=xtext: checked, then ignored (no relay trust
 * is ever derived from it). */
static bool
param_auth(struct smtp_cmd *cmd, struct mg_slice val, bool has_val)
{
	return has_val && (mg_slice_eq_nocase(val, "<>") || xtext_scan(val, NULL) == 0);
}

/* NOTIFY=NEVER or a comma list of SUCCESS, FAILURE, DELAY. */
static bool
param_notify(struct smtp_cmd *cmd, struct mg_slice val, bool has_val)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} kinds[] = {
		{ "NEVER", SMTP_NOTIFY_NEVER }, { "SUCCESS", SMTP_NOTIFY_SUCCESS },
		{ "FAILURE", SMTP_NOTIFY_FAILURE }, { "DELAY", SMTP_NOTIFY_DELAY },
	};
	const uint8_t *p = val.ptr, *end = val.ptr + val.len, *comma;
	unsigned bits = 0;
	size_t k;

	if (!has_val)
		return false;
	for (;;) {
		struct mg_slice item;

		comma = memchr(p, ',', (size_t)(end - p));
		item = mg_slice_make(p, (size_t)((comma ? comma : end) - p));
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (mg_slice_eq_nocase(item, kinds[k].name))
				break;
		if (k == sizeof(kinds) / sizeof(kinds[0]))
			return false;
		bits |= kinds[k].bit;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if ((bits & SMTP_NOTIFY_NEVER) && bits != SMTP_NOTIFY_NEVER)
		return false;
	cmd->notify = bits;
	return true;
}

/* ORCPT=addr-type;xtext (RFC 3461 4.2). */
static bool
param_orcpt(struct smtp_cmd *cmd, struct mg_slice val, bool has_val)
{
	const uint8_t *semi;
	size_t i, type_len;

	if (!has_val || val.len > SMTP_ORCPT_MAX ||
	    (semi = memchr(val.ptr, ';', val.len)) == NULL || semi == val.ptr)
		return false;
	type_len = (size_t)(semi - val.ptr);
	for (i = 0; i < type_len; i++)
		if (!is_atext(val.ptr[i]))
			return false;
	if (type_len + 1 == val.len ||
	    xtext_scan(mg_slice_make(semi + 1, val.len - type_len - 1), NULL) < 0)
		return false;
	cmd->orcpt = val;
	return true;
}

struct smtp_param {
	const char	*name;
	bool		(*set)(struct smtp_cmd *, struct mg_slice val, bool has_val);
};

static const struct smtp_param mail_params[] = {
	{ "SIZE", param_size }, { "BODY", param_body },
	{ "SMTPUTF8", param_smtputf8 }, { "RET", param_ret },
	{ "ENVID", param_envid }, { "AUTH", param_auth }, { NULL, NULL },
};

static const struct smtp_param rcpt_params[] = {
	{ "NOTIFY", param_notify }, { "ORCPT", param_orcpt }, { NULL, NULL },
};

/* RFC 5321 esmtp-keyword and esmtp-value (ASCII only). */
static bool
valid_keyword(struct mg_slice kw)
{
	size_t i;

	if (kw.len == 0)
		return false;
	for (i = 0; i < kw.len; i++)
		if (!is_alpha(kw.ptr[i]) && !is_digit(kw.ptr[i]) &&
		    (i == 0 || kw.ptr[i] != '-'))
			return false;
	return true;
}

static bool
valid_value(struct mg_slice val)
{
	size_t i;

	if (val.len == 0)
		return false;
	for (i = 0; i < val.len; i++)
		if (val.ptr[i] < 33 || val.ptr[i] > 126 || val.ptr[i] == '=')
			return false;
	return true;
}

/* The parameters after a path: (SP+ keyword[=value])*. Unknown, malformed
 * and repeated parameters are refused. */
static int
parse_params(struct mg_slice s, const struct smtp_param *table,
    struct smtp_cmd *cmd)
{
	size_t i = 0, start, k;
	unsigned seen = 0;

	while (i < s.len) {
		struct mg_slice kw, val;
		const uint8_t *eq;

		if (s.ptr[i] != ' ')
			return -SMTP_PERR_SYNTAX;
		while (i < s.len && s.ptr[i] == ' ')
			i++;
		for (start = i; i < s.len && s.ptr[i] != ' '; i++)
			;
		kw = mg_slice_make(s.ptr + start, i - start);
		val = mg_slice_make(s.ptr + i, 0);
		if ((eq = memchr(kw.ptr, '=', kw.len)) != NULL) {
			val = mg_slice_make(eq + 1, (size_t)(kw.ptr + kw.len - eq - 1));
			kw.len = (size_t)(eq - kw.ptr);
			if (!valid_value(val))
				return -SMTP_PERR_BAD_PARAM;
		}
		if (!valid_keyword(kw))
			return -SMTP_PERR_BAD_PARAM;
		for (k = 0; table[k].name != NULL; k++)
			if (mg_slice_eq_nocase(kw, table[k].name))
				break;
		if (table[k].name == NULL || (seen & 1u << k) ||
		    !table[k].set(cmd, val, eq != NULL))
			return -SMTP_PERR_BAD_PARAM;
		seen |= 1u << k;
	}
	return 0;
}

/* Skips "FROM:" or "TO:" and the spaces many clients put after the colon;
 * leaves the path and what follows in *rest. */
static int
path_start(struct mg_slice arg, const char *prefix, struct mg_slice *rest)
{
	size_t i = strlen(prefix);

	if (!mg_slice_prefix_nocase(arg, prefix))
		return -SMTP_PERR_SYNTAX;
	while (i < arg.len && arg.ptr[i] == ' ')
		i++;
	if (i == arg.len)
		return -SMTP_PERR_SYNTAX;
	if (arg.ptr[i] != '<')
		return -SMTP_PERR_BAD_PATH;
	*rest = mg_slice_make(arg.ptr + i, arg.len - i);
	return 0;
}

/* MAIL FROM:<path> [params]. UTF-8 in the path needs both utf8_ok (the
 * server offers SMTPUTF8) and the SMTPUTF8 parameter. */
static int
parse_mail(struct smtp_cmd *cmd, struct mg_slice arg, bool utf8_ok)
{
	struct mg_slice rest;
	size_t end;
	int rc;

	if ((rc = path_start(arg, "FROM:", &rest)) < 0 ||
	    (rc = smtp_parse_path(rest.ptr, rest.len, true, utf8_ok, &cmd->path,
	    &end)) < 0 ||
	    (rc = parse_params(mg_slice_make(rest.ptr + end, rest.len - end),
	    mail_params, cmd)) < 0)
		return rc;
	if (cmd->path.utf8 && !cmd->smtputf8)
		return -SMTP_PERR_BAD_PATH;
	return 0;
}

/* RCPT TO:<path> [params], or RCPT TO:<postmaster> without a domain. */
static int
parse_rcpt(struct smtp_cmd *cmd, struct mg_slice arg, bool utf8_ok)
{
	static const char pm[] = "<postmaster>";
	struct mg_slice rest;
	size_t end;
	int rc;

	if ((rc = path_start(arg, "TO:", &rest)) < 0)
		return rc;
	if (mg_slice_prefix_nocase(rest, pm)) {
		end = sizeof(pm) - 1;
		cmd->path.local = cmd->path.mailbox = mg_slice_make(rest.ptr + 1, end - 2);
		cmd->path.domain = mg_slice_make(rest.ptr + end - 1, 0);
	} else if ((rc = smtp_parse_path(rest.ptr, rest.len, false, utf8_ok,
	    &cmd->path, &end)) < 0) {
		return rc;
	}
	return parse_params(mg_slice_make(rest.ptr + end, rest.len - end),
	    rcpt_params, cmd);
}

/* HELO/EHLO Domain or address literal; '_' tolerated in labels because
 * many Windows hosts send such names. */
static int
parse_helo(struct smtp_cmd *cmd, struct mg_slice arg, bool utf8_ok)
{
	bool utf8 = false;
	size_t n;

	if (!parse_domain(arg.ptr, arg.len, DOM_LITERAL | DOM_UNDERSCORE, &utf8, &n) ||
	    n != arg.len)
		return -SMTP_PERR_SYNTAX;
	cmd->arg = arg;
	return 0;
}

/* BDAT chunk-size [LAST] (RFC 3030); sizes above 2^63-1 are refused. */
static int
parse_bdat(struct smtp_cmd *cmd, struct mg_slice arg, bool utf8_ok)
{
	size_t i;

	for (i = 0; i < arg.len && arg.ptr[i] != ' '; i++)
		;
	if (!parse_u64(mg_slice_make(arg.ptr, i), SMTP_CHUNK_MAX, &cmd->chunk_size))
		return -SMTP_PERR_SYNTAX;
	while (i < arg.len && arg.ptr[i] == ' ')
		i++;
	if (i == arg.len)
		return 0;
	if (!mg_slice_eq_nocase(mg_slice_make(arg.ptr + i, arg.len - i), "LAST"))
		return -SMTP_PERR_SYNTAX;
	cmd->last = true;
	return 0;
}

static int
arg_none(struct smtp_cmd *cmd, struct mg_slice arg, bool utf8_ok)
{
	return arg.len == 0 ? 0 : -SMTP_PERR_SYNTAX;
}

static int
arg_optional(struct smtp_cmd *cmd, struct mg_slice arg, bool utf8_ok)
{
	cmd->arg = arg;
	return 0;
}

static int
arg_required(struct smtp_cmd *cmd, struct mg_slice arg, bool utf8_ok)
{
	cmd->arg = arg;
	return arg.len == 0 ? -SMTP_PERR_SYNTAX : 0;
}

static const struct smtp_verb {
	const char		*name;
	enum smtp_cmd_type	 type;
	int			(*parse)(struct smtp_cmd *, struct mg_slice arg, bool utf8_ok);
} verbs[] = {
	{ "HELO", SMTP_CMD_HELO, parse_helo },
	{ "EHLO", SMTP_CMD_EHLO, parse_helo },
	{ "MAIL", SMTP_CMD_MAIL, parse_mail },
	{ "RCPT", SMTP_CMD_RCPT, parse_rcpt },
	{ "DATA", SMTP_CMD_DATA, arg_none },
	{ "BDAT", SMTP_CMD_BDAT, parse_bdat },
	{ "RSET", SMTP_CMD_RSET, arg_none },
	{ "NOOP", SMTP_CMD_NOOP, arg_optional },
	{ "QUIT", SMTP_CMD_QUIT, arg_none },
	{ "VRFY", SMTP_CMD_VRFY, arg_required },
	{ "EXPN", SMTP_CMD_EXPN, arg_required },
	{ "HELP", SMTP_CMD_HELP, arg_optional },
	{ "STARTTLS", SMTP_CMD_STARTTLS, arg_none },
	{ "AUTH", SMTP_CMD_AUTH, arg_required },
};

int
smtp_parse_command(const uint8_t *line, size_t len, bool utf8_ok,
    struct smtp_cmd *cmd)
{
	struct mg_slice verb;
	size_t i, v;

	memset(cmd, 0, sizeof(*cmd));
	for (i = 0; i < len; i++)
		if (line[i] == '\0' || line[i] == '\r' || line[i] == '\n')
			return -SMTP_PERR_NUL;
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	for (i = 0; i < len && line[i] != ' '; i++)
		;
	verb = mg_slice_make(line, i);
	while (i < len && line[i] == ' ')
		i++;
	for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
		if (mg_slice_eq_nocase(verb, verbs[v].name)) {
			cmd->type = verbs[v].type;
			return verbs[v].parse(cmd, mg_slice_make(line + i, len - i),
			    utf8_ok);
		}
	}
	return -SMTP_PERR_UNKNOWN_CMD;
}
