/* SHA-256 through OpenSSL's EVP interface. */
#include "crosswatch/hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>

#include "crosswatch/error.h"

static void to_hex(const unsigned char *md, unsigned n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * n] = 0;
}

void cw_sha256_hex(const void *data, size_t len, char hex[CW_SHA256_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    to_hex(md, n, hex);
}

int cw_sha256_file(const char *path, char hex[CW_SHA256_HEX])
{
    unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    size_t got;
    int err = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? CW_ENOENT : CW_EIO;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
        err = CW_ENOMEM;
    while (!err && (got = fread(buf, 1, sizeof(buf), f)) > 0)
        if (!EVP_DigestUpdate(ctx, buf, got))
            err = CW_EIO;
    if (!err && ferror(f))
        err = CW_EIO;
    if (!err && !EVP_DigestFinal_ex(ctx, md, &n))
        err = CW_EIO;
    EVP_MD_CTX_free(ctx);
    fclose(f);
    if (!err)
        to_hex(md, n, hex);
    return err;
}
