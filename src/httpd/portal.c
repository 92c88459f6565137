/* The portal's life (portal.h) and its request dispatch: libmicrohttpd
 * with one internal thread, bounded connections, bodies and time; each
 * request is gathered whole (at most PORTAL_BODY_MAX) and then routed by
 * method and path. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "httpd/portal_int.h"
#include "spool/spool.h"
#include "store/store.h"

#define PORTAL_CONN_MAX		256	/* connections at once */
#define PORTAL_CONN_PER_IP	32
#define PORTAL_CONN_TIMEOUT	30	/* seconds of idleness */
#define PORTAL_CONN_MEMORY	(64u * 1024)	/* bytes of headers per connection */

static struct portal_req *
req_new(struct portal *p, struct MHD_Connection *conn, const char *url, const char *method)
{
	struct portal_req *r = calloc(1, sizeof(*r));
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	const char *cookie;

	if (r == NULL)
		return NULL;
	r->p = p;
	r->conn = conn;
	r->path = url;
	r->post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	r->now = time(NULL);
	mg_buf_init(&r->body, PORTAL_BODY_MAX);
	snprintf(r->ip, sizeof(r->ip), "-");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && (sa = ci->client_addr) != NULL) {
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->ip,
			    sizeof(r->ip));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->ip,
			    sizeof(r->ip));
	}
	cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "mg_session");
	r->sess = session_find(p, cookie, r->now);
	return r;
}

/* "/portal/m/ID" and "/portal/m/ID/release": the id and which. */
static bool
message_path(const char *path, uint64_t *id, bool *release)
{
	static const char pre[] = "/portal/m/";
	char hex[MG_ID_STRLEN + 1];
	const char *rest;

	if (strncmp(path, pre, sizeof(pre) - 1) != 0)
		return false;
	path += sizeof(pre) - 1;
	if (strlen(path) < MG_ID_STRLEN)
		return false;
	memcpy(hex, path, MG_ID_STRLEN);
	hex[MG_ID_STRLEN] = '\0';
	rest = path + MG_ID_STRLEN;
	if (mg_id_parse(hex, id) < 0)
		return false;
	*release = strcmp(rest, "/release") == 0;
	return *rest == '\0' || *release;
}

static enum MHD_Result
route(struct portal_req *r)
{
	const char *path = r->path;
	uint64_t id;
	bool release;

	if (r->too_large)
		return portal_message(r, MHD_HTTP_CONTENT_TOO_LARGE, "Request too large",
		    "The request is larger than this portal accepts.");
	if (strcmp(path, "/portal/a") == 0)
		return portal_action(r);
	if (strcmp(path, "/portal/login") == 0 && !r->post)
		return portal_login(r);
	if (strcmp(path, "/portal/code") == 0)
		return r->post ? portal_code_send(r) : portal_code_form(r);
	if (strcmp(path, "/portal/code/verify") == 0 && r->post)
		return portal_code_verify(r);
	if ((strcmp(path, "/portal") == 0 || strcmp(path, "/portal/") == 0) && !r->post)
		return portal_list(r);
	if (message_path(path, &id, &release) && release == r->post)
		return release ? portal_release(r, id) : portal_preview(r, id);
	return portal_not_found(r);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	struct portal_req *r = *con_cls;

	if (r == NULL) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return MHD_NO;	/* closes the connection */
		if ((*con_cls = r = req_new(cls, conn, url, method)) == NULL)
			return MHD_NO;
		return MHD_YES;
	}
	if (*upload_len > 0) {
		if (!r->too_large && mg_buf_append(&r->body, upload, *upload_len) < 0) {
			r->too_large = true;
			mg_buf_release(&r->body);
		}
		*upload_len = 0;
		return MHD_YES;
	}
	return route(r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	struct portal_req *r = *con_cls;

	if (r != NULL) {
		mg_buf_release(&r->body);
		free(r);
		*con_cls = NULL;
	}
}

