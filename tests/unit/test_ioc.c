/* test_ioc.c — layer 1: every indicator type normalised from the forms
 * analysts paste (defanged, upper case, IDN, non-canonical IPs) to one exact
 * text, and every malformed value refused with KZ_E_VALUE and a message that
 * quotes it. Also type names, MISP mapping, guessing, addresses, CIDR ranges,
 * domain helpers, and the real MISP events in shared/data.
 */
#include "kz_test.h"

#include "ioc/ioc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *type, *in, *out;
} ok_case;

typedef struct {
    const char *type, *in, *frag;
} bad_case;

static const ok_case ok_cases[] = {
    /* ipv4 */
    {"ipv4", "1.2.3.4", "1.2.3.4"},
    {"ipv4", "  8.8.8.8 \n", "8.8.8.8"},
    {"ipv4", "1.2.3[.]4", "1.2.3.4"},
    {"ipv4", "10(.)0{.}0[dot]1", "10.0.0.1"},
    {"ipv4", "0.0.0.0", "0.0.0.0"},
    {"ipv4", "255.255.255.255", "255.255.255.255"},
    {"ipv4", "\xc2\xa0" "192.0.2.1\xe2\x80\x8b", "192.0.2.1"}, /* NBSP, ZWSP */
    /* ipv6 */
    {"ipv6", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
    {"ipv6", "2001:DB8::1", "2001:db8::1"},
    {"ipv6", "[2001:db8::1]", "2001:db8::1"},
    {"ipv6", "::1", "::1"},
    {"ipv6", "::", "::"},
    {"ipv6", "1::", "1::"},
    {"ipv6", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},  /* first of equal runs */
    {"ipv6", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* one zero group stays */
    {"ipv6", "1:0:0:2:0:0:0:3", "1:0:0:2::3"},              /* the longest run */
    {"ipv6", "fe80:0000::0001:0002", "fe80::1:2"},
    {"ipv6", "::ffff:1.2.3.4", "::ffff:1.2.3.4"},
    {"ipv6", "::FFFF:0102:0304", "::ffff:1.2.3.4"},
    {"ipv6", "::1.2.3.4", "::102:304"},
    {"ipv6", "2001:db8::a:B:c:D", "2001:db8::a:b:c:d"},
    /* cidr */
    {"cidr", "10.1.2.3/8", "10.0.0.0/8"},
    {"cidr", "192.168.1.77/24", "192.168.1.0/24"},
    {"cidr", "10.1.2.3/31", "10.1.2.2/31"},
    {"cidr", "0.0.0.0/0", "0.0.0.0/0"},
    {"cidr", "8.8.8.8/0", "0.0.0.0/0"},
    {"cidr", "1.2.3.4", "1.2.3.4/32"},
    {"cidr", "1.2.3[.]0/24", "1.2.3.0/24"},
    {"cidr", "2001:db8::1/32", "2001:db8::/32"},
    {"cidr", "2001:db8:abcd:1234::/50", "2001:db8:abcd::/50"},
    {"cidr", "2001:db8:abcd:c234::/50", "2001:db8:abcd:c000::/50"},
    {"cidr", "2001:DB8::1", "2001:db8::1/128"},
    {"cidr", "::/0", "::/0"},
    /* domain */
    {"domain", "Example.COM", "example.com"},
    {"domain", "example.com.", "example.com"},
    {"domain", "evil[.]com", "evil.com"},
    {"domain", "a(.)b{.}c[dot]com", "a.b.c.com"},
    {"domain", "_dmarc.example.com", "_dmarc.example.com"},
    {"domain", "foo.co.uk", "foo.co.uk"},
    {"domain", "www.ck", "www.ck"},                 /* "!www.ck" exception rule */
    {"domain", "city.kawasaki.jp", "city.kawasaki.jp"},
    {"domain", "blogspot.com", "blogspot.com"},     /* private section: still a domain */
    {"domain", "ab--cd.example", "ab--cd.example"},
    {"domain", "b\xc3\xbc" "cher.example", "xn--bcher-kva.example"},
    {"domain", "bu\xcc\x88" "cher.example", "xn--bcher-kva.example"}, /* NFD in, NFC out */
    {"domain", "B\xc3\x9c" "CHER.example", "xn--bcher-kva.example"},
    {"domain", "\xef\xbc\xa5\xef\xbc\xb8\xef\xbc\xa1\xef\xbc\xad\xef\xbc\xb0\xef\xbc\xac\xef\xbc\xa5.com",
     "example.com"}, /* fullwidth ＥＸＡＭＰＬＥ */
    {"domain", "Stra\xc3\x9f" "e.de", "xn--strae-oqa.de"}, /* non-transitional: ß kept */
    {"domain", "exa\xe3\x80\x82" "com", "exa.com"},           /* ideographic full stop */
    {"domain", "XN--BCHER-KVA.example", "xn--bcher-kva.example"},
    {"domain", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84", "xn--e1afmkfd.xn--p1ai"},
    {"domain", "  gugehotel.cn\t", "gugehotel.cn"},
    /* hostname */
    {"hostname", "WWW.Example.com", "www.example.com"},
    {"hostname", "akm.epac.to.", "akm.epac.to"},
    {"hostname", "b\xc3\xbc" "cher.example", "xn--bcher-kva.example"},
    /* url */
    {"url", "HTTP://Example.COM:80/%7euser/a%2fb", "http://example.com/~user/a%2Fb"},
    {"url", "hxxp://evil[.]com/x", "http://evil.com/x"},
    {"url", "hXXps://evil[.]com[/]x", "https://evil.com/x"},
    {"url", "hxxps[://]evil[.]com/a", "https://evil.com/a"},
    {"url", "fxp://files.example.org/pub", "ftp://files.example.org/pub"},
    {"url", "https://example.com:443", "https://example.com/"},
    {"url", "https://example.com:8443/a?b=c#Frag", "https://example.com:8443/a?b=c#Frag"},
    {"url", "ftp://files.example.org:21/pub", "ftp://files.example.org/pub"},
    {"url", "http://example.com:0080/", "http://example.com/"},
    {"url", "http://example.com:/", "http://example.com/"},
    {"url", "https://example.com:80/", "https://example.com:80/"},
    {"url", "evil.com/path", "http://evil.com/path"},
    {"url", "www.whitewall.top", "http://www.whitewall.top/"},
    {"url", "www.kcico.com.tw/data/openwebmail/doc/wthk.txt",
     "http://www.kcico.com.tw/data/openwebmail/doc/wthk.txt"},
    {"url", "http://198.55.120.143:7386/B/ResN32.dll", "http://198.55.120.143:7386/B/ResN32.dll"},
    {"url", "http://1.2.3.4:8080", "http://1.2.3.4:8080/"},
    {"url", "http://[2001:0DB8::0001]:8080/x", "http://[2001:db8::1]:8080/x"},
    {"url", "http://[::ffff:1.2.3.4]/", "http://[::ffff:1.2.3.4]/"},
    {"url", "http://user:Pa%73s@Example.com/", "http://user:Pass@example.com/"},
    {"url", "http://example.com?x=1", "http://example.com/?x=1"},
    {"url", "http://example.com#top", "http://example.com/#top"},
    {"url", "http://EXAMPLE.com./a", "http://example.com/a"},
    {"url", "http://localhost/admin", "http://localhost/admin"},
    {"url", "SVN+SSH://Host.Example.com/repo", "svn+ssh://host.example.com/repo"},
    {"url", "http://example.com/a%zz%4", "http://example.com/a%zz%4"},
    {"url", "http://example.com/%41%2f%3a%7E%2D", "http://example.com/A%2F%3A~-"},
    {"url", "http://example.com/a b?q=x y", "http://example.com/a%20b?q=x%20y"},
    {"url", "http://b\xc3\xbc" "cher.example/\xc3\xbc?q=\xc3\xa4#f\xc3\xbc",
     "http://xn--bcher-kva.example/%C3%BC?q=%C3%A4#f\xc3\xbc"},
    {"url", "http://example.com/%c3%bc", "http://example.com/%C3%BC"},
    {"url", "https://vvrhhhnaijyj6s2m.onion.top", "https://vvrhhhnaijyj6s2m.onion.top/"},
    /* email */
    {"email", "User.Name+tag@Example.COM", "User.Name+tag@example.com"},
    {"email", "user[@]example[.]com", "user@example.com"},
    {"email", "user(at)example(.)org", "user@example.org"},
    {"email", "info[at]b\xc3\xbc" "cher.example", "info@xn--bcher-kva.example"},
    {"email", "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc@example.jp",
     "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc@example.jp"},
    {"email", "bill_clay6801@yahoo.com", "bill_clay6801@yahoo.com"},
    {"email", "a@b.co.uk.", "a@b.co.uk"},
    /* hashes */
    {"md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
    {"md5", " 76bd79f774ae892fd6a30b6463050a91 ", "76bd79f774ae892fd6a30b6463050a91"},
    {"sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {"sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"sha512",
     "CF83E1357EEFB8BDF1542850D66D8007D620E4050B5715DC83F4A921D36CE9CE47D0D13C5D85F2B0FF8318D2877EEC2F63B931BD47417A81A538327AF927DA3E",
     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
    /* filename|hash */
    {"filename|hash", "Evil.EXE|D41D8CD98F00B204E9800998ECF8427E", "Evil.EXE|d41d8cd98f00b204e9800998ecf8427e"},
    {"filename|hash", "brochure .doc|835fee42132feebe9b3231297e5e71a8", "brochure .doc|835fee42132feebe9b3231297e5e71a8"},
    {"filename|hash", "a|b.txt|da39a3ee5e6b4b0d3255bfef95601890afd80709", "a|b.txt|da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {"filename|hash", "IEChecker.exe | 7A200C4DF99887991C638FE625D07A4A3FC2BDC887112437752B3DF5C8DA79B6",
     "IEChecker.exe|7a200c4df99887991c638fe625d07a4a3fc2bdc887112437752b3df5c8da79b6"},
    {"filename|hash", "\xe8\x88\x87\xe5\xa4\xa9.doc|835fee42132feebe9b3231297e5e71a8",
     "\xe8\x88\x87\xe5\xa4\xa9.doc|835fee42132feebe9b3231297e5e71a8"},
    /* ip|port */
    {"ip|port", "1.2.3.4:80", "1.2.3.4:80"},
    {"ip|port", "[2001:DB8::1]:443", "[2001:db8::1]:443"},
    {"ip|port", "174.127.99.225|1999", "174.127.99.225:1999"},
    {"ip|port", "2001:db8::1|443", "[2001:db8::1]:443"},
    {"ip|port", "1.2.3[.]4:8080", "1.2.3.4:8080"},
    {"ip|port", "1.2.3.4[:]80", "1.2.3.4:80"},
    {"ip|port", "1.2.3.4:08080", "1.2.3.4:8080"},
    {"ip|port", "1.2.3.4:65535", "1.2.3.4:65535"},
    /* domain|ip */
    {"domain|ip", "Example.com|1.2.3.4", "example.com|1.2.3.4"},
    {"domain|ip", "evil[.]com|2001:DB8::1", "evil.com|2001:db8::1"},
    /* asn */
    {"asn", "AS64500", "AS64500"},
    {"asn", "as64500", "AS64500"},
    {"asn", "64500", "AS64500"},
    {"asn", "As1", "AS1"},
    {"asn", "AS4294967295", "AS4294967295"},
    /* cve */
    {"cve", "cve-2024-1234", "CVE-2024-1234"},
    {"cve", "CVE-2021-44228", "CVE-2021-44228"},
    {"cve", "Cve-2014-0160", "CVE-2014-0160"},
    /* btc */
    {"btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
    {"btc", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"},
    {"btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
    {"btc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
    {"btc", "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
     "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"},
    {"btc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"},
    /* free text: trimmed, otherwise as given (no refanging) */
    {"filename", "  ClassLibrary1.dll ", "ClassLibrary1.dll"},
    {"filename", "evil[.]exe", "evil[.]exe"},
    {"filename", "\xe8\x88\x87\xe5\xa4\xa9\xe7\xa9\xba.doc", "\xe8\x88\x87\xe5\xa4\xa9\xe7\xa9\xba.doc"},
    {"user-agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)\t", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"},
    {"mutex", "Global\\MsWinZonesCacheCounterMutexA", "Global\\MsWinZonesCacheCounterMutexA"},
    {"regkey", "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
     "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"},
    {"text", "Key: 85350044,\r\nEncryption rounds:8,\r\nAlgorithm: TEA",
     "Key: 85350044,\r\nEncryption rounds:8,\r\nAlgorithm: TEA"},
    {"text", "hxxp://evil[.]com", "hxxp://evil[.]com"},
    /* MISP names through kz_ioc_type_parse */
    {"ip-dst", "103.240.203.232", "103.240.203.232"},
    {"email-src", "hkhumanrights.asia@gmail.com", "hkhumanrights.asia@gmail.com"},
    {"AS", "as13335", "AS13335"},
    {"vulnerability", "cve-2012-0158", "CVE-2012-0158"},
    {"filename|sha256", "uhfx.dll|A46905252567ED2FE17A407D8AE14036FDE180F0A42756304109F34D1E8AD872",
     "uhfx.dll|a46905252567ed2fe17a407d8ae14036fde180f0a42756304109f34d1e8ad872"},
    {"ip-dst|port", "174.127.99.225|4987", "174.127.99.225:4987"},
    {"uri", "/admin/login.php", "/admin/login.php"},
};

static const bad_case bad_cases[] = {
    /* shared checks */
    {"ipv4", "", "'' is not an IPv4 address: the value is empty"},
    {"domain", " \t\n ", "is not a domain name: the value is empty"},
    {"text", "\xc2\xa0", "is not text: the value is empty"},
    {"text", "bad \xff byte", "'bad ? byte' is not text: it is not valid UTF-8"},
    {"domain", "ex\xc3" "ample.com", "is not valid UTF-8"},
    {"domain", "\xed\xa0\x80.com", "is not valid UTF-8"}, /* a surrogate */
    {"mutex", "a\nb", "is not a mutex name: it contains a control character"},
    {"text", "bell\x07", "contains a control character"},
    {"domain", "exa\tmple.com", "contains a control character"},
    {"domain", "exa mple.com", "'exa mple.com' is not a domain name: it contains a space"},
    {"ipv4", "1.2.3.4 5", "contains a space"},
    /* ipv4 */
    {"ipv4", "300.1.2.3", "'300.1.2.3' is not an IPv4 address"},
    {"ipv4", "010.1.1.1", "'010.1.1.1' is not an IPv4 address: a part with a leading zero"},
    {"ipv4", "1.2.3.04", "leading zero"},
    {"ipv4", "1.2.3", "'1.2.3' is not an IPv4 address"},
    {"ipv4", "1.2.3.4.5", "'1.2.3.4.5' is not an IPv4 address"},
    {"ipv4", "1..2.3", "is not an IPv4 address"},
    {"ipv4", "1.2.3.", "is not an IPv4 address"},
    {"ipv4", "a.b.c.d", "is not an IPv4 address"},
    {"ipv4", "1.2.3.-4", "is not an IPv4 address"},
    {"ipv4", "0x7f.0.0.1", "is not an IPv4 address"},
    {"ipv4", "2130706433", "is not an IPv4 address"},
    {"ipv4", "1.2.3.4/24", "(a network is of type cidr)"},
    {"ipv4", "2001:db8::1", "'2001:db8::1' is not an IPv4 address (it is IPv6)"},
    /* ipv6 */
    {"ipv6", "1.2.3.4", "'1.2.3.4' is not an IPv6 address (it is IPv4)"},
    {"ipv6", "fe80::1%eth0", "'fe80::1%eth0' is not an IPv6 address"},
    {"ipv6", "2001:db8::1::2", "is not an IPv6 address"},
    {"ipv6", "2001:db8:::1", "is not an IPv6 address"},
    {"ipv6", "12345::", "is not an IPv6 address"},
    {"ipv6", "gggg::1", "is not an IPv6 address"},
    {"ipv6", "1:2:3:4:5:6:7:8:9", "is not an IPv6 address"},
    {"ipv6", "::ffff:01.2.3.4", "is not an IPv6 address"},
    {"ipv6", "2001:db8::/32", "(a network is of type cidr)"},
    /* cidr */
    {"cidr", "10.0.0.0/33", "'10.0.0.0/33' is not a CIDR network: the prefix length must be a number from 0 to 32"},
    {"cidr", "2001:db8::/129", "from 0 to 128"},
    {"cidr", "10.0.0.0/", "prefix length"},
    {"cidr", "10.0.0.0/08", "prefix length"},
    {"cidr", "10.0.0.0/-1", "prefix length"},
    {"cidr", "10.0.0.0/8/8", "prefix length"},
    {"cidr", "10.0.0/8", "'10.0.0/8' is not a CIDR network: '10.0.0' is not an IP address"},
    {"cidr", "010.0.0.0/8", "leading zero"},
    {"cidr", "example.com/24", "is not an IP address"},
    /* domain */
    {"domain", "com", "'com' is a public suffix, not a domain"},
    {"domain", "co.uk", "'co.uk' is a public suffix, not a domain"},
    {"domain", "CO.UK.", "'CO.UK.' is a public suffix, not a domain"},
    {"domain", "foo.ck", "is a public suffix"}, /* "*.ck" */
    {"domain", "kawasaki.jp", "is a public suffix"},
    {"domain", "xn--p1ai", "is a public suffix"},
    {"domain", "localhost", "'localhost' is not a domain name: it has only one label"},
    {"domain", "a..b.com", "it has an empty label"},
    {"domain", ".example.com", "it has an empty label"},
    {"domain", "example.com..", "it has an empty label"},
    {"domain", "-a.com", "starts or ends with '-'"},
    {"domain", "a-.com", "starts or ends with '-'"},
    {"domain", "ex*ample.com", "not allowed in a domain name"},
    {"domain", "*.example.com", "not allowed in a domain name"},
    {"domain", "exa%41mple.com", "not allowed in a domain name"},
    {"domain", "user@example.com", "not allowed in a domain name"},
    {"domain", "http://example.com", "not allowed in a domain name"},
    {"domain", "1.2.3.4", "'1.2.3.4' is an IP address, not a domain name"},
    {"domain", "example.123", "has an all-numeric top-level label"},
    {"domain", "1.2.3", "'1.2.3' is not a domain name: it has an all-numeric top-level label"},
    {"domain", "2001:db8::1", "'2001:db8::1' is an IP address, not a domain name"},
    {"domain", "example._com", "has '_' in its top-level label"},
    {"domain", "xn--zz.com", "is not a valid internationalised name"},
    {"domain", "\xf0\x9f\x98\x80.com", "is not a valid internationalised name"}, /* emoji */
    {"domain", "-ab.b\xc3\xbc.de", "is not a valid internationalised name"},
    /* hostname */
    {"hostname", "co.uk", "'co.uk' is a public suffix, not a hostname"},
    {"hostname", "server", "'server' is not a hostname: it has only one label"},
    {"hostname", "10.0.0.1", "'10.0.0.1' is an IP address, not a hostname"},
    /* url */
    {"url", "http://", "is not a URL: it has no host"},
    {"url", "http:///path", "it has no host"},
    {"url", "http://user@/x", "it has no host"},
    {"url", "http://300.1.2.3/", "its host '300.1.2.3' is not an IPv4 address"},
    {"url", "107.183.86", "its host '107.183.86' is not an IPv4 address"},
    {"url", "Data/dtl.dat", "is not a URL: its host has only one label"},
    {"url", "igfxtray", "its host has only one label"},
    {"url", "http://exa_mple.123/", "all-numeric top-level label"},
    {"url", "http://ex%41mple.com/", "its host has a character that is not allowed"},
    {"url", "http://example.com:99999/", "the port must be a number from 0 to 65535"},
    {"url", "http://example.com:8o/", "the port must be a number"},
    {"url", "http://[1.2.3.4]/", "its host '1.2.3.4' is not an IPv6 address"},
    {"url", "http://[2001:db8::1/", "'[' in the host is not closed"},
    {"url", "http://[2001:db8::1]x/", "unexpected text after the IPv6 host"},
    {"url", "1http://x.com/", "the scheme must be letters"},
    {"url", "ht tp://x.com/", "the scheme must be letters"},
    {"url", "user@evil.com/x", "user info needs a scheme"},
    {"url", "http://exa mple.com/", "its host has a character"},
    {"url", "http://\xf0\x9f\x98\x80.com/", "its host is not a valid internationalised name"},
    /* email */
    {"email", "userexample.com", "'userexample.com' is not an e-mail address: the '@' is missing"},
    {"email", "@example.com", "the part before '@' is empty"},
    {"email", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
     "the part before '@' is longer than 64 bytes"},
    {"email", "a@b@example.com", "may not hold '@'"},
    {"email", "user@co.uk", "'user@co.uk' is not an e-mail address: its domain is a public suffix"},
    {"email", "user@localhost", "its domain has only one label"},
    {"email", "user@", "its domain is empty"},
    {"email", "user@[1.2.3.4]", "its domain has a character that is not allowed"},
    /* hashes */
    {"md5", "abc", "'abc' is not an MD5 hash (32 hex digits)"},
    {"md5", "d41d8cd98f00b204e9800998ecf8427g", "is not an MD5 hash (32 hex digits)"},
    {"md5", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "is not an MD5 hash"},
    {"sha1", "d41d8cd98f00b204e9800998ecf8427e", "is not a SHA-1 hash (40 hex digits)"},
    {"sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", "is not a SHA-256 hash (64 hex digits)"},
    {"sha512", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "is not a SHA-512 hash (128 hex digits)"},
    {"md5", "d41d8cd9 8f00b204e9800998ecf8427e", "is not an MD5 hash"},
    /* filename|hash */
    {"filename|hash", "evil.exe", "is not a 'filename|hash' pair: the '|' is missing"},
    {"filename|hash", "|d41d8cd98f00b204e9800998ecf8427e", "the file name is empty"},
    {"filename|hash", "evil.exe|abc", "the hash must be an MD5, SHA-1, SHA-256 or SHA-512"},
    {"filename|hash", "evil.exe|d41d8cd98f00b204e9800998ecf8427", "the hash must be"},
    {"filename|hash", "evil.exe|", "the hash must be"},
    /* ip|port */
    {"ip|port", "1.2.3.4", "'1.2.3.4' is not an 'ip:port' pair: the port is missing"},
    {"ip|port", "1.2.3.4:0", "the port must be a number from 1 to 65535"},
    {"ip|port", "1.2.3.4:65536", "the port must be a number from 1 to 65535"},
    {"ip|port", "1.2.3.4:", "the port must be"},
    {"ip|port", "1.2.3.4:http", "the port must be"},
    {"ip|port", "1.2.3.4:080808", "the port must be"},
    {"ip|port", "2001:db8::1:443", "write an IPv6 address in brackets"},
    {"ip|port", "[1.2.3.4]:80", "brackets are for IPv6 only"},
    {"ip|port", "[2001:db8::1]", "expected '[ipv6]:port'"},
    {"ip|port", "300.1.2.3:80", "'300.1.2.3' is not an IP address"},
    {"ip|port", "example.com:80", "'example.com' is not an IP address"},
    /* domain|ip */
    {"domain|ip", "example.com", "is not a 'domain|ip' pair: the '|' is missing"},
    {"domain|ip", "co.uk|1.2.3.4", "its domain is a public suffix"},
    {"domain|ip", "a..b.com|1.2.3.4", "its domain has an empty label"},
    {"domain|ip", "example.com|300.1.1.1", "'300.1.1.1' is not an IP address"},
    {"domain|ip", "example.com|", "'' is not an IP address"},
    /* asn */
    {"asn", "AS0", "'AS0' is not an AS number (AS1 to AS4294967295)"},
    {"asn", "AS4294967296", "is not an AS number"},
    {"asn", "AS99999999999", "is not an AS number"},
    {"asn", "ASX", "is not an AS number"},
    {"asn", "AS", "is not an AS number"},
    {"asn", "AS-1", "is not an AS number"},
    {"asn", "AS 123", "is not an AS number"},
    {"asn", "ASN123", "is not an AS number"},
    /* cve */
    {"cve", "CVE-24-1234", "'CVE-24-1234' is not a CVE identifier (CVE-YYYY-NNNN)"},
    {"cve", "CVE-2024-123", "is not a CVE identifier"},
    {"cve", "CVE-2024-01234", "has no leading zero"},
    {"cve", "CVE 2024 1234", "is not a CVE identifier"},
    {"cve", "CAN-2024-1234", "is not a CVE identifier"},
    {"cve", "CVE-2024-12a4", "is not a CVE identifier"},
    {"cve", "CVE-2024-", "is not a CVE identifier"},
    /* btc */
    {"btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "bad bech32 characters or checksum"},
    {"btc", "bc1QW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "may not mix upper and lower case"},
    {"btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3b4", "checksum"}, /* 'b' is not in the charset */
    {"btc", "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "checksum"}, /* v1 needs bech32m */
    {"btc", "bc1qshort", "has 14 to 74 characters"},
    {"btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0", "'0' is not a base58 character"},
    {"btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNl", "'l' is not a base58 character"},
    {"btc", "2A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "is not a Bitcoin address"},
    {"btc", "1A1zP1eP5QGefi2DM", "is not a Bitcoin address"},
    /* free text */
    {"filename", "a\x01" "b", "is not a file name: it contains a control character"},
    {"user-agent", "Mozilla\r\n5.0", "is not a user agent: it contains a control character"},
    {"regkey", "HKLM\\Run\x7f", "is not a registry key: it contains a control character"},
};

static void check_ok(const ok_case *c, kz_buf *out)
{
    int t = kz_ioc_type_parse(c->type);
    if (t < 0)
        fail_msg("unknown type name '%s'", c->type);
    kz_err err;
    kz_err_clear(&err);
    int rc = kz_ioc_normalize((kz_ioc_type)t, c->in, strlen(c->in), out, &err);
    if (rc != 0)
        fail_msg("%s '%s': expected '%s', got error %d: %s", c->type, c->in, c->out, rc, err.msg);
    if (strcmp(out->p, c->out) != 0 || out->len != strlen(c->out))
        fail_msg("%s '%s': expected '%s', got '%s'", c->type, c->in, c->out, out->p);
}

static void normalizes_valid_values(void **state)
{
    (void)state;
    kz_buf out;
    kz_buf_init(&out);
    for (size_t i = 0; i < KZ_ARRAY_LEN(ok_cases); i++)
        check_ok(&ok_cases[i], &out);
    kz_buf_free(&out);
}

/* A canonical text is a fixed point: normalising it again changes nothing. */
static void normal_form_is_stable(void **state)
{
    (void)state;
    kz_buf out, again;
    kz_buf_init(&out);
    kz_buf_init(&again);
    for (size_t i = 0; i < KZ_ARRAY_LEN(ok_cases); i++) {
        int t = kz_ioc_type_parse(ok_cases[i].type);
        assert_true(t >= 0);
        assert_int_equal(kz_ioc_normalize((kz_ioc_type)t, ok_cases[i].out, strlen(ok_cases[i].out), &again, NULL), 0);
        if (strcmp(again.p, ok_cases[i].out) != 0)
            fail_msg("%s '%s' renormalised to '%s'", ok_cases[i].type, ok_cases[i].out, again.p);
    }
    kz_buf_free(&out);
    kz_buf_free(&again);
}

static void rejects_invalid_values(void **state)
{
    (void)state;
    kz_buf out;
    kz_buf_init(&out);
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad_cases); i++) {
        const bad_case *c = &bad_cases[i];
        int t = kz_ioc_type_parse(c->type);
        if (t < 0)
            fail_msg("unknown type name '%s'", c->type);
        kz_err err;
        kz_err_clear(&err);
        snprintf(err.field, sizeof err.field, "untouched");
        kz_buf_puts(&out, "stale");
        int rc = kz_ioc_normalize((kz_ioc_type)t, c->in, strlen(c->in), &out, &err);
        if (rc != KZ_E_VALUE)
            fail_msg("%s '%s': expected KZ_E_VALUE, got %d ('%s')", c->type, c->in, rc, out.p ? out.p : "");
        assert_int_equal(err.code, KZ_E_VALUE);
        assert_string_equal(err.field, ""); /* the caller names the field */
        assert_int_equal(out.len, 0);
        if (!strstr(err.msg, c->frag))
            fail_msg("%s '%s': message '%s' lacks '%s'", c->type, c->in, err.msg, c->frag);
    }
    kz_buf_free(&out);
}

static void size_limits(void **state)
{
    (void)state;
    kz_buf out;
    kz_buf_init(&out);
    kz_err err;
    char *big = malloc(8194);
    assert_non_null(big);
    memset(big, 'a', 8193);
    big[8193] = '\0';
    /* 8192 bytes of a name pass, one more does not */
    assert_int_equal(kz_ioc_normalize(KZ_IOC_FILENAME, big, 8192, &out, &err), 0);
    assert_int_equal(out.len, 8192);
    assert_int_equal(kz_ioc_normalize(KZ_IOC_FILENAME, big, 8193, &out, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "is longer than 8192 bytes"));
    /* the quoted value is cut to 64 bytes and marked */
    char expect[128];
    snprintf(expect, sizeof expect, "'%.64s...' is not a file name", big);
    assert_non_null(strstr(err.msg, expect));
    /* free text (MISP "text" attributes: prose, pasted configs) may be up
     * to 64 KiB: 8193 bytes pass, 65536 pass, 65537 do not */
    assert_int_equal(kz_ioc_normalize(KZ_IOC_TEXT, big, 8193, &out, &err), 0);
    assert_int_equal(out.len, 8193);
    char *huge = malloc(65538);
    assert_non_null(huge);
    memset(huge, 'b', 65537);
    huge[65537] = '\0';
    assert_int_equal(kz_ioc_normalize(KZ_IOC_TEXT, huge, 65536, &out, &err), 0);
    assert_int_equal(out.len, 65536);
    assert_int_equal(kz_ioc_normalize(KZ_IOC_TEXT, huge, 65537, &out, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "is not text: it is longer than 65536 bytes"));
    free(huge);
    assert_int_equal(kz_ioc_normalize(KZ_IOC_URL, big, 8193, &out, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "is not a URL: it is longer than 8192 bytes"));
    /* surrounding blanks do not count */
    memcpy(big, "  ", 2);
    big[8192] = ' ';
    assert_int_equal(kz_ioc_normalize(KZ_IOC_MUTEX, big, 8193, &out, &err), 0);
    assert_int_equal(out.len, 8190);

    /* a domain label of 63 bytes and a name of 253 bytes are the limits */
    char name[300];
    memset(name, 'a', 63);
    strcpy(name + 63, ".com");
    assert_int_equal(kz_ioc_normalize(KZ_IOC_DOMAIN, name, strlen(name), &out, &err), 0);
    memset(name, 'a', 64);
    strcpy(name + 64, ".com");
    assert_int_equal(kz_ioc_normalize(KZ_IOC_DOMAIN, name, strlen(name), &out, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "has a label longer than 63 bytes"));
    /* 62 x "abc." + "com" = 251; then grow to 253 and 255 */
    name[0] = '\0';
    for (int i = 0; i < 62; i++)
        strcat(name, "abc.");
    strcat(name, "xyz");
    assert_int_equal(strlen(name), 251);
    assert_int_equal(kz_ioc_normalize(KZ_IOC_DOMAIN, name, strlen(name), &out, &err), 0);
    strcat(name, "de"); /* 253 */
    assert_int_equal(kz_ioc_normalize(KZ_IOC_DOMAIN, name, strlen(name), &out, &err), 0);
    assert_int_equal(out.len, 253);
    strcat(name, "."); /* a trailing dot does not count */
    assert_int_equal(kz_ioc_normalize(KZ_IOC_DOMAIN, name, strlen(name), &out, &err), 0);
    assert_int_equal(out.len, 253);
    strcpy(name + 253, "e");
    assert_int_equal(kz_ioc_normalize(KZ_IOC_DOMAIN, name, strlen(name), &out, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "is longer than 253 bytes"));

    /* NULL input is an empty value; an unknown type is a caller error */
    assert_int_equal(kz_ioc_normalize(KZ_IOC_MD5, NULL, 5, &out, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "the value is empty"));
    assert_int_equal(kz_ioc_normalize((kz_ioc_type)KZ_IOC__COUNT, "x", 1, &out, &err), KZ_E_INVALID);
    /* an embedded NUL is not text */
    assert_int_equal(kz_ioc_normalize(KZ_IOC_TEXT, "a\0b", 3, &out, &err), KZ_E_VALUE);
    /* the length given is honoured, not the terminator */
    assert_int_equal(kz_ioc_normalize(KZ_IOC_IPV4, "1.2.3.4junk", 7, &out, &err), 0);
    assert_string_equal(out.p, "1.2.3.4");
    /* a NULL err is allowed */
    assert_int_equal(kz_ioc_normalize(KZ_IOC_IPV4, "1.2.3", 5, &out, NULL), KZ_E_VALUE);
    free(big);
    kz_buf_free(&out);
}

/* Quoted values in messages are printable UTF-8 even when the input is not. */
static void messages_are_safe_text(void **state)
{
    (void)state;
    kz_buf out;
    kz_buf_init(&out);
    kz_err err;
    const char in[] = "\xe6\x97\xa5\xe6\x9c\xac\xff\x01 text";
    assert_int_equal(kz_ioc_normalize(KZ_IOC_TEXT, in, sizeof in - 1, &out, &err), KZ_E_VALUE);
    assert_true(kz_utf8_valid(err.msg, strlen(err.msg)));
    assert_non_null(strstr(err.msg, "'\xe6\x97\xa5\xe6\x9c\xac?? text'"));
    /* a cut never splits a character: 30 x 3-byte chars = 90 bytes */
    char jp[100] = "";
    for (int i = 0; i < 30; i++)
        strcat(jp, "\xe6\x97\xa5");
    assert_int_equal(kz_ioc_normalize(KZ_IOC_DOMAIN, jp, strlen(jp), &out, &err), KZ_E_VALUE);
    assert_true(kz_utf8_valid(err.msg, strlen(err.msg)));
    char expect[100] = "'";
    for (int i = 0; i < 21; i++) /* 63 bytes fit in 64 */
        strcat(expect, "\xe6\x97\xa5");
    strcat(expect, "...'");
    assert_non_null(strstr(err.msg, expect));
    kz_buf_free(&out);
}

static void type_names_round_trip(void **state)
{
    (void)state;
    static const char *const wire[] = {
        "ipv4", "ipv6", "cidr", "domain", "hostname", "url", "email", "md5", "sha1", "sha256",
        "sha512", "filename", "filename|hash", "ip|port", "domain|ip", "asn", "cve", "btc",
        "user-agent", "mutex", "regkey", "text"};
    assert_int_equal(KZ_ARRAY_LEN(wire), KZ_IOC__COUNT);
    for (int t = 0; t < KZ_IOC__COUNT; t++) {
        assert_string_equal(kz_ioc_type_name((kz_ioc_type)t), wire[t]);
        assert_int_equal(kz_ioc_type_parse(wire[t]), t);
    }
    assert_string_equal(kz_ioc_type_name((kz_ioc_type)KZ_IOC__COUNT), "unknown");
    assert_string_equal(kz_ioc_type_name((kz_ioc_type)-1), "unknown");

    static const struct {
        const char *name;
        int t;
    } misp[] = {
        {"ip-src", KZ_IOC_IPV4}, {"ip-dst", KZ_IOC_IPV4}, {"hostname", KZ_IOC_HOSTNAME},
        {"domain", KZ_IOC_DOMAIN}, {"domain|ip", KZ_IOC_DOMAIN_IP}, {"email", KZ_IOC_EMAIL},
        {"email-src", KZ_IOC_EMAIL}, {"email-dst", KZ_IOC_EMAIL}, {"url", KZ_IOC_URL},
        {"uri", KZ_IOC_TEXT}, {"md5", KZ_IOC_MD5}, {"sha1", KZ_IOC_SHA1},
        {"sha256", KZ_IOC_SHA256}, {"sha512", KZ_IOC_SHA512}, {"filename", KZ_IOC_FILENAME},
        {"filename|md5", KZ_IOC_FILENAME_HASH}, {"filename|sha1", KZ_IOC_FILENAME_HASH},
        {"filename|sha256", KZ_IOC_FILENAME_HASH}, {"filename|sha512", KZ_IOC_FILENAME_HASH},
        {"ip-src|port", KZ_IOC_IP_PORT}, {"ip-dst|port", KZ_IOC_IP_PORT}, {"AS", KZ_IOC_ASN},
        {"vulnerability", KZ_IOC_CVE}, {"btc", KZ_IOC_BTC}, {"user-agent", KZ_IOC_USER_AGENT},
        {"mutex", KZ_IOC_MUTEX}, {"regkey", KZ_IOC_REGKEY}, {"text", KZ_IOC_TEXT},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(misp); i++)
        assert_int_equal(kz_ioc_type_parse(misp[i].name), misp[i].t);
    /* names are exact: no case folding, no MISP types we cannot hold */
    static const char *const unknown[] = {"IPV4", "Domain", "as", "Vulnerability", "IP-DST",
                                          "ssdeep", "filename|ssdeep", "hostname|port",
                                          "regkey|value", "link", "comment", "", "ipv4 "};
    for (size_t i = 0; i < KZ_ARRAY_LEN(unknown); i++)
        assert_int_equal(kz_ioc_type_parse(unknown[i]), -1);
    assert_int_equal(kz_ioc_type_parse(NULL), -1);
}

/* Every MISP type that kz_ioc_type_parse accepts exists in MISP's own list. */
static void misp_names_exist_in_describe_types(void **state)
{
    (void)state;
    char path[1024];
    if (!kz_test_data_path("misp/describeTypes.json", path, sizeof path)) {
        skip();
        return;
    }
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    assert_non_null(root);
    json_t *types = json_object_get(json_object_get(root, "result"), "types");
    assert_true(json_is_array(types));
    size_t i, mapped = 0;
    json_t *v;
    json_array_foreach(types, i, v) {
        const char *name = json_string_value(v);
        if (kz_ioc_type_parse(name) >= 0)
            mapped++;
    }
    /* the 28 MISP names listed in type_names_round_trip, all present */
    assert_int_equal(mapped, 28);
    json_decref(root);
}

static void resolve_by_value(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value;
        int t;
    } cases[] = {
        {"ip-dst", "1.2.3.4", KZ_IOC_IPV4},
        {"ip-dst", "2001:db8::1", KZ_IOC_IPV6},
        {"ip-src", "10.0.0.0/8", KZ_IOC_CIDR},
        {"ip-src", "2001:db8::/32", KZ_IOC_CIDR},
        {"ip-src", "1.2.3[.]4", KZ_IOC_IPV4},
        {"ip", "::1", KZ_IOC_IPV6},
        {"ip-dst", "", KZ_IOC_IPV4},
        {"filename|sha256", "a.exe|00", KZ_IOC_FILENAME_HASH},
        {"ip-dst|port", "1.2.3.4|80", KZ_IOC_IP_PORT},
        {"AS", "64500", KZ_IOC_ASN},
        {"vulnerability", "CVE-2024-1234", KZ_IOC_CVE},
        {"email-dst", "a@b.c", KZ_IOC_EMAIL},
        {"uri", "/x", KZ_IOC_TEXT},
        {"ipv4", "2001:db8::1", KZ_IOC_IPV4}, /* a native name is taken at its word */
        {"cidr", "1.2.3.4", KZ_IOC_CIDR},
        {"domain", "example.com", KZ_IOC_DOMAIN},
        {"snort", "alert ...", -1},
        {"nonsense", "1.2.3.4", -1},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        int got = kz_ioc_type_resolve(cases[i].name, cases[i].value, strlen(cases[i].value));
        if (got != cases[i].t)
            fail_msg("resolve(%s, %s) = %d, expected %d", cases[i].name, cases[i].value, got, cases[i].t);
    }
    assert_int_equal(kz_ioc_type_resolve("ip-dst", NULL, 0), KZ_IOC_IPV4);
    assert_int_equal(kz_ioc_type_resolve(NULL, "1.2.3.4", 7), -1);
    /* only the given length is looked at */
    assert_int_equal(kz_ioc_type_resolve("ip-dst", "1.2.3.4/8", 7), KZ_IOC_IPV4);
}

static void guesses_types(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int t;
    } cases[] = {
        {"1.2.3.4", KZ_IOC_IPV4},
        {" 1.2.3[.]4 ", KZ_IOC_IPV4},
        {"2001:db8::1", KZ_IOC_IPV6},
        {"::ffff:1.2.3.4", KZ_IOC_IPV6},
        {"10.0.0.0/8", KZ_IOC_CIDR},
        {"2001:db8::/32", KZ_IOC_CIDR},
        {"1.2.3.4:443", KZ_IOC_IP_PORT},
        {"[2001:db8::1]:443", KZ_IOC_IP_PORT},
        {"174.127.99.225|1999", KZ_IOC_IP_PORT},
        {"http://evil.com/x", KZ_IOC_URL},
        {"hxxp://evil[.]com", KZ_IOC_URL},
        {"evil.com/path/a.php", KZ_IOC_URL},
        {"1.2.3.4/admin", KZ_IOC_URL},
        {"user@example.com", KZ_IOC_EMAIL},
        {"user[@]example[.]com", KZ_IOC_EMAIL},
        {"d41d8cd98f00b204e9800998ecf8427e", KZ_IOC_MD5},
        {"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", KZ_IOC_SHA1},
        {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", KZ_IOC_SHA256},
        {"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
         KZ_IOC_SHA512},
        {"CVE-2021-44228", KZ_IOC_CVE},
        {"cve-2021-44228", KZ_IOC_CVE},
        {"AS64500", KZ_IOC_ASN},
        {"as13335", KZ_IOC_ASN},
        {"example.com", KZ_IOC_DOMAIN},
        {"evil[.]com", KZ_IOC_DOMAIN},
        {"www.Example.co.uk.", KZ_IOC_DOMAIN},
        {"b\xc3\xbc" "cher.example", KZ_IOC_DOMAIN},
        /* none */
        {"", -1},
        {"   ", -1},
        {"hello world", -1},
        {"localhost", -1},
        {"co.uk", -1},
        {"300.1.2.3", -1},
        {"010.1.1.1", -1},
        {"d41d8cd98f00b204e9800998ecf8427", -1}, /* 31 hex digits */
        {"CVE-2021-1", -1},
        {"AS0", -1},
        {"ASX", -1},
        {"user@co.uk", -1},
        {"http://", -1},
        {"Data/dtl.dat", -1},
        {"a\xff", -1},
        {"12345", -1},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        int got = kz_ioc_guess(cases[i].in, strlen(cases[i].in));
        if (got != cases[i].t)
            fail_msg("guess('%s') = %d, expected %d", cases[i].in, got, cases[i].t);
    }
    assert_int_equal(kz_ioc_guess(NULL, 3), -1);
    /* whatever is guessed normalises as that type */
    kz_buf out;
    kz_buf_init(&out);
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        if (cases[i].t < 0)
            continue;
        if (kz_ioc_normalize((kz_ioc_type)cases[i].t, cases[i].in, strlen(cases[i].in), &out, NULL) != 0)
            fail_msg("guessed '%s' as %s but it does not normalise", cases[i].in,
                     kz_ioc_type_name((kz_ioc_type)cases[i].t));
    }
    kz_buf_free(&out);
}

static void refang_public(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"hxxp://evil[.]com/x", "http://evil.com/x"},
        {"HXXPS://evil(.)com", "https://evil.com"},
        {"hXXp[://]a{.}b[dot]c", "http://a.b.c"},
        {"fxp://a[.]b", "ftp://a.b"},
        {"user[@]x(at)y[AT]z", "user@x@y@z"},
        {"1.2.3.4[:]80", "1.2.3.4:80"},
        {"a(DOT)b", "a.b"},
        {"hxxp.example.com", "hxxp.example.com"}, /* only a scheme is rewritten */
        {"[2001:db8::1]:443", "[2001:db8::1]:443"},
        {"[::]", "[::]"},
        {"a[.b", "a[.b"},
        {"a(:)b", "a(:)b"}, /* only the square form of ':' */
        {"", ""},
    };
    kz_buf out;
    kz_buf_init(&out);
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        kz_ioc_refang(cases[i].in, strlen(cases[i].in), &out);
        const char *got = out.p ? out.p : "";
        if (strcmp(got, cases[i].out) != 0)
            fail_msg("refang('%s') = '%s', expected '%s'", cases[i].in, got, cases[i].out);
    }
    kz_buf_free(&out);
}

static void ip_parse_and_format(void **state)
{
    (void)state;
    kz_ip ip;
    char txt[46];
    assert_int_equal(kz_ip_parse("1.2.3.4", 7, &ip), 0);
    assert_true(ip.v4);
    static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
    assert_memory_equal(ip.b, mapped, 16);
    kz_ip_format(&ip, txt);
    assert_string_equal(txt, "1.2.3.4");
    /* the same bytes written as IPv6 stay IPv6 */
    assert_int_equal(kz_ip_parse("::ffff:1.2.3.4", 14, &ip), 0);
    assert_false(ip.v4);
    assert_memory_equal(ip.b, mapped, 16);
    kz_ip_format(&ip, txt);
    assert_string_equal(txt, "::ffff:1.2.3.4");
    assert_int_equal(kz_ip_parse("2001:db8::1", 11, &ip), 0);
    assert_false(ip.v4);
    assert_int_equal(ip.b[0], 0x20);
    assert_int_equal(ip.b[15], 1);
    /* strict: no refanging, brackets, zones, leading zeros or short forms */
    static const char *const bad[] = {"1.2.3[.]4", "[::1]", "fe80::1%lo", "01.2.3.4", "1.2.3",
                                      "127.1", "", " 1.2.3.4", "1.2.3.4 ", "::ffff:1.2.3.04"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++)
        assert_int_equal(kz_ip_parse(bad[i], strlen(bad[i]), &ip), KZ_E_VALUE);
    /* IPv4 sorts inside ::ffff:0:0/96, so 1.2.3.4 < 1.2.3.5 < 2001:: bytewise */
    kz_ip a, b, c;
    kz_ip_parse("1.2.3.4", 7, &a);
    kz_ip_parse("1.2.3.5", 7, &b);
    kz_ip_parse("2001::", 6, &c);
    assert_true(memcmp(a.b, b.b, 16) < 0);
    assert_true(memcmp(b.b, c.b, 16) < 0);
}

static void cidr_ranges(void **state)
{
    (void)state;
    static const struct {
        const char *in, *net, *last;
        int prefix128;
    } cases[] = {
        {"10.1.2.3/8", "10.0.0.0", "10.255.255.255", 104},
        {"192.168.1.77/24", "192.168.1.0", "192.168.1.255", 120},
        {"192.168.1.77/25", "192.168.1.0", "192.168.1.127", 121},
        {"1.2.3.4", "1.2.3.4", "1.2.3.4", 128},
        {"1.2.3.4/32", "1.2.3.4", "1.2.3.4", 128},
        {"0.0.0.0/0", "0.0.0.0", "255.255.255.255", 96},
        {"2001:db8::1/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 32},
        {"2001:db8::/127", "2001:db8::", "2001:db8::1", 127},
        {"::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0},
        {"2001:db8::5", "2001:db8::5", "2001:db8::5", 128},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        kz_ip net, last;
        int p;
        char txt[46];
        assert_int_equal(kz_cidr_parse(cases[i].in, strlen(cases[i].in), &net, &p), 0);
        assert_int_equal(p, cases[i].prefix128);
        kz_ip_format(&net, txt);
        assert_string_equal(txt, cases[i].net);
        kz_cidr_last(&net, p, &last);
        kz_ip_format(&last, txt);
        assert_string_equal(txt, cases[i].last);
        assert_int_equal(last.v4, net.v4);
    }
    static const char *const bad[] = {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/01",
                                      "10.0.0.0/a", "/8", "10.0.0/8", "10.0.0.0/8/8"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        kz_ip net;
        int p;
        assert_int_equal(kz_cidr_parse(bad[i], strlen(bad[i]), &net, &p), KZ_E_VALUE);
    }
}

static void domain_helpers(void **state)
{
    (void)state;
    char out[256];
    static const struct {
        const char *in, *reg;
    } reg[] = {
        {"a.b.evil.com", "evil.com"},
        {"evil.com", "evil.com"},
        {"www.bbc.co.uk", "bbc.co.uk"},
        {"x.city.kawasaki.jp", "city.kawasaki.jp"},
        {"foo.blogspot.com", "foo.blogspot.com"},
        {"xn--bcher-kva.example", "xn--bcher-kva.example"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(reg); i++) {
        assert_true(kz_domain_registrable(reg[i].in, out, sizeof out));
        assert_string_equal(out, reg[i].reg);
    }
    assert_false(kz_domain_registrable("co.uk", out, sizeof out));
    assert_false(kz_domain_registrable("com", out, sizeof out));
    assert_false(kz_domain_registrable("a.b.evil.com", out, 8)); /* "evil.com" needs 9 */
    assert_true(kz_domain_registrable("a.b.evil.com", out, 9));

    kz_domain_reverse("a.evil.com", out, sizeof out);
    assert_string_equal(out, "com.evil.a");
    kz_domain_reverse("evil.com", out, sizeof out);
    assert_string_equal(out, "com.evil");
    kz_domain_reverse("com", out, sizeof out);
    assert_string_equal(out, "com");
    kz_domain_reverse("", out, sizeof out);
    assert_string_equal(out, "");
    kz_domain_reverse("a.evil.com", out, 10); /* needs 11: nothing rather than a wrong prefix */
    assert_string_equal(out, "");
    kz_domain_reverse("a.evil.com", out, 11);
    assert_string_equal(out, "com.evil.a");
}

static void url_host(void **state)
{
    (void)state;
    char out[256];
    static const struct {
        const char *url, *host;
    } cases[] = {
        {"http://example.com/", "example.com"},
        {"https://example.com:8443/a?b#c", "example.com"},
        {"http://user:pw@example.com/", "example.com"},
        {"http://[2001:db8::1]:8080/x", "2001:db8::1"},
        {"http://[2001:db8::1]/", "2001:db8::1"},
        {"http://1.2.3.4:81/", "1.2.3.4"},
        {"ftp://files.example.org", "files.example.org"},
        {"http://example.com?q=a@b", "example.com"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        assert_true(kz_url_host(cases[i].url, out, sizeof out));
        assert_string_equal(out, cases[i].host);
    }
    assert_false(kz_url_host("http:///x", out, sizeof out));
    assert_false(kz_url_host("http://[::1/", out, sizeof out));
    assert_false(kz_url_host("http://example.com/", out, 11)); /* needs 12 */
    assert_true(kz_url_host("http://example.com/", out, 12));
    /* the host of every normalised URL in the table is found */
    kz_buf norm;
    kz_buf_init(&norm);
    const char *u = "HXXP://User@B\xc3\xbc" "cher.example:81";
    assert_int_equal(kz_ioc_normalize(KZ_IOC_URL, u, strlen(u), &norm, NULL), 0);
    assert_string_equal(norm.p, "http://User@xn--bcher-kva.example:81/");
    assert_true(kz_url_host(norm.p, out, sizeof out));
    assert_string_equal(out, "xn--bcher-kva.example");
    kz_buf_free(&norm);
}

/* The real MISP events in shared/data: every attribute whose MISP type we map
 * normalises, except the few that are broken in the data itself. */
static void misp_events_normalize(void **state)
{
    (void)state;
    static const char *const files[] = {"misp/long_event.json", "misp/very_long_event.json",
                                        "misp/regin_event.json", "misp/sighting_1.json",
                                        "misp/japanese_test.json", "misp/mainly_objects_1.json",
                                        "misp/57c4445b-c548-4654-af0b-4be3950d210f.json",
                                        "misp/event_obj_attr_tag.json"};
    /* url attributes in long_event.json that are not URLs at all */
    static const char *const broken[] = {"igfxtray.exe", "Data/dtl.dat", "Data/glp.uin",
                                         "107.183.86"};
    kz_buf out;
    kz_buf_init(&out);
    size_t ok = 0, refused = 0, files_seen = 0;
    for (size_t f = 0; f < KZ_ARRAY_LEN(files); f++) {
        char path[1024];
        if (!kz_test_data_path(files[f], path, sizeof path))
            continue;
        files_seen++;
        json_error_t je;
        json_t *root = json_load_file(path, 0, &je);
        assert_non_null(root);
        json_t *ev = json_object_get(root, "Event");
        json_t *lists[64];
        size_t nl = 0;
        lists[nl++] = json_object_get(ev, "Attribute");
        json_t *objs = json_object_get(ev, "Object"), *o;
        size_t i;
        json_array_foreach(objs, i, o) {
            if (nl < KZ_ARRAY_LEN(lists))
                lists[nl++] = json_object_get(o, "Attribute");
        }
        for (size_t l = 0; l < nl; l++) {
            json_t *a;
            json_array_foreach(lists[l], i, a) {
                const char *type = json_string_value(json_object_get(a, "type"));
                const char *value = json_string_value(json_object_get(a, "value"));
                if (!type || !value)
                    continue;
                int t = kz_ioc_type_resolve(type, value, strlen(value));
                if (t < 0)
                    continue;
                kz_err err;
                int rc = kz_ioc_normalize((kz_ioc_type)t, value, strlen(value), &out, &err);
                bool is_broken = false;
                for (size_t b = 0; b < KZ_ARRAY_LEN(broken); b++)
                    is_broken |= strcmp(value, broken[b]) == 0;
                /* a 9 KB jRAT config pasted as MISP text: within the 64 KiB
                 * limit of free text, and kept whole */
                if (strlen(value) > 8192) {
                    assert_int_equal(t, KZ_IOC_TEXT);
                    assert_int_equal(rc, 0);
                    assert_true(out.len > 8192);
                    ok++;
                    continue;
                }
                if (is_broken) {
                    if (rc == 0 && strcmp(value, "igfxtray.exe") != 0)
                        fail_msg("%s '%s' should be refused", type, value);
                    refused += rc != 0;
                    ok += rc == 0;
                    continue;
                }
                if (rc != 0)
                    fail_msg("%s: %s '%.80s': %s", files[f], type, value, err.msg);
                ok++;
            }
        }
        json_decref(root);
    }
    if (files_seen == 0) {
        kz_buf_free(&out);
        skip();
        return;
    }
    /* "igfxtray.exe" passes as http://igfxtray.exe/ (".exe" could be a TLD) */
    assert_int_equal(refused, 3);
    assert_true(ok > 400);
    kz_buf_free(&out);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalizes_valid_values),
        cmocka_unit_test(normal_form_is_stable),
        cmocka_unit_test(rejects_invalid_values),
        cmocka_unit_test(size_limits),
        cmocka_unit_test(messages_are_safe_text),
        cmocka_unit_test(type_names_round_trip),
        cmocka_unit_test(misp_names_exist_in_describe_types),
        cmocka_unit_test(resolve_by_value),
        cmocka_unit_test(guesses_types),
        cmocka_unit_test(refang_public),
        cmocka_unit_test(ip_parse_and_format),
        cmocka_unit_test(cidr_ranges),
        cmocka_unit_test(domain_helpers),
        cmocka_unit_test(url_host),
        cmocka_unit_test(misp_events_normalize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
