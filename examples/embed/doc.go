// Package embed is a program outside the netreach module that uses only
// its public API for each task a Go user has: load typed objects from an
// informer's cache, follow the cluster with With and Without, ask
// questions by name and selection, aggregate, gate a change in CI and
// audit. Its tests are the proof that the public API is enough; they run
// in CI (.ci/run) as their own module.
package embed
