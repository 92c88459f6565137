/* SPF (auth/spf.h) against a fake DNS zone written here: one case per
 * clause of RFC 7208 -- initial processing, record lookup and selection,
 * every mechanism and its syntax, modifiers, macros with transformers,
 * the processing limits -- and the rounds of lookups (MX hosts resolved
 * in parallel). Also the record parser and macro expansion on their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "fake_dns.h"
#include "auth/spf.h"
#include "auth/spf_int.h"

static const struct fake_rr zone[] = {
	{ "mail.example.test", "A", "192.0.2.1" },
	/* initial processing and record selection */
	{ "a12345678901234567890123456789012345678901234567890123456789012.example.test", "TXT",
	  "v=spf1 -all" },
	{ "npl.example.test", "TXT", "v=spf1 exists:%{l}.npl.example.test -all" },
	{ "postmaster.npl.example.test", "A", "127.0.0.2" },
	{ "hosed.example.test", "TXT", "v=spf1 a:\xc3\xa9t\xc3\xa9.example.test -all" },
	{ "timeout.example.test", "TIMEOUT", "" },
	{ "servfail.example.test", "SERVFAIL", "" },
	{ "nospf.example.test", "TXT", "google-site-verification=abc" },
	{ "empty.example.test", "TXT", "v=spf1" },
	{ "joined.example.test", "TXT", "v=spf1|mx" },
	{ "split.example.test", "TXT", "v=spf1 ip4:192.0.2.0|/24 -all" },
	{ "two.example.test", "TXT", "v=spf1 -all" },
	{ "two.example.test", "TXT", "v=spf1 +all" },
	{ "mixed.example.test", "TXT", "\xff\xfe binary" },
	{ "mixed.example.test", "TXT", "V=SpF1 ~all" },
	{ "spf10.example.test", "TXT", "v=spf10 +all" },
	/* evaluation and syntax */
	{ "late-error.example.test", "TXT", "v=spf1 ip4:192.0.2.1 -all junk" },
	{ "unknown-mod.example.test", "TXT", "v=spf1 moo.cow-far_out=man:dog/cat ip4:192.0.2.1 -all" },
	{ "slash-mod.example.test", "TXT", "v=spf1 moo.cow/far_out=man:dog/cat ip4:192.0.2.1 -all" },
	{ "digit-mod.example.test", "TXT", "v=spf1 1up=foo" },
	{ "noname-mod.example.test", "TXT", "v=spf1 =all" },
	{ "redir-unused.example.test", "TXT", "v=spf1 redirect=redir-unused.example.test ~all" },
	{ "redir.example.test", "TXT", "v=spf1 ip4:198.51.100.1 redirect=two-target.example.test" },
	{ "two-target.example.test", "TXT", "v=spf1 ip4:192.0.2.99 -all" },
	{ "default.example.test", "TXT", "v=spf1 ip4:198.51.100.1" },
	{ "redir-colon.example.test", "TXT", "v=spf1 redirect:two-target.example.test" },
	{ "badtop.example.test", "TXT", "v=spf1 a:foo-bar -all" },
	{ "numtop.example.test", "TXT", "v=spf1 a:abc.123 -all" },
	{ "dashtop.example.test", "TXT", "v=spf1 a:example.-com -all" },
	{ "onlytop.example.test", "TXT", "v=spf1 a:museum. -all" },
	{ "xn.example.test", "TXT", "v=spf1 a:foo.example.xn--zckzah -all" },
	{ "foo.example.xn--zckzah", "A", "192.0.2.1" },
	{ "emptylabel.example.test", "TXT", "v=spf1 a:mail.example...test -all" },
	{ "longlabel.example.test", "TXT", "v=spf1 a:a1234567890123456789012345678901234567890"
	  "12345678901234567890123.example.test -all" },
	{ "nul.example.test", "TXT", "v=spf1 a:mail.example.test -all\x01" },
	/* all */
	{ "all-dot.example.test", "TXT", "v=spf1 -all." },
	{ "all-arg.example.test", "TXT", "v=spf1 -all:foo" },
	{ "all-cidr.example.test", "TXT", "v=spf1 -all/8" },
	{ "all-neutral.example.test", "TXT", "v=spf1 ?all" },
	{ "all-twice.example.test", "TXT", "v=spf1 all -all" },
	{ "all-upper.example.test", "TXT", "v=spf1 -ALL" },
	/* ptr */
	{ "ptr-cidr.example.test", "TXT", "v=spf1 ptr/0 -all" },
	{ "ptr-target.example.test", "TXT", "v=spf1 ptr:example.test -all" },
	{ "ptr-implicit.example.test", "TXT", "v=spf1 ptr -all" },
	{ "ptr-implicit.example.test", "A", "192.0.2.1" },
	{ "ptr-implicit.example.test", "AAAA", "2001:db8::1" },
	{ "ptr-empty.example.test", "TXT", "v=spf1 ptr:" },
	{ "1.2.0.192.in-addr.arpa", "PTR", "other.test" },
	{ "1.2.0.192.in-addr.arpa", "PTR", "ptr-implicit.example.test" },
	{ "1.2.0.192.in-addr.arpa", "PTR", "unvalidated.example.test" },
	{ "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "PTR",
	  "ptr-implicit.example.test" },
	{ "unvalidated.example.test", "TXT", "v=spf1 ptr -all" },
	{ "unvalidated.example.test", "A", "198.51.100.9" },
	{ "ptr-fail.example.test", "TXT", "v=spf1 ptr -all" },
	{ "2.2.0.192.in-addr.arpa", "SERVFAIL", "" },
	/* a */
	{ "a-c6.example.test", "TXT", "v=spf1 a//33 -all" },
	{ "a-bad4.example.test", "TXT", "v=spf1 a/33 -all" },
	{ "a-bad6.example.test", "TXT", "v=spf1 a//129 -all" },
	{ "a-dual.example.test", "TXT", "v=spf1 a/24//64 -all" },
	{ "a-dual.example.test", "A", "192.0.2.200" },
	{ "a-dual.example.test", "AAAA", "2001:db8:0:0:ffff::1" },
	{ "a-dualbad.example.test", "TXT", "v=spf1 a/24/64 -all" },
	{ "a-only4.example.test", "TXT", "v=spf1 a/24 -all" },
	{ "a-only4.example.test", "A", "192.0.2.200" },
	{ "a-only4.example.test", "AAAA", "2001:db8:0:0:ffff::1" },
	{ "a-port.example.test", "TXT", "v=spf1 a:example.test:8080" },
	{ "a-multi.example.test", "TXT", "v=spf1 a:multi.example.test/24" },
	{ "multi.example.test", "A", "198.51.100.1" },
	{ "multi.example.test", "A", "192.0.2.77" },
	{ "a-nx.example.test", "TXT", "v=spf1 a/0 -all" },
	{ "a-zero.example.test", "TXT", "v=spf1 a/0 -all" },
	{ "a-zero.example.test", "A", "203.0.113.1" },
	{ "a-zero6.example.test", "TXT", "v=spf1 a//0 -all" },
	{ "a-zero6.example.test", "AAAA", "2001:db8::99" },
	{ "a-colon.example.test", "TXT", "v=spf1 a:foo:bar/baz.example.test" },
	{ "foo:bar/baz.example.test", "A", "192.0.2.1" },
	{ "a-empty.example.test", "TXT", "v=spf1 a:" },
	{ "a-timeout.example.test", "TXT", "v=spf1 a:timeout.example.test -all" },
	/* include */
	{ "inc-fail.example.test", "TXT", "v=spf1 include:t-fail.example.test ~all" },
	{ "inc-soft.example.test", "TXT", "v=spf1 include:t-soft.example.test all" },
	{ "inc-neutral.example.test", "TXT", "v=spf1 include:t-neutral.example.test -all" },
	{ "inc-temp.example.test", "TXT", "v=spf1 include:timeout.example.test -all" },
	{ "inc-perm.example.test", "TXT", "v=spf1 include:late-error.example.test -all" },
	{ "inc-none.example.test", "TXT", "v=spf1 include:nospf.example.test -all" },
	{ "inc-pass.example.test", "TXT", "v=spf1 -include:t-pass.example.test +all" },
	{ "inc-bare.example.test", "TXT", "v=spf1 include +all" },
	{ "inc-cidr.example.test", "TXT", "v=spf1 include:t-pass.example.test/24 -all" },
	{ "t-fail.example.test", "TXT", "v=spf1 ip4:198.51.100.1 -all" },
	{ "t-soft.example.test", "TXT", "v=spf1 ip4:198.51.100.1 ~all" },
	{ "t-neutral.example.test", "TXT", "v=spf1 ip4:198.51.100.1 ?all" },
	{ "t-pass.example.test", "TXT", "v=spf1 ip4:192.0.2.0/24" },
	/* mx */
	{ "mx-multi.example.test", "TXT", "v=spf1 mx:mxs.example.test -all" },
	{ "mxs.example.test", "MX", "10 mx1.example.test" },
	{ "mxs.example.test", "MX", "20 mx2.example.test" },
	{ "mxs.example.test", "MX", "30 mx3.example.test" },
	{ "mx1.example.test", "A", "198.51.100.1" },
	{ "mx2.example.test", "A", "198.51.100.2" },
	{ "mx3.example.test", "A", "192.0.2.1" },
	{ "mx-null.example.test", "TXT", "v=spf1 mx" },
	{ "mx-null.example.test", "MX", "0 " },
	{ "mx-implicit.example.test", "TXT", "v=spf1 mx" },
	{ "mx-implicit.example.test", "A", "192.0.2.1" },
	{ "mx-many.example.test", "TXT", "v=spf1 mx" },
	{ "mx-zero.example.test", "TXT", "v=spf1 mx/0 -all" },
	{ "mx-zero.example.test", "MX", "0 mx-zero.example.test" },
	{ "mx-zero.example.test", "A", "203.0.113.1" },
	{ "mx-hosttemp.example.test", "TXT", "v=spf1 mx -all" },
	{ "mx-hosttemp.example.test", "MX", "0 timeout.example.test" },
	/* exists */
	{ "ex.example.test", "TXT", "v=spf1 exists:mail.example.test -all" },
	{ "ex-empty.example.test", "TXT", "v=spf1 exists:" },
	{ "ex-bare.example.test", "TXT", "v=spf1 exists" },
	{ "ex-cidr.example.test", "TXT", "v=spf1 exists:mail.example.test/24" },
	{ "ex-six.example.test", "TXT", "v=spf1 exists:six.example.test -all" },
	{ "six.example.test", "AAAA", "2001:db8::4" },
	{ "ex-temp.example.test", "TXT", "v=spf1 exists:servfail.example.test -all" },
	/* ip4 / ip6 */
	{ "ip-zero.example.test", "TXT", "v=spf1 ip4:10.0.0.0/0 -all" },
	{ "ip-32.example.test", "TXT", "v=spf1 ip4:192.0.2.1/32 -all" },
	{ "ip-33.example.test", "TXT", "v=spf1 ip4:192.0.2.1/33 -all" },
	{ "ip-032.example.test", "TXT", "v=spf1 ip4:192.0.2.1/032 -all" },
	{ "ip-lead0.example.test", "TXT", "v=spf1 ip4:192.0.2.01 -all" },
	{ "ip-bare.example.test", "TXT", "v=spf1 ip4" },
	{ "ip-dual.example.test", "TXT", "v=spf1 ip4:192.0.2.1//32" },
	{ "ip-port.example.test", "TXT", "v=spf1 ip4:192.0.2.1:8080" },
	{ "ip-short.example.test", "TXT", "v=spf1 ip4:192.0.2" },
	{ "ip-mapped.example.test", "TXT", "v=spf1 -ip4:192.0.2.1 ip6:::ffff:192.0.2.1" },
	{ "ip6-zero.example.test", "TXT", "v=spf1 ip6:::1.1.1.1/0" },
	{ "ip6-129.example.test", "TXT", "v=spf1 ip6:::1.1.1.1/129" },
	{ "ip6-dual.example.test", "TXT", "v=spf1 ip6:::1.1.1.1//33" },
	{ "ip6-33.example.test", "TXT", "v=spf1 ip6:2001:db8:8000::/33" },
	{ "ip6-bad.example.test", "TXT", "v=spf1 ip6::CAFE::BABE" },
	/* modifiers */
	{ "exp-twice.example.test", "TXT", "v=spf1 exp=a.example.test -all exp=b.example.test" },
	{ "redir-twice.example.test", "TXT", "v=spf1 redirect=a.test redirect=b.test" },
	{ "exp-empty.example.test", "TXT", "v=spf1 exp= -all" },
	{ "exp-notdomain.example.test", "TXT", "v=spf1 exp=-all" },
	{ "exp-macro.example.test", "TXT", "v=spf1 -all exp=%{r}.example.test" },
	{ "redir-empty.example.test", "TXT", "v=spf1 ?all redirect=" },
	{ "redir-none.example.test", "TXT", "v=spf1 redirect=nospf.example.test" },
	{ "redir-nx.example.test", "TXT", "v=spf1 redirect=nowhere.example.test" },
	{ "mod-badmacro.example.test", "TXT", "v=spf1 -all foo=%abc" },
	{ "mod-default.example.test", "TXT", "v=spf1 default=+" },
	{ "exp-void.example.test", "TXT", "v=spf1 a:nx1.example.test a:nx2.example.test "
	  "exp=nx3.example.test -all" },
	/* macros */
	{ "m-trail.example.test", "TXT", "v=spf1 redirect=%{d}.trail.example.test." },
	{ "m-trail.example.test.trail.example.test", "TXT", "v=spf1 ip4:192.0.2.1 -all" },
	{ "m-ir.example.test", "TXT", "v=spf1 exists:%{ir}.%{v}.list.example.test -all" },
	{ "1.2.0.192.in-addr.list.example.test", "A", "127.0.0.2" },
	{ "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.list.example.test",
	  "A", "127.0.0.2" },
	{ "m-dash.example.test", "TXT", "v=spf1 exists:%{i}.%{l2r-}.user.%{d2} -all" },
	{ "192.0.2.1.gladstone.philip.user.example.test", "A", "127.0.0.2" },
	{ "m-multi.example.test", "TXT", "v=spf1 exists:%{l2r+-}.user.%{d2} -all" },
	{ "bar.foo.user.example.test", "A", "127.0.0.2" },
	{ "m-helo.example.test", "TXT", "v=spf1 a:%{H} -all" },
	{ "m-undef.example.test", "TXT", "v=spf1 a:%{a}.example.test -all" },
	{ "m-paren.example.test", "TXT", "v=spf1 exists:%(ir).sbl.example.test ?all" },
	{ "m-trailpct.example.test", "TXT", "v=spf1 exists:foo%.sbl.example.test ?all" },
	{ "m-zero.example.test", "TXT", "v=spf1 exists:%{d0}.sbl.example.test ?all" },
	{ "m-mania.example.test", "TXT", "v=spf1 a:macro%%percent%_%_space%-url-space.example.test -all" },
	{ "macro%percent  space%20url-space.example.test", "A", "192.0.2.1" },
	{ "m-upper.example.test", "TXT", "v=spf1 exists:%{L}.up.example.test -all" },
	{ "jack%26jill%3dup.up.example.test", "A", "127.0.0.2" },
	{ "m-so.example.test", "TXT", "v=spf1 exists:%{s}.%{o}.%{h}.so.example.test -all" },
	{ "u@m-so.example.test.m-so.example.test.mail.example.test.so.example.test", "A",
	  "127.0.0.2" },
	{ "m-p.example.test", "TXT", "v=spf1 exists:%{p}.should.example.test "
	  "~exists:%{p}.ok.example.test" },
	{ "3.2.0.192.in-addr.arpa", "PTR", "mx.other.test" },
	{ "3.2.0.192.in-addr.arpa", "PTR", "mx.m-p.example.test" },
	{ "mx.other.test", "A", "192.0.2.3" },
	{ "mx.m-p.example.test", "A", "192.0.2.3" },
	{ "mx.m-p.example.test.should.example.test", "A", "127.0.0.2" },
	{ "mx.other.test.ok.example.test", "A", "127.0.0.2" },
	{ "m-pnone.example.test", "TXT", "v=spf1 exists:%{p}.pn.example.test -all" },
	{ "unknown.pn.example.test", "A", "127.0.0.2" },
	{ "m-long.example.test", "TXT", "v=spf1 exists:%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}"
	  ".%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.end.test -all" },
	/* 288 bytes expanded: labels dropped on the left down to 253 */
	{ "test.m-long.example.test.m-long.example.test.m-long.example.test.m-lon"
	  "g.example.test.m-long.example.test.m-long.example.test.m-long.example."
	  "test.m-long.example.test.m-long.example.test.m-long.example.test.m-lon"
	  "g.example.test.m-long.example.test.end.test", "A",
	  "127.0.0.2" },
	/* limits */
	{ "redir-loop.example.test", "TXT", "v=spf1 ip4:198.51.100.1 redirect=redir-loop.example.test" },
	{ "inc-loop1.example.test", "TXT", "v=spf1 include:inc-loop2.example.test" },
	{ "inc-loop2.example.test", "TXT", "v=spf1 include:inc-loop1.example.test" },
	{ "at-limit.example.test", "TXT", "v=spf1 a mx a mx a mx a mx a ptr ip4:192.0.2.1 -all" },
	{ "at-limit.example.test", "A", "198.51.100.8" },
	{ "at-limit.example.test", "MX", "10 at-limit.example.test" },
	{ "over-limit.example.test", "TXT", "v=spf1 a mx a mx a mx a mx a ptr a ip4:192.0.2.1 -all" },
	{ "over-limit.example.test", "A", "198.51.100.8" },
	{ "over-limit.example.test", "MX", "10 over-limit.example.test" },
	{ "inc-at-limit.example.test", "TXT", "v=spf1 a include:eight.example.test ip4:192.0.2.1 mx -all" },
	{ "inc-at-limit.example.test", "A", "198.51.100.8" },
	{ "inc-over-limit.example.test", "TXT", "v=spf1 a include:eight.example.test a ip4:192.0.2.1 -all" },
	{ "inc-over-limit.example.test", "A", "198.51.100.8" },
	{ "eight.example.test", "TXT", "v=spf1 a a a a a a a a" },
	{ "eight.example.test", "A", "198.51.100.8" },
	{ "void-two.example.test", "TXT", "v=spf1 a:nx1.example.test mx:nx2.example.test ?all" },
	{ "void-three.example.test", "TXT", "v=spf1 a:nx1.example.test a:nx2.example.test "
	  "exists:nx3.example.test ?all" },
	{ "ptr-limit.example.test", "TXT", "v=spf1 ptr" },
	{ "ptr-limit.example.test", "A", "192.0.2.5" },
	{ "5.2.0.192.in-addr.arpa", "PTR", "p1.test" }, { "5.2.0.192.in-addr.arpa", "PTR", "p2.test" },
	{ "5.2.0.192.in-addr.arpa", "PTR", "p3.test" }, { "5.2.0.192.in-addr.arpa", "PTR", "p4.test" },
	{ "5.2.0.192.in-addr.arpa", "PTR", "p5.test" }, { "5.2.0.192.in-addr.arpa", "PTR", "p6.test" },
	{ "5.2.0.192.in-addr.arpa", "PTR", "p7.test" }, { "5.2.0.192.in-addr.arpa", "PTR", "p8.test" },
	{ "5.2.0.192.in-addr.arpa", "PTR", "p9.test" }, { "5.2.0.192.in-addr.arpa", "PTR", "p10.test" },
	{ "5.2.0.192.in-addr.arpa", "PTR", "ptr-limit.example.test" },
	{ "a-many.example.test", "TXT", "v=spf1 a -all" },
	{ "helo-only.example.test", "TXT", "v=spf1 a -all" },
	{ "helo-only.example.test", "A", "192.0.2.1" },
};

