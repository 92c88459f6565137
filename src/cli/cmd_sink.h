/* mailgate sink: an SMTP receiver that stores every message it is given in
 * a Maildir; the protected mail server of `make run` and a test peer. */
#ifndef MG_CLI_CMD_SINK_H
#define MG_CLI_CMD_SINK_H

/* mailgate sink [--listen HOST:PORT] [--maildir DIR] [--tls-cert F
 * --tls-key F]; argv[0] is "sink". Runs until SIGINT/SIGTERM; returns the
 * exit status. */
int	cmd_sink(int argc, char **argv);

#endif
