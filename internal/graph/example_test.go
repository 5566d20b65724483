package graph_test

import (
	"fmt"
	"os"
	"slices"

	"github.com/netreach/netreach/internal/graph"
)

func ExampleSet_All() {
	s := graph.NewSet(130)
	s.Add(3)
	s.Add(64)
	s.Add(129)
	for i := range s.All() {
		fmt.Print(i, " ")
	}
	fmt.Println("count", s.Count())
	// Output: 3 64 129 count 3
}

func ExampleMatrix_Row() {
	// Row algebra: everything web reaches, db reaches too.
	const web, db, cache, dns = 0, 1, 2, 3
	g := graph.NewMatrix(4, 4)
	g.Set(web, cache)
	g.Set(web, dns)
	g.Set(db, dns)
	g.Row(db).Or(g.Row(web)) // writes through to g
	for j := range g.Row(db).All() {
		fmt.Println("db ->", j)
	}
	// Output:
	// db -> 2
	// db -> 3
}

func ExampleMatrix_Closure() {
	// 0 -> 1 -> 2 -> 0 is a cycle; 3 hangs off it.
	g := graph.NewMatrix(4, 4)
	g.Set(0, 1)
	g.Set(1, 2)
	g.Set(2, 0)
	g.Set(2, 3)
	c := g.Closure()
	for i := range 4 {
		fmt.Printf("%d reaches %v\n", i, slices.Collect(c.Row(i).All()))
	}
	fmt.Println("blast radius", g.BlastRadius())
	fmt.Println("path 1 to 3", graph.ShortestPath(g, 1, 3))
	// Output:
	// 0 reaches [0 1 2 3]
	// 1 reaches [0 1 2 3]
	// 2 reaches [0 1 2 3]
	// 3 reaches []
	// blast radius [3 3 3 0]
	// path 1 to 3 [1 2 3]
}

func ExampleMatrix_Transpose() {
	g := graph.NewMatrix(2, 3)
	g.Set(0, 2)
	g.Set(1, 0)
	t := g.Transpose()
	fmt.Println(t.Rows(), "x", t.Cols())
	for i, j := range t.Pairs() {
		fmt.Println(i, j)
	}
	// Output:
	// 3 x 2
	// 0 1
	// 2 0
}

func ExampleAggregateCounts() {
	// Pods 0,1 in namespace 0 ("prod"), pod 2 in namespace 1 ("dev").
	g := graph.NewMatrix(3, 3)
	g.Set(0, 1)
	g.Set(0, 2)
	g.Set(1, 2)
	g.Set(2, 0)
	ns := []int{0, 0, 1}
	fmt.Println(graph.AggregateCounts(g, ns, 2))
	a := graph.Aggregate(g, ns, 2)
	fmt.Println(a.Has(0, 1), a.Has(1, 1))
	// Output:
	// [[1 2] [1 0]]
	// true false
}

func ExampleWriteDOT() {
	g := graph.NewMatrix(3, 3)
	g.Set(0, 1)
	g.Set(2, 0)
	g.Set(2, 2) // a self-loop, left out by default
	names := []string{"prod/web", "prod/db", "dev/api"}
	err := graph.WriteDOT(os.Stdout, g, names, graph.DOTOptions{Name: "reach"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// digraph "reach" {
	// 	"dev/api";
	// 	"prod/db";
	// 	"prod/web";
	// 	"dev/api" -> "prod/web";
	// 	"prod/web" -> "prod/db";
	// }
}