#define MANY_MX	"10 mail.example.test"

/* mx-many has 11 MX records; a-many has 12 addresses. */
static const struct fake_rr zone_more[] = {
	{ "mx-many.example.test", "MX", MANY_MX }, { "mx-many.example.test", "MX", MANY_MX },
	{ "mx-many.example.test", "MX", MANY_MX }, { "mx-many.example.test", "MX", MANY_MX },
	{ "mx-many.example.test", "MX", MANY_MX }, { "mx-many.example.test", "MX", MANY_MX },
	{ "mx-many.example.test", "MX", MANY_MX }, { "mx-many.example.test", "MX", MANY_MX },
	{ "mx-many.example.test", "MX", MANY_MX }, { "mx-many.example.test", "MX", MANY_MX },
	{ "mx-many.example.test", "MX", MANY_MX },
	{ "a-many.example.test", "A", "198.51.100.1" }, { "a-many.example.test", "A", "198.51.100.2" },
	{ "a-many.example.test", "A", "198.51.100.3" }, { "a-many.example.test", "A", "198.51.100.4" },
	{ "a-many.example.test", "A", "198.51.100.5" }, { "a-many.example.test", "A", "198.51.100.6" },
	{ "a-many.example.test", "A", "198.51.100.7" }, { "a-many.example.test", "A", "198.51.100.8" },
	{ "a-many.example.test", "A", "198.51.100.9" }, { "a-many.example.test", "A", "198.51.100.10" },
	{ "a-many.example.test", "A", "198.51.100.11" }, { "a-many.example.test", "A", "192.0.2.1" },
};

