package pki

import (
	"crypto/x509"
	"fmt"
	"net"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// The CA's name policy: which names a user may add to the CA's permitted
// subtrees. The CA is trusted by the whole machine, so its constraints must
// never reach names the developer does not own: a public suffix (com,
// co.uk, github.io …; ICANN and private sections of the Public Suffix List)
// would let the CA sign for every site under it.

// localInstead and useInstead are what messages suggest in place of a
// public name.
const (
	localInstead = "a name under .test or .internal (api.test, *.svc.internal)"
	useInstead   = "use " + localInstead + ", or a name under a domain you own (dev.example.com)"
)

// NameError is a name esbtui refuses, with where it came from when known
// (an esb.yaml line, --name).
type NameError struct {
	Name string
	// Origin is where the name was given ("/proj/esb.yaml:4", "--name"), or "".
	Origin string
	Why    string
}

func (e *NameError) Error() string {
	if e.Origin != "" {
		return fmt.Sprintf("pki: %s: name %q: %s", e.Origin, e.Name, e.Why)
	}
	return fmt.Sprintf("pki: name %q: %s", e.Name, e.Why)
}

// publicSuffixOf reports whether the DNS name (lower case, no trailing dot;
// a leading "*." or "." means "this name and everything under it") is, or
// wildcards over, a public suffix, and which one.
func publicSuffixOf(name string) (suffix string, ok bool) {
	base := strings.TrimPrefix(strings.TrimPrefix(name, "*"), ".")
	if base == "" {
		return "", false
	}
	if ps, icann := publicsuffix.PublicSuffix(base); ps == base && (icann || strings.Contains(ps, ".")) {
		return ps, true
	}
	// A wildcard rule (*.ck, *.kawasaki.jp): every child of base is itself
	// a public suffix, so base is as public as a TLD. An unlisted single
	// label (myhost, corp) only matches the default rule and stays allowed.
	probe := "esbtui-probe." + base
	if ps, _ := publicsuffix.PublicSuffix(probe); ps == probe {
		return base, true
	}
	return "", false
}

// refusePublicSuffix is the CA policy's refusal: a public suffix, or a
// wildcard of one, is never a name esbtui signs or permits.
func refusePublicSuffix(name string) error {
	ps, ok := publicSuffixOf(name)
	if !ok {
		return nil
	}
	return fmt.Errorf("%s is a public suffix (anyone can register names under it): a CA permitted for it could sign any site under it, such as www.example.%s, for every machine that trusts it, so esbtui refuses it; %s", ps, ps, useInstead)
}

// registrableDomain is the domain a DNS constraint hands to the CA when
// it lies under a public suffix ("" for names outside the public DNS:
// localhost, .test, an unlisted single label).
func registrableDomain(constraint string) string {
	ps, icann := publicsuffix.PublicSuffix(constraint)
	if !icann && !strings.Contains(ps, ".") {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(constraint)
	if err != nil {
		return ""
	}
	return d
}

// wideningWarnings says, for each extra name a new CA will permit beyond
// the local defaults, what a leaked rootCA.key could then sign.
func wideningWarnings(extra Names) []string {
	var out []string
	defDNS, defNets := constraintsFor(Names{})
	for _, d := range extra.DNS {
		if dnsPermitted(defDNS, d) {
			continue
		}
		c := strings.TrimPrefix(d, "*.")
		if reg := registrableDomain(c); reg != "" {
			out = append(out, fmt.Sprintf("%s is a public DNS name (under the registrable domain %s): the new CA may sign %s and every name under it; if %s leaks, those names can be impersonated to every machine that trusts this CA; if you do not need a public name, use %s", d, reg, c, CAKeyFile, localInstead))
		}
	}
	for _, ip := range extra.IPs {
		if ipPermitted(defNets, ip) {
			continue
		}
		out = append(out, fmt.Sprintf("%s is a public IP address: the new CA may sign for it; if %s leaks, a server at that address can be impersonated to every machine that trusts this CA (fine for a remote dev box you control)", ip, CAKeyFile))
	}
	return out
}

// refuseIP is the CA policy for IP literals: an address no client dials
// (unspecified, multicast) is never a name.
func refuseIP(ip net.IP) error {
	switch {
	case ip.IsUnspecified():
		return fmt.Errorf("%s is the unspecified address, not one a client connects to; give the address clients use (127.0.0.1, the machine's LAN or public address)", ip)
	case ip.IsMulticast():
		return fmt.Errorf("%s is a multicast address; give the address clients use", ip)
	}
	return nil
}

// constraintGaps lists why a CA certificate's name constraints do not keep
// it to names a developer owns: none at all, or a public suffix permitted.
func constraintGaps(c *x509.Certificate) []string {
	var out []string
	if len(c.PermittedDNSDomains) == 0 {
		out = append(out, "not name-constrained for DNS names: if its key leaks it can sign for any site (esbtui's CAs permit only local names)")
	}
	if len(c.PermittedIPRanges) == 0 {
		out = append(out, "not name-constrained for IP addresses: if its key leaks it can sign for any address (esbtui's CAs permit only private ranges)")
	}
	_, private := constraintsFor(Names{})
	for _, r := range c.PermittedIPRanges {
		ones, bits := r.Mask.Size()
		if ones != bits && !rangeWithin(private, r) {
			out = append(out, fmt.Sprintf("permits the public address range %s: if its key leaks it can sign for every address in it (esbtui's CAs permit single public addresses only)", r))
		}
	}
	for _, d := range c.PermittedDNSDomains {
		if ps, ok := publicSuffixOf(strings.ToLower(d)); ok {
			out = append(out, fmt.Sprintf("permits the public suffix %s: if its key leaks it can sign for every site under .%s", ps, ps))
		}
	}
	return out
}

// rangeWithin reports whether r lies inside one of nets.
func rangeWithin(nets []*net.IPNet, r *net.IPNet) bool {
	ones, _ := r.Mask.Size()
	for _, n := range nets {
		nOnes, _ := n.Mask.Size()
		if n.Contains(r.IP) && nOnes <= ones && len(n.IP) == len(r.IP) {
			return true
		}
	}
	return false
}
