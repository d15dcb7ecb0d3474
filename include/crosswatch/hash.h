/* crosswatch — SHA-256 (through OpenSSL's libcrypto) for evidence files and the event chain. */
#ifndef CROSSWATCH_HASH_H
#define CROSSWATCH_HASH_H

#include <stddef.h>

#define CW_SHA256_HEX 65 /* 64 hex digits and the terminating zero */

/* The SHA-256 of @len bytes at @data, as lower-case hex, into @hex. */
void cw_sha256_hex(const void *data, size_t len, char hex[CW_SHA256_HEX]);

/* The SHA-256 of the file at @path into @hex. Returns 0, or CW_ENOENT / CW_EIO (not logged: the
 * caller says what the file was for). */
int cw_sha256_file(const char *path, char hex[CW_SHA256_HEX]);

#endif