static struct fake_rr *all_rr;
static size_t nall_rr;

static int
setup_zone(void **state)
{
	size_t a = sizeof(zone) / sizeof(zone[0]), b = sizeof(zone_more) / sizeof(zone_more[0]);

	all_rr = malloc((a + b) * sizeof(*all_rr));
	memcpy(all_rr, zone, sizeof(zone));
	memcpy(all_rr + a, zone_more, sizeof(zone_more));
	nall_rr = a + b;
	return 0;
}

static int
teardown_zone(void **state)
{
	free(all_rr);
	return 0;
}

/* Runs one evaluation to its end against the zone. */
static const struct spf_outcome *
run_spf(struct mg_arena *a, struct fake_dns *fd, const struct spf_query *q, unsigned *rounds)
{
	struct spf_eval *ev = spf_eval_new(a, q);
	struct dns_resolver r = { fake_resolve, fd };

	assert_non_null(ev);
	*rounds = 0;
	for (;;) {
		struct dns_lookup *b = mg_arena_alloc(a, 32 * sizeof(*b));
		size_t n = 0;
		if (spf_eval_step(ev, b, &n, 32))
			break;
		assert_true(n > 0);
		assert_int_equal(r.resolve(r.ctx, b, n, 0, a), 0);
		if (++*rounds > 60)
			fail_msg("%s: more than 60 rounds", q->sender);
	}
	return spf_eval_outcome(ev);
}

