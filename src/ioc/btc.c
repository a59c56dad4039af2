/* btc.c — Bitcoin addresses: legacy base58 (P2PKH "1...", P2SH "3...") and
 * segwit bech32 / bech32m ("bc1..."). Bech32's checksum is verified (BIP 173,
 * BIP 350), so a mistyped segwit address is refused. The base58 checksum is
 * not: it needs SHA-256, which this layer does not link; such addresses are
 * checked only for their prefix, length and alphabet.
 */
#include "ioc_int.h"

#include <string.h>

static const char B58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char B32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

#define BECH32_CONST 1u
#define BECH32M_CONST 0x2bc830a3u

static uint32_t polymod_step(uint32_t chk, unsigned v)
{
    static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t b = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; i++)
        if ((b >> i) & 1)
            chk ^= gen[i];
    return chk;
}

/* s is lower case "bc1" + data; true when the checksum and the witness
 * version / program length agree. */
static bool segwit_ok(const char *s, size_t n)
{
    uint32_t chk = 1;
    static const char hrp[] = "bc";
    for (size_t i = 0; i < 2; i++)
        chk = polymod_step(chk, (unsigned)hrp[i] >> 5);
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < 2; i++)
        chk = polymod_step(chk, (unsigned)hrp[i] & 31);
    size_t dn = n - 3;
    unsigned version = 0;
    for (size_t i = 0; i < dn; i++) {
        const char *p = strchr(B32, s[3 + i]);
        if (!p || !s[3 + i])
            return false;
        unsigned v = (unsigned)(p - B32);
        if (i == 0)
            version = v;
        chk = polymod_step(chk, v);
    }
    if (dn < 7 || version > 16)
        return false;
    size_t prog_bytes = (dn - 7) * 5 / 8;
    if (prog_bytes < 2 || prog_bytes > 40)
        return false;
    if (version == 0)
        return chk == BECH32_CONST && (prog_bytes == 20 || prog_bytes == 32);
    return chk == BECH32M_CONST;
}

int kz_ioc__norm_btc(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    if (n >= 3 && kz_ioc__lower(s[0]) == 'b' && kz_ioc__lower(s[1]) == 'c' && s[2] == '1') {
        /* bech32 is one case throughout; the canonical one is lower */
        bool upper = false, lower = false;
        char tmp[90];
        if (n < 14 || n > 74)
            return kz_ioc__fail(c, "is not a Bitcoin address: a bech32 address has 14 to 74 "
                                   "characters");
        for (size_t i = 0; i < n; i++) {
            if (s[i] >= 'A' && s[i] <= 'Z')
                upper = true;
            else if (s[i] >= 'a' && s[i] <= 'z')
                lower = true;
            tmp[i] = kz_ioc__lower(s[i]);
        }
        if (upper && lower)
            return kz_ioc__fail(c, "is not a Bitcoin address: a bech32 address may not mix "
                                   "upper and lower case");
        if (!segwit_ok(tmp, n))
            return kz_ioc__fail(c, "is not a Bitcoin address: bad bech32 characters or "
                                   "checksum");
        return kz_buf_append(out, tmp, n);
    }
    if (n < 25 || n > 34 || (s[0] != '1' && s[0] != '3'))
        return kz_ioc__fail(c, "is not a Bitcoin address ('1...' or '3...' of 25 to 34 "
                               "characters, or 'bc1...')");
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(B58, s[i]))
            return kz_ioc__fail(c, "is not a Bitcoin address: '%c' is not a base58 character",
                                (unsigned char)s[i] < 0x80 ? s[i] : '?');
    return kz_buf_append(out, s, n);
}
