package mesh

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/netreach/netreach/internal/policy"
)

// peer is the source of a connection as an enforcement point sees it.
type peer struct {
	// mtls is true when the connection is mutual TLS: only then does the
	// proxy know the source's principal, namespace and trust domain
	// [docs/mesh.md §2.2].
	mtls                                 bool
	principal, namespace, serviceAccount string
	trustDomain                          string
	// ip is the source address; with ipUnknown the proxy sees an address
	// the manifests do not give (a waypoint's pod).
	ip        netip.Addr
	ipUnknown bool
	desc      string
}

// context says which kind of traffic a rule is matched against.
type context uint8

const (
	// ctxHTTP: the proxy parses HTTP requests.
	ctxHTTP context = iota
	// ctxTCP: the proxy sees a byte stream (a port declared as not HTTP,
	// or ztunnel, which works at layer 4 only).
	ctxTCP
)

// flowInfo is what rule matching reads of the connection besides the
// source.
type flowInfo struct {
	port  uint16
	dstIP netip.Addr
}

// HasHTTPOnly reports whether a rule uses a field or condition that only
// HTTP requests have: requestPrincipals, hosts, methods, paths (and their
// not forms) and the request.* conditions [docs/mesh.md §4.4, §4.5].
func HasHTTPOnly(r *policy.MeshRule) bool {
	for _, s := range r.From {
		if len(s.RequestPrincipals)+len(s.NotRequestPrincipals) > 0 {
			return true
		}
	}
	for _, o := range r.To {
		if len(o.Hosts)+len(o.NotHosts)+len(o.Methods)+len(o.NotMethods)+len(o.Paths)+len(o.NotPaths) > 0 {
			return true
		}
	}
	for _, c := range r.When {
		if IsHTTPCondition(c.Key) {
			return true
		}
	}
	return false
}

// IsHTTPCondition reports whether a condition key is an HTTP-only
// attribute (request.headers, request.auth.*).
func IsHTTPCondition(key string) bool { return strings.HasPrefix(key, "request.") }

// matchRule matches one rule of a policy with the given action against a
// connection, in one context. On traffic that is not HTTP an ALLOW (or
// AUDIT) rule that uses HTTP-only fields never matches, while in DENY and
// CUSTOM rules those fields are taken as matching [docs/mesh.md §4.5]. detail explains a result other
// than True.
func matchRule(action policy.MeshAction, r *policy.MeshRule, ctx context, p peer, f flowInfo) (Tri, string) {
	if ctx == ctxTCP && HasHTTPOnly(r) && (action == policy.MeshAllow || action == policy.MeshAudit) {
		return False, "an ALLOW rule with HTTP-only fields never matches traffic that is not HTTP"
	}
	result, detail := True, ""
	note := func(t Tri, why string) {
		if t < result {
			result, detail = t, why
		} else if t == Maybe && result == Maybe && detail == "" {
			detail = why
		}
	}
	if len(r.From) > 0 {
		best, why := False, ""
		for i := range r.From {
			t, w := matchSource(&r.From[i], ctx, p)
			if t > best || why == "" {
				why = w
			}
			best = or(best, t)
		}
		note(best, "from: "+why)
	}
	if len(r.To) > 0 {
		best, why := False, ""
		for i := range r.To {
			t, w := matchOperation(&r.To[i], ctx, f)
			if t > best || why == "" {
				why = w
			}
			best = or(best, t)
		}
		note(best, "to: "+why)
	}
	for i := range r.When {
		t, w := matchCondition(&r.When[i], ctx, p, f)
		note(t, "when: "+w)
	}
	return result, detail
}

// field accumulates the fields of a source or operation (ANDed).
type field struct {
	result Tri
	why    string
}

func (fd *field) add(t Tri, why string) {
	if t < fd.result {
		fd.result, fd.why = t, why
	} else if t == Maybe && fd.why == "" {
		fd.why = why
	}
}

// httpField is the match of an HTTP-only field: it depends on each
// request, except that every HTTP request has a method and a path, so a
// presence match ("*") on them always holds. On a byte stream (only in
// DENY and CUSTOM rules, see matchRule) it is taken as matching.
func httpField(ctx context, name string, values []string, negated, alwaysPresent bool) (Tri, string) {
	if ctx == ctxTCP {
		return True, ""
	}
	if alwaysPresent && slices.Contains(values, "*") {
		if negated {
			return False, fmt.Sprintf("every HTTP request has a %s, so %s [*] never matches", strings.TrimSuffix(strings.TrimPrefix(name, "not"), "s"), name)
		}
		return True, ""
	}
	return Maybe, fmt.Sprintf("%s %v depends on the request", name, values)
}