#define IP	"192.0.2.1"
#define HELO	"mail.example.test"

static const struct {
	const char	*ip, *helo, *from;
	bool		 helo_identity;
	const char	*want;
} cases[] = {
	/* 4.3 initial processing */
	{ IP, HELO, "u@a123456789012345678901234567890123456789012345678901234567890123.example.test",
	  false, "none" },
	{ IP, HELO, "u@a12345678901234567890123456789012345678901234567890123456789012.example.test",
	  false, "fail" },
	{ IP, HELO, "u@a...example.test", false, "none" },
	{ IP, "A2345678", "", false, "none" },
	{ IP, "[192.0.2.1]", NULL, false, "none" },
	{ IP, HELO, "u@[192.0.2.1]", false, "none" },
	{ IP, HELO, "@npl.example.test", false, "pass" },	/* %{l} = postmaster */
	{ IP, HELO, "postmaster@npl.example.test", false, "pass" },
	{ "127.0.0.1", HELO, "u@npl.example.test", false, "fail" },
	{ "not-an-ip", HELO, "u@npl.example.test", false, "none" },
	{ IP, HELO, "\"x@y\"@ip-32.example.test", false, "pass" },	/* '@' in the local part */
	/* 3.1, 4.4, 4.5 record lookup and selection */
	{ IP, HELO, "u@hosed.example.test", false, "permerror" },
	{ IP, HELO, "u@timeout.example.test", false, "temperror" },
	{ IP, HELO, "u@servfail.example.test", false, "temperror" },
	{ IP, HELO, "u@nowhere.example.test", false, "none" },
	{ IP, HELO, "u@nospf.example.test", false, "none" },
	{ IP, HELO, "u@empty.example.test", false, "neutral" },
	{ IP, HELO, "u@joined.example.test", false, "none" },
	{ IP, HELO, "u@split.example.test", false, "pass" },
	{ IP, HELO, "u@two.example.test", false, "permerror" },
	{ IP, HELO, "u@mixed.example.test", false, "softfail" },
	{ IP, HELO, "u@spf10.example.test", false, "none" },
	/* 4.6, 4.7, 7.1 evaluation and domain-spec syntax */
	{ IP, HELO, "u@late-error.example.test", false, "permerror" },
	{ IP, HELO, "u@unknown-mod.example.test", false, "pass" },
	{ IP, HELO, "u@slash-mod.example.test", false, "permerror" },
	{ IP, HELO, "u@digit-mod.example.test", false, "permerror" },
	{ IP, HELO, "u@noname-mod.example.test", false, "permerror" },
	{ IP, HELO, "u@redir-unused.example.test", false, "softfail" },
	{ IP, HELO, "u@redir.example.test", false, "fail" },
	{ IP, HELO, "u@default.example.test", false, "neutral" },
	{ IP, HELO, "u@redir-colon.example.test", false, "permerror" },
	{ IP, HELO, "u@badtop.example.test", false, "permerror" },
	{ IP, HELO, "u@numtop.example.test", false, "permerror" },
	{ IP, HELO, "u@dashtop.example.test", false, "permerror" },
	{ IP, HELO, "u@onlytop.example.test", false, "permerror" },
	{ IP, HELO, "u@xn.example.test", false, "pass" },
	{ IP, HELO, "u@emptylabel.example.test", false, "fail" },
	{ IP, HELO, "u@longlabel.example.test", false, "fail" },
	{ IP, HELO, "u@nul.example.test", false, "permerror" },
	/* 5.1 all */
	{ IP, HELO, "u@all-dot.example.test", false, "permerror" },
	{ IP, HELO, "u@all-arg.example.test", false, "permerror" },
	{ IP, HELO, "u@all-cidr.example.test", false, "permerror" },
	{ IP, HELO, "u@all-neutral.example.test", false, "neutral" },
	{ IP, HELO, "u@all-twice.example.test", false, "pass" },
	{ IP, HELO, "u@all-upper.example.test", false, "fail" },
	/* 5.5 ptr */
	{ IP, HELO, "u@ptr-cidr.example.test", false, "permerror" },
	{ IP, HELO, "u@ptr-target.example.test", false, "pass" },
	{ IP, HELO, "u@ptr-implicit.example.test", false, "pass" },
	{ "2001:db8::1", HELO, "u@ptr-implicit.example.test", false, "pass" },
	{ IP, HELO, "u@unvalidated.example.test", false, "fail" },
	{ "192.0.2.2", HELO, "u@ptr-fail.example.test", false, "fail" },
	{ IP, HELO, "u@ptr-empty.example.test", false, "permerror" },
	/* 5.3 a */
	{ IP, HELO, "u@a-c6.example.test", false, "fail" },
	{ IP, HELO, "u@a-bad4.example.test", false, "permerror" },
	{ IP, HELO, "u@a-bad6.example.test", false, "permerror" },
	{ IP, HELO, "u@a-dual.example.test", false, "pass" },
	{ "2001:db8:0:0:ffff::abcd", HELO, "u@a-dual.example.test", false, "pass" },
	{ IP, HELO, "u@a-dualbad.example.test", false, "permerror" },
	{ "2001:db8:0:0:ffff::abcd", HELO, "u@a-only4.example.test", false, "fail" },
	{ IP, HELO, "u@a-port.example.test", false, "permerror" },
	{ IP, HELO, "u@a-multi.example.test", false, "pass" },
	{ IP, HELO, "u@a-nx.example.test", false, "fail" },
	{ IP, HELO, "u@a-zero.example.test", false, "pass" },
	{ "2001:db8::5", HELO, "u@a-zero.example.test", false, "fail" },
	{ IP, HELO, "u@a-zero6.example.test", false, "fail" },
	{ "::ffff:192.0.2.1", HELO, "u@a-zero6.example.test", false, "fail" },
	{ "2001:db8::5", HELO, "u@a-zero6.example.test", false, "pass" },
	{ IP, HELO, "u@a-colon.example.test", false, "pass" },
	{ "::ffff:192.0.2.1", HELO, "u@a-colon.example.test", false, "pass" },
	{ IP, HELO, "u@a-empty.example.test", false, "permerror" },
	{ IP, HELO, "u@a-timeout.example.test", false, "temperror" },
	/* 5.2 include */
	{ IP, HELO, "u@inc-fail.example.test", false, "softfail" },
	{ IP, HELO, "u@inc-soft.example.test", false, "pass" },
	{ IP, HELO, "u@inc-neutral.example.test", false, "fail" },
	{ IP, HELO, "u@inc-temp.example.test", false, "temperror" },
	{ IP, HELO, "u@inc-perm.example.test", false, "permerror" },
	{ IP, HELO, "u@inc-none.example.test", false, "permerror" },
	{ IP, HELO, "u@inc-pass.example.test", false, "fail" },
	{ IP, HELO, "u@inc-bare.example.test", false, "permerror" },
	{ IP, HELO, "u@inc-cidr.example.test", false, "permerror" },
	/* 5.4 mx */
	{ IP, HELO, "u@mx-multi.example.test", false, "pass" },
	{ IP, HELO, "", false, "none" },		/* mail.example.test: no SPF */
	{ IP, HELO, "u@mx-null.example.test", false, "neutral" },
	{ IP, HELO, "u@mx-implicit.example.test", false, "neutral" },
	{ IP, HELO, "u@mx-many.example.test", false, "permerror" },
	{ IP, HELO, "u@mx-zero.example.test", false, "pass" },
	{ "2001:db8::5", HELO, "u@mx-zero.example.test", false, "fail" },
	{ IP, HELO, "u@mx-hosttemp.example.test", false, "temperror" },
	/* 5.7 exists */
	{ IP, HELO, "u@ex.example.test", false, "pass" },
	{ "2001:db8::3", HELO, "u@ex.example.test", false, "pass" },
	{ "2001:db8::3", HELO, "u@ex-six.example.test", false, "fail" },
	{ IP, HELO, "u@ex-empty.example.test", false, "permerror" },
	{ IP, HELO, "u@ex-bare.example.test", false, "permerror" },
	{ IP, HELO, "u@ex-cidr.example.test", false, "permerror" },
	{ IP, HELO, "u@ex-temp.example.test", false, "temperror" },
	/* 5.6 ip4, ip6 */
	{ IP, HELO, "u@ip-zero.example.test", false, "pass" },
	{ IP, HELO, "u@ip-32.example.test", false, "pass" },
	{ "192.0.2.2", HELO, "u@ip-32.example.test", false, "fail" },
	{ IP, HELO, "u@ip-33.example.test", false, "permerror" },
	{ IP, HELO, "u@ip-032.example.test", false, "permerror" },
	{ IP, HELO, "u@ip-lead0.example.test", false, "permerror" },
	{ IP, HELO, "u@ip-bare.example.test", false, "permerror" },
	{ IP, HELO, "u@ip-dual.example.test", false, "permerror" },
	{ IP, HELO, "u@ip-port.example.test", false, "permerror" },
	{ IP, HELO, "u@ip-short.example.test", false, "permerror" },
	{ "::FFFF:192.0.2.1", HELO, "u@ip-mapped.example.test", false, "fail" },
	{ IP, HELO, "u@ip6-zero.example.test", false, "neutral" },
	{ "::ffff:192.0.2.1", HELO, "u@ip6-zero.example.test", false, "neutral" },
	{ "2001:db8:ab::1", HELO, "u@ip6-zero.example.test", false, "pass" },
	{ IP, HELO, "u@ip6-129.example.test", false, "permerror" },
	{ IP, HELO, "u@ip6-dual.example.test", false, "permerror" },
	{ "2001:db8:ffff::1", HELO, "u@ip6-33.example.test", false, "pass" },
	{ "2001:db9::1", HELO, "u@ip6-33.example.test", false, "neutral" },
	{ IP, HELO, "u@ip6-bad.example.test", false, "permerror" },
	/* 6 modifiers */
	{ IP, HELO, "u@exp-twice.example.test", false, "permerror" },
	{ IP, HELO, "u@redir-twice.example.test", false, "permerror" },
	{ IP, HELO, "u@exp-empty.example.test", false, "permerror" },
	{ IP, HELO, "u@exp-notdomain.example.test", false, "permerror" },
	{ IP, HELO, "u@exp-macro.example.test", false, "permerror" },
	{ IP, HELO, "u@redir-empty.example.test", false, "permerror" },
	{ IP, HELO, "u@redir-none.example.test", false, "permerror" },
	{ IP, HELO, "u@redir-nx.example.test", false, "permerror" },
	{ IP, HELO, "u@mod-badmacro.example.test", false, "permerror" },
	{ IP, HELO, "u@mod-default.example.test", false, "neutral" },
	{ IP, HELO, "u@exp-void.example.test", false, "fail" },
	/* 7 macros */
	{ IP, HELO, "u@m-trail.example.test", false, "pass" },
	{ IP, HELO, "u@m-ir.example.test", false, "pass" },
	{ "2001:db8::1", HELO, "u@m-ir.example.test", false, "pass" },
	{ IP, HELO, "philip-gladstone-test@m-dash.example.test", false, "pass" },
	{ IP, HELO, "foo-bar+zip+quux@m-multi.example.test", false, "pass" },
	{ IP, HELO, "u@m-helo.example.test", false, "pass" },
	{ IP, "JUMPIN' JUPITER", "u@m-helo.example.test", false, "fail" },
	{ IP, "[192.0.2.1]", "u@m-helo.example.test", false, "fail" },
	{ IP, HELO, "u@m-undef.example.test", false, "permerror" },
	{ IP, HELO, "u@m-paren.example.test", false, "permerror" },
	{ IP, HELO, "u@m-trailpct.example.test", false, "permerror" },
	{ IP, HELO, "u@m-zero.example.test", false, "permerror" },
	{ IP, HELO, "u@m-mania.example.test", false, "pass" },
	{ IP, HELO, "jack&jill=up@m-upper.example.test", false, "pass" },
	{ IP, HELO, "u@m-so.example.test", false, "pass" },
	{ "192.0.2.3", HELO, "u@m-p.example.test", false, "pass" },
	{ "192.0.2.9", HELO, "u@m-pnone.example.test", false, "pass" },
	{ IP, HELO, "u@m-long.example.test", false, "pass" },
	/* 4.6.4 limits */
	{ IP, HELO, "u@redir-loop.example.test", false, "permerror" },
	{ IP, HELO, "u@inc-loop1.example.test", false, "permerror" },
	{ IP, HELO, "u@at-limit.example.test", false, "pass" },
	{ IP, HELO, "u@over-limit.example.test", false, "permerror" },
	{ IP, HELO, "u@inc-at-limit.example.test", false, "pass" },
	{ IP, HELO, "u@inc-over-limit.example.test", false, "permerror" },
	{ IP, HELO, "u@void-two.example.test", false, "neutral" },
	{ IP, HELO, "u@void-three.example.test", false, "permerror" },
	{ "192.0.2.5", HELO, "u@ptr-limit.example.test", false, "neutral" },
	{ IP, HELO, "u@a-many.example.test", false, "pass" },
	/* 2.3, 2.4 identities */
	{ IP, "helo-only.example.test", "u@nowhere.example.test", true, "pass" },
	{ IP, "helo-only.example.test", NULL, false, "pass" },
	{ "192.0.2.9", "helo-only.example.test", "<>", false, "fail" },
};

