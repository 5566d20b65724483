package live_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/policy"
)

// plurals are the resource names that the usual rule does not give.
var plurals = map[string]string{"MultiNetworkPolicy": "multi-networkpolicies"}

// plural guesses a kind's resource name as CRDs and the core API name
// them: lowercase, "y" after a consonant becomes "ies", "s" takes "es".
func plural(kind string) string {
	if p, ok := plurals[kind]; ok {
		return p
	}
	k := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(k, "s"):
		return k + "es"
	case strings.HasSuffix(k, "y") && !strings.ContainsAny(k[len(k)-2:len(k)-1], "aeiou"):
		return k[:len(k)-1] + "ies"
	}
	return k + "s"
}

// TestClusterRoleCoversKinds checks that the ClusterRole of docs/live.md
// lets netreach get and list every kind it reads, and every kind it lists
// as skipped, so that a new kind in the loader cannot leave the documented
// permissions behind.
func TestClusterRoleCoversKinds(t *testing.T) {
	data, err := os.ReadFile("../../docs/netreach-reader.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(data, &role); err != nil {
		t.Fatal(err)
	}
	allowed := func(group, resource string) bool {
		for _, r := range role.Rules {
			if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) &&
				slices.Contains(r.Verbs, "get") && slices.Contains(r.Verbs, "list") {
				return true
			}
		}
		return false
	}
	kinds := map[schema.GroupKind]bool{}
	for _, gvk := range policy.Kinds() {
		kinds[gvk.GroupKind()] = true
	}
	for _, gk := range policy.SkippedReachabilityKinds() {
		kinds[gk] = true
	}
	for gk := range kinds {
		if !allowed(gk.Group, plural(gk.Kind)) {
			t.Errorf("docs/netreach-reader.yaml: no get and list on %s in group %q (kind %s)", plural(gk.Kind), gk.Group, gk.Kind)
		}
	}
	for _, r := range role.Rules {
		for _, v := range r.Verbs {
			if v != "get" && v != "list" {
				t.Errorf("docs/netreach-reader.yaml: verb %q: netreach only gets and lists", v)
			}
		}
		for _, res := range r.Resources {
			if res == "secrets" || res == "configmaps" {
				t.Errorf("docs/netreach-reader.yaml: %s: netreach does not read them", res)
			}
		}
	}
}
