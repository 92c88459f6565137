/* Archive password candidates from a message's own text: the token after
 * "password:", "Kennwort ist", "пароль:", "密码：" and the like in the
 * Subject, text/plain and visible HTML, tried on encrypted archives (the
 * malware lure that ships the password beside the archive). */
#ifndef MG_MIME_PASSWORDS_H
#define MG_MIME_PASSWORDS_H

#include <stddef.h>

#include "core/arena.h"

#define PASSWORDS_MAX		8		/* candidates kept per message */
#define PASSWORD_LEN_MAX	64		/* bytes of one candidate */
#define PASSWORDS_TEXT_MAX	(1u << 20)	/* bytes of one text searched */

struct mime_passwords {
	const char	*v[PASSWORDS_MAX];	/* UTF-8, NUL-terminated (arena) */
	size_t		 n;
};

/* Adds the candidates found in text[0..len) (UTF-8, not NUL-terminated)
 * to set, without duplicates, until it holds PASSWORDS_MAX; 0, or
 * -MG_ENOMEM when the arena is exhausted. */
int	passwords_from_text(struct mime_passwords *, struct mg_arena *, const char *text,
	    size_t len);

#endif
