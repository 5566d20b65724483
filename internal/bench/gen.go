package bench

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Config sizes a synthetic cluster. Every zero field takes the default
// documented on it, so the zero Config is valid (a 1,000-pod cluster).
type Config struct {
	// Pods is the exact number of pods; 0 means 1000.
	Pods int
	// Namespaces is the exact number of namespaces, counting the three
	// shared ones (kube-system, ingress-nginx, monitoring); 0 means
	// max(4, Pods/20). Values from 1 to 3 are raised to 4, the smallest
	// cluster with one application namespace.
	Namespaces int
	// Policies is the exact number of NetworkPolicy objects; 0 means
	// max(1, 3*Pods/10).
	Policies int
	// Calico adds a Calico layer (projectcalico.org/v3 Tiers,
	// GlobalNetworkPolicies and namespaced NetworkPolicies, see
	// Cluster.Calico) on top of the Kubernetes objects, which stay exactly
	// as without it; netreach then evaluates the cluster in Calico mode.
	Calico bool
	// Mesh adds Istio security objects (PeerAuthentications and
	// AuthorizationPolicies, see Cluster.Mesh) for the namespaces with
	// sidecar injection; netreach then evaluates the mesh layer too.
	Mesh bool
	// Distinct makes the worst case for equivalence classes: every pod
	// gets a unique label (pod-id), and about half of the per-workload
	// policies use ipBlocks over individual pod addresses (/32s, and /26
	// to /28 CIDRs over pod ranges with the pod excepted), so no two pods
	// collapse into one class. The counts stay exact.
	Distinct bool
	// Seed selects the cluster; the same Config always yields the same
	// cluster, byte for byte.
	Seed uint64
}

// withDefaults fills in the zero fields.
func (c Config) withDefaults() Config {
	if c.Pods < 0 || c.Namespaces < 0 || c.Policies < 0 {
		panic(fmt.Sprintf("bench.Generate: negative size in %+v", c))
	}
	if c.Pods == 0 {
		c.Pods = 1000
	}
	if c.Namespaces == 0 {
		c.Namespaces = c.Pods / 20
	}
	c.Namespaces = max(c.Namespaces, len(sharedNamespaces)+1)
	if c.Policies == 0 {
		c.Policies = max(1, 3*c.Pods/10)
	}
	return c
}

// Cluster is a generated cluster: Kubernetes objects ready to be written
// as manifests. The objects are typed (k8s.io/api) and complete enough to
// load without any diagnostic. Generate builds a fresh Cluster whose
// objects the caller may modify; WriteYAML and WriteDir only read it.
type Cluster struct {
	// Config is the configuration the cluster was generated from, with
	// defaults filled in.
	Config Config
	// Namespaces lists the namespaces: the shared ones first, then the
	// application namespaces.
	Namespaces []*corev1.Namespace
	// Pods lists the pods, grouped by namespace and workload.
	Pods []*corev1.Pod
	// NetworkPolicies lists exactly Config.Policies policies.
	NetworkPolicies []*networkingv1.NetworkPolicy
	// Calico lists the projectcalico.org/v3 objects when Config.Calico is
	// set, as generic documents (what encoding/json makes of them is the
	// manifest): two Tiers (security and platform, both passing undecided
	// traffic on), GlobalNetworkPolicies (cloud metadata denied, quarantine,
	// one tenant isolation policy per client label, DNS and monitoring
	// allowed), and namespaced NetworkPolicies in one application namespace
	// in ten. They come in addition to the Config.Policies Kubernetes
	// NetworkPolicies.
	Calico []map[string]any
	// Mesh lists the security.istio.io objects when Config.Mesh is set, as
	// generic documents.
	Mesh []map[string]any
}

// Names of the shared namespaces every cluster has.
const (
	nsKubeSystem = "kube-system"
	nsIngress    = "ingress-nginx"
	nsMonitoring = "monitoring"
)

var sharedNamespaces = []string{nsKubeSystem, nsIngress, nsMonitoring}

