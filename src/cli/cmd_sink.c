/* mailgate sink: the smtp_server engine with a Maildir backend. Every
 * recipient is accepted; each message (the bytes received, after
 * dot-unstuffing) becomes one file written in tmp/, fsync'ed, renamed into
 * new/ and the directory fsync'ed before the 250. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "cli/cmd_sink.h"
#include "core/log.h"
#include "net/tls.h"
#include "smtp/smtp_server.h"

#define SINK_LISTEN	"127.0.0.1:2526"
#define SINK_MAILDIR	"var/sink"
#define SINK_DIR_MODE	0750
#define SINK_FILE_MODE	0640
#define SINK_DRAIN	5		/* seconds sessions may finish on a signal */

struct sink_session;

struct sink {
	struct event_base *base;
	struct evconnlistener *lev;
	int		 tmp_fd, new_fd;
	char		 host[64];	/* Maildir-safe host name */
	unsigned long	 seq;
	struct conf_limits limits;
	struct smtp_server_cfg cfg;
	LIST_HEAD(, sink_session) sessions;
	bool		 stopping;
};

struct sink_session {
	LIST_ENTRY(sink_session) entry;
	struct sink	*sink;
	struct smtp_session *smtp;
	char		*from;
	unsigned	 nrcpt;
	int		 fd;		/* tmp/name while receiving, else -1 */
	char		 name[128];
};

static void
sink_stop_loop_if_idle(struct sink *k)
{
	if (k->stopping && LIST_EMPTY(&k->sessions))
		event_base_loopexit(k->base, NULL);
}

static const char *
sink_mail(struct smtp_session *smtp, const struct smtp_cmd *cmd)
{
	struct sink_session *ss = smtp_session_udata(smtp);
	char from[256];

	smtp_printable(cmd->path.mailbox, from, sizeof(from));
	if ((ss->from = strdup(from)) == NULL)
		return "451 4.3.0 Out of memory";
	ss->nrcpt = 0;
	return NULL;
}

static const char *
sink_rcpt(struct smtp_session *smtp, const struct smtp_cmd *cmd)
{
	struct sink_session *ss = smtp_session_udata(smtp);

	ss->nrcpt++;
	return NULL;
}

static const char *
sink_data_begin(struct smtp_session *smtp)
{
	struct sink_session *ss = smtp_session_udata(smtp);
	struct sink *k = ss->sink;

	snprintf(ss->name, sizeof(ss->name), "%lld.%d_%lu.%s", (long long)time(NULL),
	    (int)getpid(), ++k->seq, k->host);
	ss->fd = openat(k->tmp_fd, ss->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    SINK_FILE_MODE);
	if (ss->fd == -1) {
		log_syserr("sink create file=tmp/%s", ss->name);
		return "451 4.3.0 Cannot store the message";
	}
	return NULL;
}

