#!/usr/bin/env python3
"""reference_sweep.py -- the plain way to sweep Zeek logs against a list, as
maltrail does it: split a host name into labels and look up each suffix in a
set; addresses in a set, networks by masking the address for each listed
prefix length. It reads the same fields of the same logs as `kizuna sweep`
(conn, dns, http, ssl, files, x509, smtp, notice), so its hits must equal
kizuna's exactly; bench/sweep.sh compares the two sets.

Usage: reference_sweep.py EXPORT.jsonl LOG... [--compare KIZUNA.jsonl] [--out HITS.tsv]

EXPORT.jsonl is `kizuna export` output (the normalised values the node holds).
A hit is (file, line, field, listed value, match kind). With --compare, the
hits of `kizuna sweep` (its JSON Lines) are read and the two sets compared.

What this reference leaves out, because the benchmark logs never need it:
names with raw non-ASCII bytes (kizuna converts IDN to punycode; Zeek escapes
such bytes anyway) and URL path normalisation beyond case and default port
(the logs carry canonical paths).
"""
import ipaddress
import json
import re
import sys
import time

FIELDS = {
    "conn": {"id.orig_h": "ip", "id.resp_h": "ip"},
    "dns": {"id.orig_h": "ip", "id.resp_h": "ip", "query": "host", "answers": "host*"},
    "http": {"id.orig_h": "ip", "id.resp_h": "ip", "host": "host", "uri": "uri",
             "referrer": "url", "user_agent": "ua", "orig_filenames": "file*",
             "resp_filenames": "file*"},
    "ssl": {"id.orig_h": "ip", "id.resp_h": "ip", "server_name": "host", "subject": "dn",
            "cert_chain_fps": "hash*", "client_cert_chain_fps": "hash*"},
    "files": {"tx_hosts": "ip*", "rx_hosts": "ip*", "id.orig_h": "ip", "id.resp_h": "ip",
              "filename": "file", "md5": "hash", "sha1": "hash", "sha256": "hash"},
    "x509": {"fingerprint": "hash", "certificate.subject": "dn", "san.dns": "host*",
             "san.uri": "url*", "san.email": "email*", "san.ip": "ip*"},
    "smtp": {"id.orig_h": "ip", "id.resp_h": "ip", "helo": "host", "mailfrom": "email",
             "rcptto": "email*", "from": "email", "to": "email*", "cc": "email*",
             "reply_to": "email", "x_originating_ip": "ip", "path": "ip*", "user_agent": "ua"},
    "notice": {"id.orig_h": "ip", "id.resp_h": "ip", "src": "ip", "dst": "ip"},
}

