package policy

import (
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/selector"
)

// Key returns a canonical text for the peer: two peers with the same key
// match the same entities. It is a cache key for compiled peers.
func (p *Peer) Key() string {
	var b strings.Builder
	if p.Nothing {
		return "nothing"
	}
	writeSet := func(tag string, s *netipx.IPSet) {
		if s == nil {
			return
		}
		b.WriteString(tag)
		for _, r := range s.Ranges() {
			b.WriteString(r.String())
			b.WriteByte(',')
		}
	}
	writeSet("nets:", p.Nets)
	writeSet("notnets:", p.NotNets)
	if p.NetsSkipPods {
		b.WriteString("skippods;")
	}
	writeID := func(tag string, id *Identity) {
		if id == nil {
			return
		}
		b.WriteString(tag)
		b.WriteByte(byte('0' + id.Kinds))
		b.WriteString("|" + id.Namespace + "|")
		for _, s := range []*selector.Selector{id.NamespaceSelector, id.Selector, id.ServiceAccountSelector} {
			if s != nil {
				b.WriteString(s.String())
			} else {
				b.WriteString("<nil>")
			}
			b.WriteByte('|')
		}
		b.WriteString(strings.Join(id.ServiceAccountNames, ","))
		b.WriteByte(';')
	}
	writeID("id:", p.Identity)
	writeID("notid:", p.NotIdentity)
	return b.String()
}
