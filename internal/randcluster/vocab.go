package randcluster

import "slices"

// Vocabulary is the set of names random clusters draw from, so that a test
// can generate further objects (a new pod, say) that the cluster's
// selectors and rules can match.
type Vocabulary struct {
	LabelKeys, LabelValues []string
	PortNames              []string
	// CIDRs are the IPv4 blocks of Kubernetes ipBlocks and cluster-wide
	// networks; CalicoNets also has Calico's nets (IPv6 too).
	CIDRs, CalicoNets []string
	// Nodes are the node names pods run on.
	Nodes []string
}

// Words returns the vocabulary (copies).
func Words() Vocabulary {
	return Vocabulary{
		LabelKeys: slices.Clone(labelKeys), LabelValues: slices.Clone(labelValues),
		PortNames: slices.Clone(portNames),
		CIDRs:     slices.Clone(cidrs), CalicoNets: slices.Clone(calicoNets),
		Nodes: []string{"n1", "n2"},
	}
}
