// Package bench holds netreach's synthetic cluster generator and the
// whole-pipeline benchmarks built on it (see the README,
// "Performance").
//
// # Generator
//
// [Generate] turns a [Config] into a [Cluster]: exactly Config.Pods pods,
// Config.Namespaces namespaces and Config.Policies Kubernetes
// NetworkPolicies, shaped like a real multi-tenant cluster rather than a
// flattering one:
//
//   - shared namespaces kube-system (CoreDNS, k8s-app=kube-dns, ports dns
//     53/UDP and dns-tcp 53/TCP), ingress-nginx and monitoring
//     (Prometheus, Grafana, Alertmanager); application namespaces labelled
//     kubernetes.io/metadata.name, team, env (prod, staging, dev) and a
//     tenant label client=test01, test02, ...;
//   - pods made by Deployments and StatefulSets with skewed replica counts;
//     replicas share app, app.kubernetes.io/*, tier, version and
//     pod-template-hash labels, so they fall into one equivalence class,
//     except where real clusters split them too: StatefulSet pods carry
//     their own pod name label, one Deployment in twenty is mid-rollout
//     with two template hashes, and pods on the dual-stack nodes (one in
//     twenty-five) have an fd00:: address besides their 10.x.y.z one;
//   - containers with named ports (http 8080, grpc 9000, metrics 9090, the
//     data stores' 5432, 3306 and 6379, an istio-proxy sidecar in some
//     namespaces), a service account, a node and a unique pod IP;
//   - policies as application teams write them: default deny (sometimes
//     for egress too, then with a DNS allow), same namespace, from the
//     ingress controller, from Prometheus on the metrics named port,
//     backends to databases with podSelector AND namespaceSelector peers,
//     matchExpressions with In, NotIn, Exists and DoesNotExist, port ranges
//     (endPort), egress to the internet (0.0.0.0/0 except 10.0.0.0/8,
//     192.168.0.0/16 and 169.254.169.254/32) and to database CIDRs in
//     172.16.0.0/16, tenant-wide access by namespaceSelector on the client
//     label; one application namespace in eight has no policy at all.
//
// With Config.Distinct every pod is its own class (the worst case), and
// with Config.Calico a Calico layer of tiers and global policies is added.
// [Cluster.WriteYAML] writes one deterministic multi-document stream and
// [Cluster.WriteDir] a directory of files of at most [ChunkDocuments]
// documents each.
//
// # Benchmarks
//
// The benchmarks in bench_test.go time one stage each, on clusters
// generated and loaded once before the timed loop:
//
//	BenchmarkCompute/pods=1000 … /pods=150000           reachability.Compute, realistic clusters
//	BenchmarkComputeDistinct/pods=1000 … /pods=150000   reachability.Compute, one class per pod
//	BenchmarkComputeCalico/pods=…                       reachability.Compute, Calico mode
//	BenchmarkUpdate/pods=10000, 150000/CHANGE/…         reachability.Update after one change, and Compute
//	BenchmarkLoad/pods=10000                            policy.Loader: YAML to snapshot
//	BenchmarkLoadJSON/pods=10000                        policy.Loader on one JSON List, against encoding/json into any
//	BenchmarkPipeline/pods=10000 … 150000               load + Compute + summary, against a yaml.v3 decode of the same files
//	BenchmarkGenerate/pods=10000                        Generate and WriteYAML
//
// The Compute benchmarks also report the classes, port atoms and external
// atoms of the matrix and its memory: heap-MB, peak-MB, sys-MB and
// result-MB (see benchCompute). The sizes from 50,000 pods (10,000 for
// the worst case) run only with -bench.large; a Compute whose heap passes -bench.maxheap MB
// (default three quarters of the available memory) is cancelled and
// reported as skipped rather than exhausting the machine.
//
//	go test ./internal/bench -run '^$' -bench 'Compute|Load' -benchmem
//	go test ./internal/bench -run '^$' -bench Compute/pods=50000 -bench.large -benchtime 1x
//
// To compare two versions, run the benchmarks with -count 10 into old.txt
// and new.txt and use benchstat, which internal/bench/tools.mod pins as a tool
// without adding it to the module's go.mod:
//
//	go tool -modfile=internal/bench/tools.mod benchstat old.txt new.txt
package bench