// identity matches an identity field of the source, which requires mutual
// TLS: without it the positive form never matches and the negative form
// always does.
func identity(p peer, name string, values []string, negated bool, match func(string) bool) (Tri, string) {
	if !p.mtls {
		if negated {
			return True, ""
		}
		return False, fmt.Sprintf("%s %v needs mutual TLS; %s is plaintext", name, values, p.desc)
	}
	ok := false
	for _, v := range values {
		if match(v) {
			ok = true
			break
		}
	}
	if ok == negated {
		return False, fmt.Sprintf("%s %v does not match %s", name, values, p.desc)
	}
	return True, ""
}

// addressIn matches the source address against IP blocks. An address the
// manifests do not give makes the match unknown; a source without any
// address (a workload template) matches no block, as everywhere in
// netreach.
func addressIn(p peer, name string, blocks []netip.Prefix, negated bool) (Tri, string) {
	if p.ipUnknown {
		return Maybe, fmt.Sprintf("%s %v depends on the address of %s", name, blocks, p.desc)
	}
	in := false
	for _, b := range blocks {
		if p.ip.IsValid() && b.Contains(p.ip) {
			in = true
			break
		}
	}
	if in == negated {
		return False, fmt.Sprintf("%s %v does not match the address of %s", name, blocks, p.desc)
	}
	return True, ""
}

// remoteAddressIn matches remoteIpBlocks: for HTTP the remote address
// comes from X-Forwarded-For, which the request sets; on a byte stream it
// is the connection's source address.
func remoteAddressIn(ctx context, p peer, name string, blocks []netip.Prefix, negated bool) (Tri, string) {
	if ctx == ctxHTTP {
		return Maybe, fmt.Sprintf("%s %v depends on the request's X-Forwarded-For header", name, blocks)
	}
	return addressIn(p, name, blocks, negated)
}

// matchSource matches one source (its fields ANDed).
func matchSource(s *policy.MeshSource, ctx context, p peer) (Tri, string) {
	fd := field{result: True}
	str := func(name string, vals []string, neg bool, value string) {
		if len(vals) > 0 {
			fd.add(identity(p, name, vals, neg, func(v string) bool { return MatchString(v, value) }))
		}
	}
	str("principals", s.Principals, false, p.principal)
	str("notPrincipals", s.NotPrincipals, true, p.principal)
	str("namespaces", s.Namespaces, false, p.namespace)
	str("notNamespaces", s.NotNamespaces, true, p.namespace)
	str("trustDomains", s.TrustDomains, false, p.trustDomain)
	str("notTrustDomains", s.NotTrustDomains, true, p.trustDomain)
	exact := func(name string, vals []string, neg bool) {
		if len(vals) > 0 {
			fd.add(identity(p, name, vals, neg, func(v string) bool { return v == p.serviceAccount }))
		}
	}
	exact("serviceAccounts", s.ServiceAccounts, false)
	exact("notServiceAccounts", s.NotServiceAccounts, true)
	if len(s.IPBlocks) > 0 {
		fd.add(addressIn(p, "ipBlocks", s.IPBlocks, false))
	}
	if len(s.NotIPBlocks) > 0 {
		fd.add(addressIn(p, "notIpBlocks", s.NotIPBlocks, true))
	}
	if len(s.RemoteIPBlocks) > 0 {
		fd.add(remoteAddressIn(ctx, p, "remoteIpBlocks", s.RemoteIPBlocks, false))
	}
	if len(s.NotRemoteIPBlocks) > 0 {
		fd.add(remoteAddressIn(ctx, p, "notRemoteIpBlocks", s.NotRemoteIPBlocks, true))
	}
	if len(s.RequestPrincipals) > 0 {
		fd.add(httpField(ctx, "requestPrincipals", s.RequestPrincipals, false, false))
	}
	if len(s.NotRequestPrincipals) > 0 {
		fd.add(httpField(ctx, "notRequestPrincipals", s.NotRequestPrincipals, true, false))
	}
	return fd.result, fd.why
}

