package policy

// CalicoObjects holds the projectcalico.org/v3 objects of a snapshot.
type CalicoObjects struct{}

func (c *CalicoObjects) add(any) bool { return false }

// Present reports whether any projectcalico.org/v3 object was loaded.
func (c *CalicoObjects) Present() bool                  { return false }
func (c *CalicoObjects) sort()                          {}
func (c *CalicoObjects) eachNamespaced(func(ObjectRef)) {}