// Label keys used throughout.
const (
	lblNSName    = "kubernetes.io/metadata.name"
	lblApp       = "app"
	lblName      = "app.kubernetes.io/name"
	lblInstance  = "app.kubernetes.io/instance"
	lblComponent = "app.kubernetes.io/component"
	lblPartOf    = "app.kubernetes.io/part-of"
	lblTier      = "tier"
	lblVersion   = "version"
	lblHash      = "pod-template-hash"
	lblPodID     = "pod-id"
	lblTeam      = "team"
	lblEnv       = "env"
	lblClient    = "client"
)

// portSpec is one named container port.
type portSpec struct {
	name  string
	port  int32
	proto corev1.Protocol
}

func tcp(name string, port int32) portSpec { return portSpec{name, port, corev1.ProtocolTCP} }

// archetype is a kind of workload found in application namespaces.
type archetype struct {
	app, component, tier string
	stateful             bool
	ports                []portSpec
	dbPort               int32 // the port clients connect to, for data stores
	weight               int
}

var (
	portHTTP    = tcp("http", 8080)
	portMetrics = tcp("metrics", 9090)
	portGRPC    = tcp("grpc", 9000)
)

// archetypes are the application workloads, with relative weights.
var archetypes = []archetype{
	{app: "frontend", component: "frontend", tier: "web", ports: []portSpec{portHTTP, portMetrics}, weight: 6},
	{app: "web", component: "frontend", tier: "web", ports: []portSpec{portHTTP, portMetrics}, weight: 3},
	{app: "api-gateway", component: "gateway", tier: "api", ports: []portSpec{portHTTP, portGRPC, portMetrics}, weight: 3},
	{app: "orders", component: "backend", tier: "api", ports: []portSpec{portHTTP, portGRPC, portMetrics}, weight: 4},
	{app: "cart", component: "backend", tier: "api", ports: []portSpec{portHTTP, portMetrics}, weight: 3},
	{app: "catalog", component: "backend", tier: "api", ports: []portSpec{portHTTP, portGRPC, portMetrics}, weight: 3},
	{app: "billing", component: "backend", tier: "api", ports: []portSpec{portGRPC, portMetrics}, weight: 3},
	{app: "auth", component: "backend", tier: "api", ports: []portSpec{portHTTP, portGRPC, portMetrics}, weight: 3},
	{app: "search", component: "backend", tier: "api", ports: []portSpec{portHTTP, portMetrics}, weight: 2},
	{app: "notifications", component: "backend", tier: "api", ports: []portSpec{portHTTP, portMetrics}, weight: 2},
	{app: "worker", component: "worker", tier: "worker", ports: []portSpec{portMetrics}, weight: 4},
	{app: "scheduler", component: "worker", tier: "worker", ports: []portSpec{portMetrics}, weight: 1},
	{app: "postgres", component: "database", tier: "data", stateful: true, ports: []portSpec{tcp("tcp-postgresql", 5432), tcp("metrics", 9187)}, dbPort: 5432, weight: 3},
	{app: "mysql", component: "database", tier: "data", stateful: true, ports: []portSpec{tcp("mysql", 3306), tcp("metrics", 9104)}, dbPort: 3306, weight: 2},
	{app: "redis", component: "cache", tier: "data", stateful: true, ports: []portSpec{tcp("redis", 6379), tcp("metrics", 9121)}, dbPort: 6379, weight: 3},
}

var archetypeWeight = func() int {
	n := 0
	for _, a := range archetypes {
		n += a.weight
	}
	return n
}()

// sharedWorkload is a platform workload of a shared namespace.
type sharedWorkload struct {
	ns, app    string
	stateful   bool
	labels     map[string]string // besides pod-template-hash
	sa         string
	ports      []portSpec
	replicasOf func(pods int) int
}

func fixed(n int) func(int) int { return func(int) int { return n } }