static int
sink_data_chunk(struct smtp_session *smtp, const uint8_t *p, size_t len)
{
	struct sink_session *ss = smtp_session_udata(smtp);
	ssize_t n;

	while (len > 0) {
		if ((n = write(ss->fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			log_syserr("sink write file=tmp/%s", ss->name);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Drops a message being received. */
static void
sink_reset(struct smtp_session *smtp)
{
	struct sink_session *ss = smtp_session_udata(smtp);

	if (ss->fd != -1) {
		close(ss->fd);
		ss->fd = -1;
		unlinkat(ss->sink->tmp_fd, ss->name, 0);
	}
	free(ss->from);
	ss->from = NULL;
}

static void
sink_data_end(struct smtp_session *smtp, uint64_t size, unsigned flags)
{
	struct sink_session *ss = smtp_session_udata(smtp);
	struct sink *k = ss->sink;
	int rc = fsync(ss->fd);

	if (close(ss->fd) == -1)
		rc = -1;
	ss->fd = -1;
	if (rc == 0 && renameat(k->tmp_fd, ss->name, k->new_fd, ss->name) == -1)
		rc = -1;
	if (rc == 0 && fsync(k->new_fd) == -1)
		rc = -1;
	if (rc == -1) {
		log_syserr("sink store file=%s", ss->name);
		unlinkat(k->tmp_fd, ss->name, 0);
	} else {
		log_info("%016" PRIx64 " sink stored file=new/%s from=<%s> nrcpt=%u"
		    " size=%" PRIu64, smtp_session_info(smtp)->id, ss->name, ss->from,
		    ss->nrcpt, size);
	}
	free(ss->from);
	ss->from = NULL;
	if (rc == -1)
		smtp_session_reply(smtp, "451 4.3.0 Cannot store the message");
	else
		smtp_session_reply(smtp, "250 2.0.0 Ok: stored as %s", ss->name);
}

static void
sink_close(struct smtp_session *smtp)
{
	struct sink_session *ss = smtp_session_udata(smtp);
	struct sink *k = ss->sink;

	LIST_REMOVE(ss, entry);
	free(ss);
	sink_stop_loop_if_idle(k);
}

static const struct smtp_server_ops sink_ops = {
	.on_mail = sink_mail,
	.on_rcpt = sink_rcpt,
	.on_data_begin = sink_data_begin,
	.on_data_chunk = sink_data_chunk,
	.on_data_end = sink_data_end,
	.on_reset = sink_reset,
	.on_close = sink_close,
};

static void
sink_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct sink *k = arg;
	struct sink_session *ss;

	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		close(fd);
		return;
	}
	ss->sink = k;
	ss->fd = -1;
	LIST_INSERT_HEAD(&k->sessions, ss, entry);
	ss->smtp = smtp_session_new(k->base, fd, sa, (socklen_t)salen, &k->cfg,
	    &sink_ops, ss);
	if (ss->smtp == NULL) {
		LIST_REMOVE(ss, entry);
		free(ss);
	}
}

static void
sink_force_close(evutil_socket_t fd, short what, void *arg)
{
	struct sink *k = arg;
	struct sink_session *ss, *next;

	for (ss = LIST_FIRST(&k->sessions); ss != NULL; ss = next) {
		next = LIST_NEXT(ss, entry);
		smtp_session_close(ss->smtp, "421 4.3.2 Service shutting down");
	}
}

static void
sink_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sink *k = arg;
	struct sink_session *ss, *next;
	struct timeval tv = { SINK_DRAIN, 0 };

	if (k->stopping)
		return;
	log_info("sink stopping signal=%d", (int)sig);
	k->stopping = true;
	evconnlistener_free(k->lev);
	k->lev = NULL;
	for (ss = LIST_FIRST(&k->sessions); ss != NULL; ss = next) {
		next = LIST_NEXT(ss, entry);
		smtp_session_drain(ss->smtp);
	}
	event_base_once(k->base, -1, EV_TIMEOUT, sink_force_close, k, &tv);
	sink_stop_loop_if_idle(k);
}

/* mkdir -p for dir, then its tmp/, new/ and cur/. */
static int
sink_maildir(struct sink *k, const char *dir)
{
	char path[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path) - 8)
		return -1;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(path, SINK_DIR_MODE) == -1 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(path, SINK_DIR_MODE) == -1 && errno != EEXIST)
		return -1;
	for (const char *const *sub = (const char *const[]){ "tmp", "new", "cur", NULL };
	    *sub != NULL; sub++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *sub);
		if (mkdir(path, SINK_DIR_MODE) == -1 && errno != EEXIST)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/tmp", dir);
	k->tmp_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/new", dir);
	k->new_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return k->tmp_fd == -1 || k->new_fd == -1 ? -1 : 0;
}

