/* misp_value.c — a stored value in MISP's spelling. kizuna keeps one
 * canonical text per value ("1.2.3.4:80" for ip|port, "[2001:db8::1]:443"
 * for IPv6); MISP separates composite parts with '|' ("1.2.3.4|80",
 * "2001:db8::1|443"). A value imported from MISP whose canonical form would
 * not be written back identically is kept as MISP wrote it (kz_misp_attr
 * .value) and that text wins.
 */
#include "misp_int.h"

#include <string.h>

int kz_misp_value_out(const kz_indicator *ind, const struct kz_misp_attr *ma, kz_buf *out)
{
    kz_buf_reset(out);
    if (ma && ma->value)
        return kz_buf_puts(out, ma->value);
    const char *v = ind->value ? ind->value : "";
    if (ind->type == KZ_IOC_IP_PORT) {
        const char *colon = strrchr(v, ':');
        if (colon) {
            const char *h = v;
            size_t hn = (size_t)(colon - v);
            if (hn >= 2 && h[0] == '[' && h[hn - 1] == ']') {
                h++;
                hn -= 2;
            }
            if (kz_buf_append(out, h, hn) < 0 || kz_buf_putc(out, '|') < 0)
                return KZ_E_NOMEM;
            return kz_buf_puts(out, colon + 1);
        }
    }
    return kz_buf_puts(out, v);
}
