/* UNIX stream sockets between mailgate processes, in <spool>/run/. */
#ifndef MG_DAEMON_UNIX_SOCKET_H
#define MG_DAEMON_UNIX_SOCKET_H

/* Removes a stale socket file, binds, sets mode 0660 and listens; returns
 * a non-blocking close-on-exec fd or a negative MG_E* (logged). */
int	unix_listen(const char *path);
/* Connects (blocking connect, then non-blocking fd); fd or negative MG_E*. */
int	unix_connect(const char *path);

#endif