static int
mhd_start(struct portal *p, char *err, size_t errlen)
{
	const struct conf_portal *pc = &p->conf->portal;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char port[8];
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD;
	int gai;

	snprintf(port, sizeof(port), "%u", pc->listen_port);
	if ((gai = getaddrinfo(pc->listen_host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "portal listen %s: %s", pc->listen_host, gai_strerror(gai));
		return -MG_EINVAL;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	p->mhd = MHD_start_daemon(flags, pc->listen_port, NULL, NULL, on_request, p,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)PORTAL_CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PORTAL_CONN_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PORTAL_CONN_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)PORTAL_CONN_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, p,
	    MHD_OPTION_END);
	freeaddrinfo(ai);
	if (p->mhd == NULL) {
		snprintf(err, errlen, "portal cannot listen on %s port %u", pc->listen_host,
		    pc->listen_port);
		return -MG_EIO;
	}
	return 0;
}

static void
resources_close(struct portal *p)
{
	if (p->mhd != NULL)
		MHD_stop_daemon(p->mhd);
	p->mhd = NULL;
	if (p->store != NULL)
		p->store = store_close(p->store);
	if (p->spool != NULL)
		p->spool = spool_close(p->spool);
}

/* Key, url, store, spool and listener of p->conf. */
static int
resources_open(struct portal *p, char *err, size_t errlen)
{
	const struct mg_conf *c = p->conf;
	char keyfile[4096];
	int rc;

	if (conf_portal_url(&c->portal, c->hostname, p->url, sizeof(p->url)) < 0 ||
	    conf_portal_key_file(&c->portal, c->store_path, keyfile, sizeof(keyfile)) < 0 ||
	    conf_quarantine_dir(&c->quarantine, c->store_path, p->qdir, sizeof(p->qdir)) < 0) {
		snprintf(err, errlen, "portal: a path or url is too long");
		return -MG_ELIMIT;
	}
	p->secure = strncmp(p->url, "https://", 8) == 0;
	if ((rc = qtoken_key_load(keyfile, p->key)) < 0) {
		snprintf(err, errlen, "portal key %s: %s", keyfile, mg_strerror(rc));
		return rc;
	}
	if ((p->store = store_open(c->store_path, false, err, errlen)) == NULL)
		return -MG_EIO;
	if ((rc = spool_open(c->spool_dir, &p->spool)) < 0) {
		snprintf(err, errlen, "portal spool %s: %s", c->spool_dir, mg_strerror(rc));
		return rc;
	}
	p->q = (struct quarantine){ .dir = p->qdir, .store = p->store, .spool = p->spool };
	return mhd_start(p, err, errlen);
}

struct portal *
portal_start(struct mg_conf *conf, portal_notify_fn notify, char *err, size_t errlen)
{
	struct portal *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		snprintf(err, errlen, "portal: out of memory");
		conf_free(conf);
		return NULL;
	}
	p->conf = conf;
	p->notify = notify;
	if (resources_open(p, err, errlen) < 0)
		return portal_stop(p);
	log_info("portal start listen=%s:%u url=%s", conf->portal.listen_host,
	    conf->portal.listen_port, p->url);
	return p;
}

int
portal_reload(struct portal *p, struct mg_conf *conf, char *err, size_t errlen)
{
	struct mg_conf *old = p->conf;
	char olderr[256];

	resources_close(p);
	p->conf = conf;
	if (resources_open(p, err, errlen) == 0) {
		conf_free(old);
		return 0;
	}
	resources_close(p);
	p->conf = old;
	conf_free(conf);
	if (resources_open(p, olderr, sizeof(olderr)) < 0)
		log_err("portal reload old_settings=failed error=\"%s\"", olderr);
	return -MG_EINVAL;
}

struct portal *
portal_stop(struct portal *p)
{
	if (p == NULL)
		return NULL;
	resources_close(p);
	conf_free(p->conf);
	OPENSSL_cleanse(p->key, sizeof(p->key));
	free(p);
	return NULL;
}