var sharedWorkloads = []sharedWorkload{
	{ns: nsKubeSystem, app: "coredns", labels: map[string]string{"k8s-app": "kube-dns"}, sa: "coredns",
		ports:      []portSpec{{"dns", 53, corev1.ProtocolUDP}, tcp("dns-tcp", 53), tcp("metrics", 9153)},
		replicasOf: func(p int) int { return 2 + p/10000 }},
	{ns: nsIngress, app: "ingress-nginx-controller", sa: "ingress-nginx",
		labels:     map[string]string{lblName: "ingress-nginx", lblInstance: "ingress-nginx", lblComponent: "controller"},
		ports:      []portSpec{tcp("http", 80), tcp("https", 443), tcp("metrics", 10254), tcp("webhook", 8443)},
		replicasOf: func(p int) int { return 2 + p/20000 }},
	{ns: nsMonitoring, app: "prometheus-k8s", stateful: true, sa: "prometheus-k8s",
		labels: map[string]string{lblName: "prometheus", lblInstance: "k8s", lblComponent: "prometheus"},
		ports:  []portSpec{tcp("web", 9090)}, replicasOf: func(p int) int { return 1 + p/75000 }},
	{ns: nsKubeSystem, app: "metrics-server", labels: map[string]string{"k8s-app": "metrics-server"}, sa: "metrics-server",
		ports: []portSpec{tcp("https", 10250)}, replicasOf: fixed(1)},
	{ns: nsMonitoring, app: "grafana", sa: "grafana",
		labels: map[string]string{lblName: "grafana", lblComponent: "grafana"},
		ports:  []portSpec{tcp("http", 3000)}, replicasOf: fixed(1)},
	{ns: nsMonitoring, app: "alertmanager-main", stateful: true, sa: "alertmanager-main",
		labels: map[string]string{lblName: "alertmanager", lblInstance: "main", lblComponent: "alert-router"},
		ports:  []portSpec{tcp("web", 9093), tcp("reloader-web", 8080)}, replicasOf: fixed(1)},
	{ns: nsMonitoring, app: "kube-state-metrics", sa: "kube-state-metrics",
		labels: map[string]string{lblName: "kube-state-metrics", lblComponent: "exporter"},
		ports:  []portSpec{tcp("http-metrics", 8080), tcp("telemetry", 8081)}, replicasOf: fixed(1)},
}

var (
	teams   = []string{"payments", "checkout", "search", "identity", "catalog", "platform-apps", "data", "growth", "mobile", "risk", "ads", "support", "logistics", "media", "infra-tools", "analytics"}
	envs    = []string{"prod", "prod", "staging", "staging", "dev", "dev", "dev"}
	podSecs = []string{"baseline", "restricted", "privileged"}
)

// nsInfo is a namespace being generated.
type nsInfo struct {
	obj                *corev1.Namespace
	name               string
	team, env, client  string
	teamIdx            int
	lockdown, istio    bool // default-deny egress; istio sidecars
	sameNS, sameClient bool // policy habits of the namespace's owners
	weight             int  // share of the policies; 0 leaves it unprotected
	workloads          []*workload
	quota              int // number of policies
}

// workload is a Deployment or StatefulSet with its pods.
type workload struct {
	arch  *archetype
	name  string
	sa    string
	pods  []*corev1.Pod
	first int // global index of the first pod (into gen.ips)
	index int // within the namespace
}

// node is a worker node: its name and pod CIDRs.
type node struct {
	name string
	used int
	dual bool
}

// gen carries the generator's state.
type gen struct {
	cfg   Config
	r     *rand.Rand
	c     *Cluster
	nodes []node
	nss   []*nsInfo
	byNS  map[string]*nsInfo
	podN  int // pods created so far (pod-id in Distinct mode)
	ips   []podAddr
}

// podAddr records a pod's addresses for ipBlock policies in Distinct mode.
type podAddr struct {
	v4, v6 netip.Addr
}

// Generate returns the cluster described by cfg. It is deterministic: the
// same cfg (after defaults) always gives the same objects. Generate takes
// about 10 µs per pod (1.5 s and 650 MB of heap for 150,000 pods);
// writing the manifests (see [Cluster.WriteYAML]) costs about as much
// again. It panics if a size in cfg is negative.
func Generate(cfg Config) *Cluster {
	cfg = cfg.withDefaults()
	g := &gen{
		cfg:  cfg,
		r:    rand.New(rand.NewPCG(cfg.Seed, 0x6e65747265616368)), // "netreach"
		c:    &Cluster{Config: cfg},
		byNS: map[string]*nsInfo{},
	}
	nNodes := max(3, (cfg.Pods+99)/100)
	g.nodes = make([]node, nNodes)
	for i := range g.nodes {
		ip := nodeIP(i)
		g.nodes[i] = node{name: fmt.Sprintf("ip-%d-%d-%d-%d.ec2.internal", ip[0], ip[1], ip[2], ip[3]), dual: g.r.IntN(25) == 0}
	}
	g.namespaces()
	g.pods()
	g.policies()
	if cfg.Calico {
		g.calico()
	}
	if cfg.Mesh {
		g.mesh()
	}
	return g.c
}

