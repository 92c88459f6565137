/* Process helpers (see proc.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/proc.h"

int
proc_user_ids(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL)
		return -MG_ENOENT;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
proc_drop_privileges(const char *user, uid_t uid, gid_t gid)
{
	if (initgroups(user, gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		log_syserr("proc drop_privileges user=%s", user);
		return -MG_EIO;
	}
	return 0;
}

int
proc_daemonize(void)
{
	int fd;

	switch (fork()) {
	case -1:
		log_syserr("proc fork");
		return -MG_EIO;
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		return -MG_EIO;
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		return -MG_EIO;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return chdir("/") == -1 ? -MG_EIO : 0;
}

void
proc_raise_nofile(unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_max < want && geteuid() == 0)
		rl.rlim_max = want;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_syswarn("proc setrlimit nofile=%lu", want);
}

void
proc_die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

void
proc_reset_signals(void)
{
	sigset_t none;
	struct sigaction sa = { .sa_handler = SIG_DFL };

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
