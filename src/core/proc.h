/* Process helpers for mailgated: privilege drop, daemonising, resource
 * limits and signal plumbing. */
#ifndef MG_CORE_PROC_H
#define MG_CORE_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* Looks up user; 0 with uid/gid, or -MG_ENOENT. */
int	proc_user_ids(const char *user, uid_t *uid, gid_t *gid);
/* Switches to uid/gid for good (groups too); 0 or -MG_EIO. */
int	proc_drop_privileges(const char *user, uid_t uid, gid_t gid);
/* Detaches from the terminal: fork, setsid, stdio to /dev/null. */
int	proc_daemonize(void);
/* Raises the open-file limit to want (or the hard limit when lower). */
void	proc_raise_nofile(unsigned long want);
/* Dies with SIGKILL when the parent dies (children never outlive the
 * master); call after proc_drop_privileges, which clears the setting. */
void	proc_die_with_parent(pid_t parent);
/* Restores default dispositions and an empty mask after fork. */
void	proc_reset_signals(void);

#endif
