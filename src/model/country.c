/* country.c — ISO 3166-1 alpha-2: orgs carry a country, and search filters on
 * it, so only officially assigned codes are accepted (no "UK", no "EU"). */
#include "model.h"

#include <string.h>

/* The 249 officially assigned codes, sorted, two letters each. */
static const char codes[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZ"
    "BABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ"
    "CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZ"
    "DEDJDKDMDODZ"
    "ECEEEGEHERESET"
    "FIFJFKFMFOFR"
    "GAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGY"
    "HKHMHNHRHTHU"
    "IDIEILIMINIOIQIRISIT"
    "JEJMJOJP"
    "KEKGKHKIKMKNKPKRKWKYKZ"
    "LALBLCLILKLRLSLTLULVLY"
    "MAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZ"
    "NANCNENFNGNINLNONPNRNUNZ"
    "OM"
    "PAPEPFPGPHPKPLPMPNPRPSPTPWPY"
    "QA"
    "RERORSRURW"
    "SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZ"
    "TCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZ"
    "UAUGUMUSUYUZ"
    "VAVCVEVGVIVNVU"
    "WFWS"
    "YEYT"
    "ZAZMZW";

bool kz_country_normalize(const char *s, char out[3])
{
    if (!s || !s[0] || !s[1] || s[2])
        return false;
    char up[2];
    for (int i = 0; i < 2; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return false;
        up[i] = c;
    }
    size_t lo = 0, hi = (sizeof codes - 1) / 2;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = memcmp(up, codes + 2 * mid, 2);
        if (cmp == 0) {
            out[0] = up[0];
            out[1] = up[1];
            out[2] = '\0';
            return true;
        }
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}
