/* OpenSSL contexts for the SMTP server (STARTTLS offered to clients) and
 * the delivery client. TLS 1.2 is the minimum both ways. */
#ifndef MG_NET_TLS_H
#define MG_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/ssl.h>

/* Server context from PEM certificate chain and key; NULL with err set. */
SSL_CTX	*tls_server_ctx(const char *cert, const char *key, char *err, size_t errlen);
/* Client context; verify: check the peer against ca_file (NULL = system
 * store) and the host name given to tls_client_ssl. */
SSL_CTX	*tls_client_ctx(bool verify, const char *ca_file, char *err, size_t errlen);
/* A client SSL for one connection with SNI (and, with verify, host name
 * checking) set to host. */
SSL	*tls_client_ssl(SSL_CTX *, const char *host);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" for logs and Received headers. */
void	 tls_describe(SSL *, char *out, size_t outlen);

#endif