// namespaces creates the shared namespaces and the application ones.
func (g *gen) namespaces() {
	for _, name := range sharedNamespaces {
		info := &nsInfo{name: name, team: "platform"}
		labels := map[string]string{lblNSName: name}
		switch name {
		case nsIngress:
			labels[lblName] = "ingress-nginx"
			labels[lblInstance] = "ingress-nginx"
			labels[lblTeam] = "platform"
		case nsMonitoring:
			labels["name"] = "monitoring"
			labels[lblTeam] = "platform"
		}
		info.obj = namespaceObj(name, labels)
		g.addNS(info)
	}
	tenants := g.cfg.Namespaces - len(sharedNamespaces)
	clients := max(1, tenants/8)
	seen := map[string]int{}
	for i := 0; i < tenants; i++ {
		ti := g.r.IntN(len(teams))
		info := &nsInfo{
			team:       teams[ti],
			teamIdx:    ti,
			env:        envs[g.r.IntN(len(envs))],
			client:     fmt.Sprintf("test%02d", 1+g.r.IntN(clients)),
			lockdown:   g.r.IntN(100) < 35,
			istio:      g.r.IntN(100) < 15,
			sameNS:     g.r.IntN(100) < 60,
			sameClient: g.r.IntN(100) < 30,
		}
		base := info.team + "-" + info.env
		if clients > 1 {
			base = info.client + "-" + base
		}
		seen[base]++
		info.name = base
		if n := seen[base]; n > 1 {
			info.name = fmt.Sprintf("%s-%d", base, n)
		}
		labels := map[string]string{
			lblNSName:                            info.name,
			lblTeam:                              info.team,
			lblEnv:                               info.env,
			lblClient:                            info.client,
			"pod-security.kubernetes.io/enforce": podSecs[g.r.IntN(len(podSecs))],
		}
		if info.istio {
			labels["istio-injection"] = "enabled"
		}
		// About one application namespace in eight has no policy at all.
		if g.r.IntN(8) != 0 {
			info.weight = 4
		}
		info.obj = namespaceObj(info.name, labels)
		g.addNS(info)
	}
}

func (g *gen) addNS(info *nsInfo) {
	if g.byNS[info.name] != nil {
		panic("bench: duplicate namespace " + info.name) // cannot happen: names are made unique above
	}
	g.byNS[info.name] = info
	g.nss = append(g.nss, info)
	g.c.Namespaces = append(g.c.Namespaces, info.obj)
}

func namespaceObj(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
	}
}

// pods fills the shared namespaces with platform workloads, then spreads
// the remaining pods over the application namespaces with skewed sizes.
func (g *gen) pods() {
	left := g.cfg.Pods
	for i := range sharedWorkloads {
		sw := &sharedWorkloads[i]
		n := min(left, sw.replicasOf(g.cfg.Pods))
		if n == 0 {
			break
		}
		left -= n
		ns := g.byNS[sw.ns]
		labels := map[string]string{}
		for k, v := range sw.labels {
			labels[k] = v
		}
		arch := &archetype{app: sw.app, stateful: sw.stateful, ports: sw.ports}
		g.workload(ns, arch, sw.app, sw.sa, labels, n)
	}
	tenants := g.nss[len(sharedNamespaces):]
	weights := make([]int, len(tenants))
	for i := range weights {
		// Skewed sizes: most namespaces are small, a few are large.
		switch x := g.r.IntN(20); {
		case x == 0:
			weights[i] = 24 + g.r.IntN(24)
		case x < 5:
			weights[i] = 6 + g.r.IntN(8)
		default:
			weights[i] = 1 + g.r.IntN(5)
		}
	}
	for i, n := range apportion(left, weights) {
		g.fillNamespace(tenants[i], n)
	}
}

