package calicov3_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/policy/calicov3"
)

// decode converts one YAML document the way the loader does
// (YAMLToJSONStrict, then a strict JSON decode) and returns the strict errors as strings. It fails the test if the
// YAML does not convert or the JSON does not decode.
func decode(t *testing.T, doc string, into any) []string {
	t.Helper()
	data, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		t.Fatalf("YAMLToJSONStrict: %v", err)
	}
	strict, err := kjson.UnmarshalStrict(data, into, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		t.Fatalf("UnmarshalStrict: %v", err)
	}
	var out []string
	for _, e := range strict {
		out = append(out, e.Error())
	}
	return out
}

// decodeErr is like decode but returns the fatal decoding error.
func decodeErr(t *testing.T, doc string, into any) error {
	t.Helper()
	data, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		t.Fatalf("YAMLToJSONStrict: %v", err)
	}
	_, err = kjson.UnmarshalStrict(data, into, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	return err
}

// cmpOpts compares decoded objects: Protocol by value, timestamps ignored.
var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b calicov3.Protocol) bool { return a == b }),
	cmpopts.IgnoreTypes(metav1.Time{}),
	cmpopts.EquateEmpty(),
}

// Short constructors, in the style of tailscale's filter tests.

func proto(s string) *calicov3.Protocol {
	p := calicov3.MustParseProtocol(s)
	return &p
}

func ports(ss ...string) []calicov3.Port {
	out := make([]calicov3.Port, len(ss))
	for i, s := range ss {
		out[i] = calicov3.MustParsePort(s)
	}
	return out
}

func intp(i int) *int { return &i }

func f64(f float64) *float64 { return &f }

func action(a calicov3.Action) *calicov3.Action { return &a }

func meta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: calicov3.GroupVersion, Kind: kind}
}

func fe(path, msg string) calicov3.FieldError { return calicov3.FieldError{Path: path, Msg: msg} }