static void
test_check_host(void **state)
{
	char what[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_arena *a = mg_arena_new(16384, 0);
		struct fake_dns fd = { .rr = all_rr, .n = nall_rr };
		struct spf_query q = { cases[i].ip, cases[i].helo, cases[i].from,
			cases[i].helo_identity };
		unsigned rounds;
		const struct spf_outcome *o = run_spf(a, &fd, &q, &rounds);

		snprintf(what, sizeof(what), "case %zu %s from %s (problem: %s)", i, cases[i].ip,
		    cases[i].from ? cases[i].from : "NULL", o->problem ? o->problem : "-");
		check_str(what, spf_result_name(o->result), cases[i].want);
		mg_arena_free(a);
	}
	check_failures();
}

/* What the outcome says beside the result, and how the lookups went. */
static void
test_outcome_details(void **state)
{
	static const struct {
		const char *from, *ip;
		const char *want;	/* "sender|mechanism|dns_terms|voids|rounds|lookups" */
	} c[] = {
		{ "u@mx-multi.example.test", IP,
		  "u@mx-multi.example.test|mx:mxs.example.test|1|0|3|5" },
		{ "u@inc-soft.example.test", IP, "u@inc-soft.example.test|all|1|0|2|2" },
		{ "u@inc-pass.example.test", IP,
		  "u@inc-pass.example.test|-include:t-pass.example.test|1|0|2|2" },
		{ "u@void-two.example.test", IP, "u@void-two.example.test|?all|2|2|3|3" },
		{ "", IP, "postmaster@mail.example.test|-|0|0|1|1" },
		{ "u@at-limit.example.test", IP,
		  "u@at-limit.example.test|ip4:192.0.2.1|10|0|5|7" },
	};
	char got[512];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mg_arena *a = mg_arena_new(16384, 0);
		struct fake_dns fd = { .rr = all_rr, .n = nall_rr };
		struct spf_query q = { c[i].ip, HELO, c[i].from, false };
		unsigned rounds;
		const struct spf_outcome *o = run_spf(a, &fd, &q, &rounds);

		snprintf(got, sizeof(got), "%s|%s|%u|%u|%u|%u", o->sender,
		    o->mechanism ? o->mechanism : "-", o->dns_terms, o->void_lookups, rounds,
		    fd.lookups);
		check_str(c[i].from, got, c[i].want);
		mg_arena_free(a);
	}
	check_failures();
}