static void
sink_defaults(struct sink *k)
{
	k->limits = (struct conf_limits){
		.max_message_size = 256ull * 1024 * 1024,
		.max_line_length = 4096,
		.max_recipients = 10000,
		.max_messages = 1000000,
		.max_commands = 10000000,
		.max_errors = 100,
		.command_timeout = 300,
		.data_timeout = 300,
		.session_timeout = 0,
	};
	if (gethostname(k->host, sizeof(k->host)) == -1)
		snprintf(k->host, sizeof(k->host), "localhost");
	k->host[sizeof(k->host) - 1] = '\0';
	for (char *p = k->host; *p != '\0'; p++)
		if (*p == '/' || *p == ':')
			*p = '_';
	k->cfg.hostname = k->host;
	k->cfg.name = "sink";
	k->cfg.limits = &k->limits;
}

static int
sink_usage(void)
{
	fprintf(stderr, "usage: mailgate sink [--listen HOST:PORT] [--maildir DIR]"
	    " [--tls-cert FILE --tls-key FILE]\n");
	return 2;
}

static int
sink_listen(struct sink *k, const char *addr)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &len) == -1) {
		fprintf(stderr, "mailgate sink: bad address '%s'\n", addr);
		return -1;
	}
	k->lev = evconnlistener_new_bind(k->base, sink_accept, k,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, -1,
	    (struct sockaddr *)&ss, len);
	if (k->lev == NULL) {
		fprintf(stderr, "mailgate sink: cannot listen on %s: %s\n", addr,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Parses the options; 0, or the exit status for a usage error. */
static int
sink_options(int argc, char **argv, const char **listen, const char **maildir,
    const char **cert, const char **key)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "maildir", required_argument, NULL, 'm' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'l': *listen = optarg; break;
		case 'm': *maildir = optarg; break;
		case 'c': *cert = optarg; break;
		case 'k': *key = optarg; break;
		default: return sink_usage();
		}
	}
	if (optind != argc || (*cert == NULL) != (*key == NULL))
		return sink_usage();
	return 0;
}

int
cmd_sink(int argc, char **argv)
{
	const char *listen = SINK_LISTEN, *maildir = SINK_MAILDIR, *cert = NULL, *key = NULL;
	struct event *sigs[2] = { NULL, NULL };
	struct sink k = { .tmp_fd = -1, .new_fd = -1 };
	char err[512];
	int rc = 1;

	if ((rc = sink_options(argc, argv, &listen, &maildir, &cert, &key)) != 0)
		return rc;
	rc = 1;
	log_init("sink", true, LOG_LVL_INFO);
	signal(SIGPIPE, SIG_IGN);
	sink_defaults(&k);
	LIST_INIT(&k.sessions);
	if (sink_maildir(&k, maildir) == -1) {
		fprintf(stderr, "mailgate sink: cannot use Maildir %s: %s\n", maildir,
		    strerror(errno));
		goto out;
	}
	if (cert != NULL && (k.cfg.tls = tls_server_ctx(cert, key, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate sink: %s\n", err);
		goto out;
	}
	if ((k.base = event_base_new()) == NULL || sink_listen(&k, listen) == -1)
		goto out;
	sigs[0] = evsignal_new(k.base, SIGINT, sink_signal, &k);
	sigs[1] = evsignal_new(k.base, SIGTERM, sink_signal, &k);
	if (sigs[0] == NULL || sigs[1] == NULL || event_add(sigs[0], NULL) == -1 ||
	    event_add(sigs[1], NULL) == -1)
		goto out;
	log_info("sink listening address=%s maildir=%s tls=%s", listen, maildir,
	    k.cfg.tls != NULL ? "starttls" : "none");
	rc = event_base_dispatch(k.base) == -1 ? 1 : 0;
	log_info("sink stopped");
out:
	for (int i = 0; i < 2; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	if (k.lev != NULL)
		evconnlistener_free(k.lev);
	if (k.base != NULL)
		event_base_free(k.base);
	SSL_CTX_free(k.cfg.tls);
	if (k.tmp_fd != -1)
		close(k.tmp_fd);
	if (k.new_fd != -1)
		close(k.new_fd);
	return rc;
}
