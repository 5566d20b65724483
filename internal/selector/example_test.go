package selector_test

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netreach/netreach/internal/selector"
)

func ExampleParse() {
	sel, err := selector.Parse(`app == "web" && (tier in {'fe', 'be',} || !has(canary))`)
	if err != nil {
		panic(err)
	}
	fmt.Println(sel)
	fmt.Println(sel.Matches(map[string]string{"app": "web", "tier": "fe"}))
	fmt.Println(sel.Matches(map[string]string{"app": "web", "canary": "true"}))

	_, err = selector.Parse(`app = "web"`)
	fmt.Println(err)
	// Output:
	// app == "web" && (tier in {"be", "fe"} || !has(canary))
	// true
	// false
	// selector: parse "app = \"web\"": unexpected character '=' at column 5
}

func ExampleFromLabelSelector() {
	sel, err := selector.FromLabelSelector(&metav1.LabelSelector{
		MatchLabels: map[string]string{"app": "web"},
		MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "env", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"prod"}},
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(sel)
	fmt.Println(sel.Matches(map[string]string{"app": "web"}))
	fmt.Println(sel.Matches(map[string]string{"app": "web", "env": "prod"}))

	fmt.Println(selector.MustFromLabelSelector(nil))
	fmt.Println(selector.MustFromLabelSelector(&metav1.LabelSelector{}))
	// Output:
	// app == "web" && env not in {"prod"}
	// true
	// false
	// !all()
	// all()
}