/* Macro expansion on its own (RFC 7208 7.4 examples). */
static void
test_macros(void **state)
{
	static const struct { const char *in, *want; } c[] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		  "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net" },
		{ "%{S}", "strong-bad%40email.example.com" },
		{ "%%%_%-", "% %20" },
		{ "%{h}%{p}", "mx.example.orgunknown" },
		{ "%{d999r}", "com.example.email" },
	};
	struct spf_macro_env env = { "strong-bad@email.example.com", "strong-bad",
		"email.example.com", "email.example.com", "192.0.2.3", "unknown",
		"mx.example.org", false };
	char out[512];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		bool ends;
		int rc = spf_macro_check(c[i].in, strlen(c[i].in), &ends);
		if (rc == 0)
			rc = spf_macro_expand(c[i].in, strlen(c[i].in), &env, out, sizeof(out));
		check_str(c[i].in, rc == 0 ? out : "(error)", c[i].want);
	}
	/* too long for the output, and the target name tidying */
	assert_int_equal(spf_macro_expand("%{s}%{s}", 8, &env, out, 20), -MG_ELIMIT);
	{
		static const struct { const char *in, *want; } t[] = {
			{ "Example.COM.", "example.com" },
			{ "a..b", "" },
			{ ".", "" },
			{ "x.", "x" },
		};
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			char buf[64];
			snprintf(buf, sizeof(buf), "%s", t[i].in);
			check_str(t[i].in, spf_target_name(buf) ? buf : "", t[i].want);
		}
	}
	check_failures();
}

