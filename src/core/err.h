/* Error codes shared by every module: functions return 0 or a negative
 * MG_E* value; mg_strerror() names it for logs and replies. */
#ifndef MG_CORE_ERR_H
#define MG_CORE_ERR_H

enum mg_err {
	MG_OK = 0,
	MG_ENOMEM,	/* allocation failed */
	MG_ELIMIT,	/* a configured or built-in ceiling was reached */
	MG_EPROTO,	/* input does not follow the protocol or format */
	MG_EIO,		/* system call failed; errno tells more */
	MG_EAGAIN,	/* need more input / try again */
	MG_ETIMEOUT,	/* deadline passed */
	MG_ENOENT,	/* no such object */
	MG_EINVAL,	/* invalid argument or configuration value */
	MG_EEXIST,	/* object already exists */
	MG_ERR_MAX
};

const char *mg_strerror(int err);

/* A broken invariant is a bug: log where and abort. */
#define MG_BUG_ON(cond) do { if (cond) mg_bug(__FILE__, __LINE__, #cond); } while (0)
_Noreturn void mg_bug(const char *file, int line, const char *what);

#endif