// apportion splits total into parts proportional to weights (largest
// remainder, ties to the lower index), in integer arithmetic so that the
// result is the same on every platform.
func apportion(total int, weights []int) []int {
	out := make([]int, len(weights))
	sum := 0
	for _, w := range weights {
		sum += w
	}
	if sum == 0 || total == 0 {
		return out
	}
	given := 0
	rems := make([]int, len(weights))
	for i, w := range weights {
		q := total * w
		out[i] = q / sum
		rems[i] = q % sum
		given += out[i]
	}
	for given < total {
		best := -1
		for i, r := range rems {
			if weights[i] > 0 && (best < 0 || r > rems[best]) {
				best = i
			}
		}
		out[best]++
		rems[best] = -1
		given++
	}
	return out
}

// fillNamespace adds application workloads with n pods in total.
func (g *gen) fillNamespace(ns *nsInfo, n int) {
	used := map[string]int{}
	for n > 0 {
		a := g.pickArchetype(len(ns.workloads))
		name := a.app
		used[name]++
		if k := used[name]; k > 1 {
			name = fmt.Sprintf("%s-%d", name, k)
		}
		var replicas int
		switch {
		case a.stateful:
			replicas = 1 + 2*g.r.IntN(2) // 1 or 3
		case g.r.IntN(10) == 0:
			replicas = 5 + g.r.IntN(16)
		default:
			replicas = 1 + g.r.IntN(4)
		}
		replicas = min(replicas, n)
		n -= replicas
		sa := "default"
		if g.r.IntN(10) < 7 {
			sa = name
		}
		version := "v" + strconv.Itoa(1+g.r.IntN(3))
		labels := map[string]string{
			lblApp:       name,
			lblName:      name,
			lblInstance:  name + "-" + ns.env,
			lblComponent: a.component,
			lblPartOf:    ns.team,
			lblTier:      a.tier,
			lblVersion:   version,
		}
		g.workload(ns, a, name, sa, labels, replicas)
	}
}

// pickArchetype picks an application workload; the first two of a
// namespace are a frontend and a backend, as most namespaces have.
func (g *gen) pickArchetype(i int) *archetype {
	switch i {
	case 0:
		return &archetypes[0]
	case 1:
		return &archetypes[3]
	}
	x := g.r.IntN(archetypeWeight)
	for k := range archetypes {
		if x < archetypes[k].weight {
			return &archetypes[k]
		}
		x -= archetypes[k].weight
	}
	panic("unreachable")
}

// Alphabet of the random suffixes Kubernetes controllers generate.
const suffixAlphabet = "bcdfghjklmnpqrstvwxz2456789"

func (g *gen) suffix(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = suffixAlphabet[g.r.IntN(len(suffixAlphabet))]
	}
	return string(b)
}

// uid returns a random version-4 UUID.
func (g *gen) uid() types.UID {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], g.r.Uint64())
	binary.LittleEndian.PutUint64(b[8:], g.r.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return types.UID(s[:])
}

var (
	reqCPU = resource.MustParse("100m")
	reqMem = resource.MustParse("128Mi")
	limMem = resource.MustParse("512Mi")
)

