package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/netreach/netreach/internal/fakeapi"
	"github.com/netreach/netreach/internal/live"
	"github.com/netreach/netreach/internal/policy"
)

// bigCluster writes a recorded cluster of n pods in 50 namespaces: the
// discovery documents of the shop cluster and a pod list.
func bigCluster(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	for _, f := range []string{"api.json", "api/v1.json"} {
		data, err := os.ReadFile(filepath.Join(shop, f))
		if err != nil {
			b.Fatal(err)
		}
		put(b, filepath.Join(dir, f), data)
	}
	put(b, filepath.Join(dir, "apis.json"), []byte(`{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`))
	items := make([]any, n)
	for i := range items {
		ns := fmt.Sprintf("ns-%d", i%50)
		items[i] = map[string]any{
			"metadata": map[string]any{"name": fmt.Sprintf("pod-%d", i), "namespace": ns, "uid": fmt.Sprint(i),
				"labels":        map[string]string{"app": fmt.Sprintf("app-%d", i%200), "tier": "web"},
				"managedFields": []any{map[string]any{"manager": "kubelet", "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": map[string]any{"f:status": map[string]any{}}}}},
			"spec": map[string]any{"nodeName": "worker-1", "containers": []any{map[string]any{"name": "main", "image": "app:1",
				"ports": []any{map[string]any{"name": "http", "containerPort": 8080, "protocol": "TCP"}}}}},
			"status": map[string]any{"phase": "Running", "podIP": fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
				"podIPs": []any{map[string]any{"ip": fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}}},
		}
	}
	data, err := json.Marshal(map[string]any{"kind": "PodList", "apiVersion": "v1", "metadata": map[string]any{}, "items": items})
	if err != nil {
		b.Fatal(err)
	}
	put(b, filepath.Join(dir, "api/v1/pods.json"), data)
	return dir
}

func put(b *testing.B, path string, data []byte) {
	b.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
}

// bigServer serves a cluster of 10,000 pods and returns a client of it
// without client-side rate limits.
func bigServer(b *testing.B) *live.Cluster {
	b.Helper()
	s := fakeapi.Start(b, bigCluster(b, 10000))
	c, err := live.New(&rest.Config{Host: s.URL, QPS: -1}, "bench", live.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkLoad reads 10,000 pods from a fake API server (on loopback, in
// pages of 500) into a loader and builds the snapshot.
func BenchmarkLoad(b *testing.B) {
	c := bigServer(b)
	b.ReportAllocs()
	for b.Loop() {
		l := policy.NewLoader(policy.LoadOptions{})
		if _, err := c.Load(context.Background(), l); err != nil {
			b.Fatal(err)
		}
		snap, _ := l.Snapshot()
		if len(snap.Endpoints) != 10000 {
			b.Fatalf("%d endpoints, want 10000", len(snap.Endpoints))
		}
	}
}

// BenchmarkRead is BenchmarkLoad without the loader: listing and turning
// each object into its manifest.
func BenchmarkRead(b *testing.B) {
	c := bigServer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Read(context.Background(), func(live.Object) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
