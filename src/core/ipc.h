/* Length-prefixed typed frames between mailgate processes over UNIX
 * sockets. A frame is: u32 payload length (big-endian), u16 type, u16 zero,
 * payload. Payload fields are u8/u32/u64 (big-endian) and strings (u32
 * length + bytes). A frame that does not decode exactly is a bug in the
 * peer: readers report -MG_EPROTO and the caller closes the connection. */
#ifndef MG_CORE_IPC_H
#define MG_CORE_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define IPC_HEADER_LEN	8
#define IPC_MAX_PAYLOAD	(4u * 1024 * 1024)

/* Writing: begin, put fields, end (fills in the length). */
int	ipc_frame_begin(struct mg_buf *, uint16_t type, size_t *start);
int	ipc_frame_end(struct mg_buf *, size_t start);
int	ipc_put_u8(struct mg_buf *, uint8_t);
int	ipc_put_u32(struct mg_buf *, uint32_t);
int	ipc_put_u64(struct mg_buf *, uint64_t);
int	ipc_put_str(struct mg_buf *, const void *, size_t);
int	ipc_put_cstr(struct mg_buf *, const char *);	/* NULL as "" */

/* Framing: is a whole frame at data? 0 with type and total length,
 * -MG_EAGAIN when more bytes are needed, -MG_EPROTO when the header is
 * invalid or the payload exceeds IPC_MAX_PAYLOAD. */
int	ipc_frame_peek(const uint8_t *data, size_t len, uint16_t *type, size_t *frame_len);

/* Reading one payload. After a failed get, every later get fails too and
 * ipc_reader_end reports the error. */
struct ipc_reader {
	const uint8_t	*p;
	size_t		 len, off;
	bool		 bad;
};

void	ipc_reader_init(struct ipc_reader *, const uint8_t *frame, size_t frame_len);
uint8_t	 ipc_get_u8(struct ipc_reader *);
uint32_t ipc_get_u32(struct ipc_reader *);
uint64_t ipc_get_u64(struct ipc_reader *);
struct mg_slice ipc_get_str(struct ipc_reader *, size_t max);
/* Copies a string field into a new NUL-terminated heap string (NULL on
 * error; marks the reader bad). Refuses embedded NUL bytes. */
char	*ipc_get_strdup(struct ipc_reader *, size_t max);
/* 0 when the payload was consumed exactly without error, else -MG_EPROTO. */
int	ipc_reader_end(struct ipc_reader *);

#endif