// matchOperation matches one operation (its fields ANDed).
func matchOperation(o *policy.MeshOperation, ctx context, f flowInfo) (Tri, string) {
	fd := field{result: True}
	if len(o.Ports) > 0 && !slices.Contains(o.Ports, f.port) {
		fd.add(False, fmt.Sprintf("port %d is not in ports %v", f.port, o.Ports))
	}
	if slices.Contains(o.NotPorts, f.port) {
		fd.add(False, fmt.Sprintf("port %d is in notPorts %v", f.port, o.NotPorts))
	}
	for _, h := range []struct {
		name   string
		vals   []string
		neg    bool
		always bool
	}{
		{"hosts", o.Hosts, false, false}, {"notHosts", o.NotHosts, true, false},
		{"methods", o.Methods, false, true}, {"notMethods", o.NotMethods, true, true},
		{"paths", o.Paths, false, true}, {"notPaths", o.NotPaths, true, true},
	} {
		if len(h.vals) > 0 {
			fd.add(httpField(ctx, h.name, h.vals, h.neg, h.always))
		}
	}
	return fd.result, fd.why
}

// matchCondition matches one when condition: one of values (when given)
// and none of notValues [docs/mesh.md §4.4].
func matchCondition(c *policy.MeshCondition, ctx context, p peer, f flowInfo) (Tri, string) {
	key := c.Key
	switch {
	case IsHTTPCondition(key):
		return httpField(ctx, key, append(append([]string(nil), c.Values...), c.NotValues...), false, false)
	case key == "source.ip":
		return condition(c, func(neg bool, blocks []netip.Prefix) (Tri, string) { return addressIn(p, key, blocks, neg) })
	case key == "remote.ip":
		return condition(c, func(neg bool, blocks []netip.Prefix) (Tri, string) {
			return remoteAddressIn(ctx, p, key, blocks, neg)
		})
	case key == "destination.ip":
		return condition(c, func(neg bool, blocks []netip.Prefix) (Tri, string) {
			in := false
			for _, b := range blocks {
				if f.dstIP.IsValid() && b.Contains(f.dstIP) {
					in = true
				}
			}
			if in == neg {
				return False, fmt.Sprintf("%s %v does not match the destination address", key, blocks)
			}
			return True, ""
		})
	case key == "destination.port":
		port := strconv.Itoa(int(f.port))
		t := True
		if len(c.Values) > 0 && !slices.ContainsFunc(c.Values, func(v string) bool { return samePort(v, port) }) {
			t = False
		}
		if slices.ContainsFunc(c.NotValues, func(v string) bool { return samePort(v, port) }) {
			t = False
		}
		if t == False {
			return False, fmt.Sprintf("%s is %d", key, f.port)
		}
		return True, ""
	case key == "source.namespace", key == "source.principal", key == "source.serviceAccount":
		value := p.namespace
		switch key {
		case "source.principal":
			value = p.principal
		case "source.serviceAccount":
			value = p.serviceAccount
		}
		// Service accounts match exactly, as the serviceAccounts field
		// does; namespaces and principals take patterns.
		match := func(v string) bool { return MatchString(v, value) }
		if key == "source.serviceAccount" {
			match = func(v string) bool { return v == value }
		}
		t := True
		why := ""
		if len(c.Values) > 0 {
			t, why = identity(p, key, c.Values, false, match)
		}
		if len(c.NotValues) > 0 {
			t2, w2 := identity(p, key+" notValues", c.NotValues, true, match)
			if t2 < t {
				t, why = t2, w2
			}
		}
		return t, why
	}
	// connection.sni and experimental.envoy.filters.*: known to the
	// proxy, not to the manifests.
	return Maybe, fmt.Sprintf("%s depends on the connection", key)
}

// samePort compares a port condition value with a port number.
func samePort(v, port string) bool {
	n, err := strconv.ParseUint(v, 10, 16)
	return err == nil && strconv.FormatUint(n, 10) == port
}

// condition matches an address condition's values and notValues.
func condition(c *policy.MeshCondition, match func(neg bool, blocks []netip.Prefix) (Tri, string)) (Tri, string) {
	t, why := True, ""
	if len(c.Prefixes) > 0 {
		t, why = match(false, c.Prefixes)
	}
	if len(c.NotPrefixes) > 0 {
		if t2, w2 := match(true, c.NotPrefixes); t2 < t {
			t, why = t2, w2
		}
	}
	return t, why
}
