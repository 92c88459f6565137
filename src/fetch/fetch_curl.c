/* The worker's side of the fetcher (fetch.h): one fetch with libcurl and
 * no cookie engine, no credentials (userinfo stripped, no netrc), no
 * proxy, http/https only, redirects followed by hand so that every hop is
 * re-checked and recorded, and every connection refused by the
 * open-socket callback when its address is not public. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "fetch/fetch.h"

struct hop {
	const struct fetch_limits *lim;
	struct fetch_result *res;
	size_t		 cap;
	bool		 refused;	/* the socket callback said no */
};

static bool
v4_public(uint32_t a)
{
	uint8_t b0 = a >> 24, b1 = (a >> 16) & 0xff;

	return !(b0 == 0 || b0 == 10 || b0 == 127 || (b0 == 100 && (b1 & 0xc0) == 64) ||
	    (b0 == 169 && b1 == 254) || (b0 == 172 && (b1 & 0xf0) == 16) ||
	    (b0 == 192 && b1 == 168) || (b0 == 192 && b1 == 0 && ((a >> 8) & 0xff) == 0) ||
	    (b0 == 198 && (b1 & 0xfe) == 18) || b0 >= 224);
}

bool
fetch_addr_public(const void *sa, size_t salen)
{
	const struct sockaddr *s = sa;

	if (s->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in))
		return v4_public(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (s->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		const uint8_t *b = a->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a))
			return v4_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
			    (uint32_t)b[14] << 8 | b[15]);
		if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)	/* NAT64 */
			return v4_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
			    (uint32_t)b[14] << 8 | b[15]);
		return !(IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
		    IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_SITELOCAL(a) ||
		    IN6_IS_ADDR_MULTICAST(a) || (b[0] & 0xfe) == 0xfc ||	/* ULA */
		    (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8));
	}
	return false;
}

static curl_socket_t
hop_open(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct hop *h = arg;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    (!h->lim->allow_private && !fetch_addr_public(&a->addr, a->addrlen))) {
		h->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t
hop_write(char *p, size_t size, size_t n, void *arg)
{
	struct hop *h = arg;
	struct fetch_result *r = h->res;
	size_t len = size * n, room = h->lim->max_bytes - r->body_len;

	if (len > room) {
		memcpy(r->body + r->body_len, p, room);
		r->body_len += room;
		r->truncated = true;
		return 0;	/* stops the transfer: enough */
	}
	memcpy(r->body + r->body_len, p, len);
	r->body_len += len;
	return len;
}

/* url with userinfo removed, when it is http(s); NULL otherwise. */
static char *
clean_url(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *out = NULL;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		goto out;
	curl_url_set(u, CURLUPART_USER, NULL, 0);
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK || strlen(out) > FETCH_URL_MAX) {
		curl_free(out);
		out = NULL;
	}
out:
	curl_free(scheme);
	curl_url_cleanup(u);
	return out;
}

static void
hop_options(CURL *c, struct hop *h, const char *url, long ms)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT,
	    h->lim->user_agent != NULL ? h->lim->user_agent : FETCH_USER_AGENT);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, hop_open);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hop_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
}

static enum fetch_status
hop_status(CURLcode rc, const struct hop *h)
{
	switch (rc) {
	case CURLE_OK:
		return FETCH_OK;
	case CURLE_WRITE_ERROR:
		return h->res->truncated ? FETCH_OK : FETCH_ERROR;
	case CURLE_OPERATION_TIMEDOUT:
		return FETCH_TIMEOUT;
	case CURLE_UNSUPPORTED_PROTOCOL:
		return FETCH_REFUSED;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return h->refused ? FETCH_REFUSED : FETCH_CONNECT;
	default:
		return h->refused ? FETCH_REFUSED : FETCH_ERROR;
	}
}

/* One request of the chain; the next URL (owned) in *next when redirected. */
static enum fetch_status
hop_run(CURL *c, struct hop *h, const char *url, uint64_t deadline, char **next)
{
	struct fetch_result *r = h->res;
	uint64_t now = mg_clock_ns();
	char *loc = NULL, *ct = NULL;
	enum fetch_status st;
	long code = 0;

	*next = NULL;
	if (now >= deadline)
		return FETCH_TIMEOUT;
	curl_easy_reset(c);
	hop_options(c, h, url, (long)((deadline - now) / 1000000) + 1);
	r->body_len = 0;
	r->truncated = false;
	st = hop_status(curl_easy_perform(c), h);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	r->http_code = (uint32_t)code;
	free(r->final_url);
	r->final_url = strdup(url);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL) {
		free(r->content_type);
		r->content_type = strndup(ct, FETCH_CTYPE_MAX);
	}
	if (st == FETCH_OK && code >= 300 && code < 400 &&
	    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc != NULL)
		*next = clean_url(loc);
	return st;
}

/* Adds url to the chain; false on ENOMEM. */
static bool
chain_add(struct fetch_result *r, char *url)
{
	char **v = realloc(r->chain, (r->nchain + 1) * sizeof(*v));

	if (v == NULL)
		return false;
	r->chain = v;
	r->chain[r->nchain++] = url;
	return true;
}

void
fetch_curl(const char *url, const struct fetch_limits *lim, struct fetch_result *out)
{
	uint64_t deadline = mg_clock_ns() + (uint64_t)lim->timeout_ms * 1000000;
	struct hop h = { .lim = lim, .res = out };
	char *cur = clean_url(url), *next = NULL;
	CURL *c = NULL;

	memset(out, 0, sizeof(*out));
	out->status = FETCH_ERROR;
	if ((out->body = malloc((size_t)lim->max_bytes + 1)) == NULL)
		goto done;
	out->status = FETCH_REFUSED;
	if (cur == NULL || (c = curl_easy_init()) == NULL)
		goto done;
	for (;;) {
		out->status = hop_run(c, &h, cur, deadline, &next);
		free(cur);
		cur = NULL;
		if (next == NULL)
			break;
		if (out->nchain >= lim->max_redirects) {
			free(next);
			out->status = FETCH_REDIRECTS;
			break;
		}
		if (!chain_add(out, next)) {
			free(next);
			out->status = FETCH_ERROR;
			break;
		}
		cur = strdup(next);
	}
done:
	free(cur);
	if (c != NULL)
		curl_easy_cleanup(c);
	if (out->final_url == NULL)
		out->final_url = strdup("");
	if (out->content_type == NULL)
		out->content_type = strdup("");
	if (out->body == NULL)
		out->body_len = 0;
	else
		out->body[out->body_len] = '\0';
}