// workload adds a Deployment's or StatefulSet's pods. labels are the pod
// template labels without the controller's own (pod-template-hash,
// controller-revision-hash, statefulset pod name).
func (g *gen) workload(ns *nsInfo, a *archetype, name, sa string, labels map[string]string, replicas int) {
	w := &workload{arch: a, name: name, sa: sa, first: g.podN, index: len(ns.workloads)}
	ns.workloads = append(ns.workloads, w)
	hash := g.suffix(10)
	// One Deployment in twenty is in the middle of a rolling update: its
	// older pods carry the previous template hash and version.
	split := 0
	if !a.stateful && replicas >= 2 && g.r.IntN(20) == 0 {
		split = replicas / 2
	}
	oldHash := g.suffix(10)
	ownerKind := "ReplicaSet"
	if a.stateful {
		ownerKind = "StatefulSet"
	}
	ownerUIDs := [2]types.UID{g.uid(), g.uid()}
	seen := map[string]bool{}
	image := fmt.Sprintf("registry.example.com/%s/%s:1.%d.%d", ns.team, a.app, g.r.IntN(20), g.r.IntN(10))
	for i := 0; i < replicas; i++ {
		pl := make(map[string]string, len(labels)+3)
		for k, v := range labels {
			pl[k] = v
		}
		var podName, owner string
		ownerUID := ownerUIDs[0]
		if a.stateful {
			podName = fmt.Sprintf("%s-%d", name, i)
			owner = name
			pl["controller-revision-hash"] = name + "-" + hash
			pl["statefulset.kubernetes.io/pod-name"] = podName
			pl["apps.kubernetes.io/pod-index"] = strconv.Itoa(i)
		} else {
			h := hash
			if i < split {
				h, ownerUID = oldHash, ownerUIDs[1]
				if v, ok := pl[lblVersion]; ok {
					pl[lblVersion] = v + "-prev"
				}
			}
			pl[lblHash] = h
			owner = name + "-" + h
			for {
				podName = owner + "-" + g.suffix(5)
				if !seen[podName] {
					break
				}
			}
			seen[podName] = true
		}
		if g.cfg.Distinct {
			pl[lblPodID] = strconv.Itoa(g.podN)
		}
		pod := g.pod(ns, w, podName, pl, image)
		pod.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: "apps/v1", Kind: ownerKind, Name: owner, UID: ownerUID,
			Controller: ptr(true), BlockOwnerDeletion: ptr(true),
		}}
		w.pods = append(w.pods, pod)
		g.c.Pods = append(g.c.Pods, pod)
	}
}

// pod builds one running pod on a random node.
func (g *gen) pod(ns *nsInfo, w *workload, name string, labels map[string]string, image string) *corev1.Pod {
	n := g.placeOnNode()
	nd := &g.nodes[n]
	nd.used++
	v4 := netip.AddrFrom4([4]byte{10, byte(64 + n/256), byte(n % 256), byte(1 + nd.used)})
	ips := []corev1.PodIP{{IP: v4.String()}}
	addr := podAddr{v4: v4}
	if nd.dual {
		v6 := netip.MustParseAddr(fmt.Sprintf("fd00:10:%x:%x::%x", 64+n/256, n%256, 1+nd.used))
		ips = append(ips, corev1.PodIP{IP: v6.String()})
		addr.v6 = v6
	}
	g.ips = append(g.ips, addr)
	g.podN++

	var ports []corev1.ContainerPort
	for _, p := range w.arch.ports {
		ports = append(ports, corev1.ContainerPort{Name: p.name, ContainerPort: p.port, Protocol: p.proto})
	}
	containers := []corev1.Container{{
		Name:  w.arch.app,
		Image: image,
		Ports: ports,
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: reqCPU, corev1.ResourceMemory: reqMem},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: limMem},
		},
		ImagePullPolicy: corev1.PullIfNotPresent,
	}}
	if ns.istio {
		containers = append(containers, corev1.Container{
			Name:  "istio-proxy",
			Image: "docker.io/istio/proxyv2:1.24.2",
			Ports: []corev1.ContainerPort{{Name: "http-envoy-prom", ContainerPort: 15090, Protocol: corev1.ProtocolTCP}},
		})
	}
	hostIP := netip.AddrFrom4(nodeIP(n)).String()
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: ns.name,
			Labels:    labels,
			UID:       g.uid(),
		},
		Spec: corev1.PodSpec{
			Containers:         containers,
			ServiceAccountName: w.sa,
			NodeName:           nd.name,
			RestartPolicy:      corev1.RestartPolicyAlways,
			DNSPolicy:          corev1.DNSClusterFirst,
		},
		Status: corev1.PodStatus{
			Phase:   corev1.PodRunning,
			HostIP:  hostIP,
			HostIPs: []corev1.HostIP{{IP: hostIP}},
			PodIP:   v4.String(),
			PodIPs:  ips,
		},
	}
}

// nodeIP returns the address of node n, in 192.168.0.0/16.
func nodeIP(n int) [4]byte { return [4]byte{192, 168, byte(n / 200), byte(10 + n%200)} }

// placeOnNode picks a random node with room (at most 250 pods, the size
// of its /24 pod CIDR).
func (g *gen) placeOnNode() int {
	n := g.r.IntN(len(g.nodes))
	for g.nodes[n].used >= 250 {
		n = (n + 1) % len(g.nodes)
	}
	return n
}

func ptr[T any](v T) *T { return &v }