/* The parser alone: terms kept, modifiers aside. */
static void
test_record_parse(void **state)
{
	static const struct { const char *rec, *want; } c[] = {
		{ "v=spf1", "0" },
		{ "v=spf1   ", "0" },
		{ "v=spf1 +a -mx:x.example/24 ~ptr ?exists:%{i}.x.example ip4:10.0.0.0/8 "
		  "ip6:2001:db8::/32 include:y.example redirect=z.example exp=e.example all",
		  "8 redirect=z.example" },
		{ "v=spf1 a:x.example//64", "1" },
		{ "v=spf1\ta", "error" },
		{ "v=spf1 a\xc3\xa9", "error" },
		{ "spf1 a", "error" },
		{ "v=spf1 a:", "error" },
		{ "v=spf1 mx/", "error" },
		{ "v=spf1 ip4:256.0.0.1", "error" },
		{ "v=spf1 ip6:1::2::3", "error" },
		{ "v=spf1 include:x.example:80", "error" },
		{ "v=spf1 redirect=x.example redirect=y.example", "error" },
		{ "v=spf1 foo=", "0" },
		{ "v=spf1 exp=%{c}.x.example", "error" },
		{ "v=spf1 a:%{d}", "1" },
		{ "v=spf1 a:x.%{d}.", "error" },
	};
	char got[128];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mg_arena *a = mg_arena_new(4096, 0);
		struct spf_record r;
		const char *why;
		int rc = spf_record_parse(a, c[i].rec, strlen(c[i].rec), &r, &why);

		if (rc < 0)
			snprintf(got, sizeof(got), "error");
		else if (r.redirect)
			snprintf(got, sizeof(got), "%zu redirect=%.*s", r.nterms, (int)r.redirect_len,
			    r.redirect);
		else
			snprintf(got, sizeof(got), "%zu", r.nterms);
		check_str(esc(c[i].rec, strlen(c[i].rec)), got, c[i].want);
		mg_arena_free(a);
	}
	check_failures();
}

/* A step with little room asks for what fits and resumes. */
static void
test_small_batches(void **state)
{
	struct mg_arena *a = mg_arena_new(16384, 0);
	struct fake_dns fd = { .rr = all_rr, .n = nall_rr };
	struct spf_query q = { IP, HELO, "u@mx-multi.example.test", false };
	struct spf_eval *ev = spf_eval_new(a, &q);
	unsigned rounds = 0;

	for (;;) {
		struct dns_lookup *b = mg_arena_alloc(a, 4 * sizeof(*b));
		size_t n = 2;	/* two slots already taken by someone else */
		if (spf_eval_step(ev, b, &n, 3))
			break;
		assert_true(n == 3);
		fake_resolve(&fd, b + 2, 1, 0, a);
		rounds++;
	}
	check_str("small batches", spf_result_name(spf_eval_outcome(ev)->result), "pass");
	assert_int_equal(rounds, 5);
	mg_arena_free(a);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_host),
		cmocka_unit_test(test_outcome_details),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_record_parse),
		cmocka_unit_test(test_small_batches),
	};
	return cmocka_run_group_tests(tests, setup_zone, teardown_zone);
}