IPV4 = re.compile(r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$")
NAME = re.compile(r"^[a-z0-9_.-]+$")
PORT = re.compile(r"^(0|[1-9]\d{0,4})$")


class Lists:
    def __init__(self, path):
        self.ip4, self.ip6 = set(), {}
        self.nets4, self.nets6 = {}, {}  # prefix length -> {network int: text}
        self.domains, self.hosts = set(), set()
        self.strings = {}  # type -> set (url, ip|port, hashes, email, user-agent, filename)
        n = 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                o = json.loads(line)
                t, v = o.get("type"), o.get("value")
                if not t or v is None or o.get("to_ids") is False:
                    continue
                n += 1
                if t == "ipv4":
                    self.ip4.add(v)
                elif t == "ipv6":
                    a = ipaddress.ip_address(v)
                    if a.ipv4_mapped:
                        self.ip4.add(str(a.ipv4_mapped))
                    else:
                        self.ip6[a.packed] = v
                elif t == "cidr":
                    net = ipaddress.ip_network(v, strict=False)
                    table = self.nets4 if net.version == 4 else self.nets6
                    bits = 32 if net.version == 4 else 128
                    table.setdefault(net.prefixlen, {})[
                        int(net.network_address) >> (bits - net.prefixlen)] = v
                elif t == "domain":
                    self.domains.add(v)
                elif t == "hostname":
                    self.hosts.add(v)
                else:
                    self.strings.setdefault(t, set()).add(v)
        self.count = n
        self.cache = {}

    def ip(self, v, exact="exact", cidr="cidr"):
        key = ("ip", v, exact)
        if key in self.cache:
            return self.cache[key]
        out = []
        if ":" in v:
            try:
                a = ipaddress.ip_address(v) if "%" not in v else None
            except ValueError:
                a = None
            if a is not None and a.ipv4_mapped:
                out = self.ip(str(a.ipv4_mapped), exact, cidr)
            elif a is not None:
                if a.packed in self.ip6:
                    out.append((self.ip6[a.packed], exact))
                n = int(a)
                for plen, nets in self.nets6.items():
                    hit = nets.get(n >> (128 - plen))
                    if hit:
                        out.append((hit, cidr))
        elif IPV4.match(v):
            if v in self.ip4:
                out.append((v, exact))
            p = v.split(".")
            n = int(p[0]) << 24 | int(p[1]) << 16 | int(p[2]) << 8 | int(p[3])
            for plen, nets in self.nets4.items():
                hit = nets.get(n >> (32 - plen))
                if hit:
                    out.append((hit, cidr))
        self.cache[key] = out
        return out

    def domain(self, v, exact="exact", sub="subdomain"):
        """The label walk: the name, then each parent, in the lists."""
        key = ("dom", v, exact)
        if key in self.cache:
            return self.cache[key]
        out = []
        d = v[:-1] if len(v) > 1 and v.endswith(".") else v
        d = d.lower()
        if d.isascii() and 0 < len(d) <= 253 and NAME.match(d):
            labels = d.split(".")
            for i in range(len(labels)):
                s = ".".join(labels[i:])
                if i == 0 and s in self.hosts:
                    out.append((s, exact))
                if s in self.domains:
                    out.append((s, exact if i == 0 else sub))
        self.cache[key] = out
        return out

    def host(self, v):
        if v.startswith("["):
            return self.ip(v[1:v.index("]")]) if "]" in v else []
        if ":" in v:
            h, _, port = v.partition(":")
            if ":" in port:
                return self.ip(v)
            if not port.isdigit():
                return []
            v = h
        if v and v[-1].isdigit() and IPV4.match(v):
            return self.ip(v)
        return self.domain(v)

    def string(self, t, v):
        return [(v, "exact")] if v in self.strings.get(t, ()) else []


DEFAULT_PORT = {"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}


def canon_host(h, scheme="http"):
    """host[:port] as in a normalised URL: lower case, no trailing dot, no
    default port, and the bare host for the URL-host lookup."""
    port = ""
    dflt = DEFAULT_PORT.get(scheme)
    if h.startswith("["):
        close = h.index("]")
        bare = str(ipaddress.ip_address(h[1:close]))
        rest = h[close + 1:]
        port = rest[1:] if rest.startswith(":") else ""
        return ("[%s]" % bare) + (":" + port if port and port != dflt else ""), bare
    if ":" in h:
        h, _, port = h.partition(":")
    h = h.lower()
    if len(h) > 1 and h.endswith("."):
        h = h[:-1]
    return h + (":" + port if port and port != dflt else ""), h


def sweep(lists, path, hits):
    fields, sep, setsep, unset, empty = None, "\t", ",", "-", "(empty)"
    logpath, n = "", 0
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("#"):
                name, _, value = line[1:].partition(" " if line.startswith("#separator") else sep)
                if name == "separator":
                    sep = value.encode().decode("unicode_escape")
                elif name == "set_separator":
                    setsep = value
                elif name == "unset_field":
                    unset = value
                elif name == "empty_field":
                    empty = value
                elif name == "path":
                    logpath = value
                elif name == "fields":
                    names = value.split(sep)
                    table = FIELDS.get(logpath, {})
                    fields = [(i, nm, table[nm]) for i, nm in enumerate(names) if nm in table]
                    ncols = len(names)
                    col = {nm: i for i, nm in enumerate(names)}
                    pair = (col["id.resp_h"], col["id.resp_p"]) if (
                        "id.resp_h" in col and "id.resp_p" in col) else None
                    hostcol = col.get("host")
                continue
            if fields is None:
                continue
            v = line.split(sep)
            if len(v) != ncols:
                continue
            for i, nm, kind in fields:
                x = v[i]
                if x in (unset, empty) or not x:
                    continue
                values = x.split(setsep) if kind.endswith("*") else [x]
                kind = kind.rstrip("*")
                for x in values:
                    if not x:
                        continue
                    found, fname = [], nm
                    if kind == "ip":
                        found = lists.ip(x)
                    elif kind == "host":
                        found = lists.host(x)
                    elif kind == "uri":
                        fname = "url"
                        if x.startswith(("http://", "https://")):
                            found = url(lists, x)
                        elif hostcol is not None and v[hostcol] not in (unset, empty) \
                                and x.startswith("/"):
                            found = lists.string("url", "http://" + canon_host(v[hostcol])[0] + x)
                    elif kind == "url":
                        found = url(lists, x)
                    elif kind == "hash" and len(x) in (32, 40, 64, 128):
                        t = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}[len(x)]
                        found = lists.string(t, x.lower())
                    elif kind == "email":
                        m = re.search(r"<([^>]*)>", x)
                        e = m.group(1) if m else x
                        if "@" in e:
                            local, _, dom = e.rpartition("@")
                            found = lists.string("email", local + "@" + dom.lower())
                    elif kind == "ua":
                        found = lists.string("user-agent", x)
                    elif kind == "file":
                        found = lists.string("filename", x)
                    elif kind == "dn":
                        m = re.search(r"(?:^|,)CN=([^,\\]*)", x)
                        if m:
                            cn = m.group(1)
                            found = lists.host(cn[2:] if cn.startswith("*.") and len(cn) > 2 else cn)
                    for value, match in found:
                        hits.add((path, n, fname, value, match))
            if pair:
                a, p = v[pair[0]], v[pair[1]]
                if IPV4.match(a) and PORT.match(p) and int(p) <= 65535:
                    key = a + ":" + p
                    if key in lists.strings.get("ip|port", ()):
                        hits.add((path, n, "id.resp_h:id.resp_p", key, "exact"))
            # (an IPv6 responder's pair would be "[addr]:port"; the logs here have none listed)
    return n


def url(lists, u):
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", u)
    if not m:
        return []
    scheme, host, rest = m.group(1).lower(), m.group(2), m.group(3)
    if not rest.startswith("/"):
        rest = "/" + rest
    try:
        hostport, bare = canon_host(host, scheme)
    except ValueError:
        return []
    out = lists.string("url", scheme + "://" + hostport + rest)
    inner = lists.ip(bare, "url-host", "url-host") if (IPV4.match(bare) or ":" in bare) \
        else lists.domain(bare, "url-host", "url-host")
    return out + inner


def main(argv):
    args, compare, out = [], None, None
    i = 1
    while i < len(argv):
        if argv[i] == "--compare":
            compare = argv[i + 1]
            i += 2
        elif argv[i] == "--out":
            out = argv[i + 1]
            i += 2
        else:
            args.append(argv[i])
            i += 1
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    t0 = time.time()
    lists = Lists(args[0])
    t1 = time.time()
    hits, lines = set(), 0
    for p in args[1:]:
        lines += sweep(lists, p, hits)
    t2 = time.time()
    print("reference: lists=%d load_s=%.2f lines=%d sweep_s=%.2f lines_per_s=%.0f hits=%d"
          % (lists.count, t1 - t0, lines, t2 - t1, lines / (t2 - t1), len(hits)))
    if out:
        with open(out, "w") as f:
            for h in sorted(hits):
                f.write("\t".join(map(str, h)) + "\n")
    if compare:
        got = set()
        with open(compare, encoding="utf-8") as f:
            for line in f:
                j = json.loads(line)
                got.add((j["file"], j["line"], j["field"], j["indicator_value"], j["match"]))
        only_ref, only_kz = hits - got, got - hits
        print("compare: kizuna=%d reference=%d only_reference=%d only_kizuna=%d identical=%s"
              % (len(got), len(hits), len(only_ref), len(only_kz),
                 "yes" if not only_ref and not only_kz else "no"))
        for h in sorted(only_ref)[:5]:
            print("  only reference:", h)
        for h in sorted(only_kz)[:5]:
            print("  only kizuna:   ", h)
        return 0 if not only_ref and not only_kz else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
