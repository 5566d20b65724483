package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// ChunkDocuments is the number of documents WriteDir puts in one file at
// most.
const ChunkDocuments = 5000

// objects returns every object in output order: namespaces, pods,
// policies, Calico objects.
func (c *Cluster) objects() []any {
	objs := make([]any, 0, len(c.Namespaces)+len(c.Pods)+len(c.NetworkPolicies)+len(c.Calico))
	for _, o := range c.Namespaces {
		objs = append(objs, o)
	}
	for _, o := range c.Pods {
		objs = append(objs, o)
	}
	for _, o := range c.NetworkPolicies {
		objs = append(objs, o)
	}
	for _, o := range c.Calico {
		objs = append(objs, o)
	}
	for _, o := range c.Mesh {
		objs = append(objs, o)
	}
	return objs
}

// WriteYAML writes the cluster as one multi-document YAML stream, one
// object per document, each starting with a "---" line: the namespaces,
// then the pods, then the policies, then the Calico objects if any. The
// output is the same byte for byte for the same Config. Objects are
// marshalled through encoding/json on GOMAXPROCS goroutines (see
// marshalYAML): a 150,000-pod cluster is about 200 MB, written in about
// 2.5 s on two cores.
func (c *Cluster) WriteYAML(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := writeDocs(bw, c.objects()); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteJSONList writes the cluster as one List, as `kubectl get -o json`
// prints several kinds at once: indented by four spaces, the objects in
// the order of WriteYAML.
func (c *Cluster) WriteJSONList(w io.Writer) error {
	list := struct {
		APIVersion string            `json:"apiVersion"`
		Items      []any             `json:"items"`
		Kind       string            `json:"kind"`
		Metadata   map[string]string `json:"metadata"`
	}{"v1", c.objects(), "List", map[string]string{"resourceVersion": ""}}
	data, err := json.MarshalIndent(list, "", "    ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// WriteDir writes the cluster into dir (created if needed) as
// namespaces.yaml, workloads/pods.yaml, policies.yaml and, for a Calico
// cluster, calico.yaml (mesh.yaml for a mesh cluster). A list longer than ChunkDocuments is split into
// numbered files of that many documents (workloads/pods-0001.yaml,
// workloads/pods-0002.yaml, ...), so that no file is huge. The files are
// what WriteYAML writes, cut apart.
func (c *Cluster) WriteDir(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "workloads"), 0o755); err != nil {
		return err
	}
	if err := writeChunks(dir, "namespaces", asAny(c.Namespaces)); err != nil {
		return err
	}
	if err := writeChunks(filepath.Join(dir, "workloads"), "pods", asAny(c.Pods)); err != nil {
		return err
	}
	if err := writeChunks(dir, "policies", asAny(c.NetworkPolicies)); err != nil {
		return err
	}
	for _, extra := range []struct {
		name string
		objs []map[string]any
	}{{"calico", c.Calico}, {"mesh", c.Mesh}} {
		if len(extra.objs) == 0 {
			continue
		}
		objs := make([]any, len(extra.objs))
		for i, o := range extra.objs {
			objs[i] = o
		}
		if err := writeChunks(dir, extra.name, objs); err != nil {
			return err
		}
	}
	return nil
}

func asAny[T any](xs []*T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// writeChunks writes objs to dir/base.yaml, or to dir/base-0001.yaml and
// on when there are more than ChunkDocuments.
func writeChunks(dir, base string, objs []any) error {
	if len(objs) <= ChunkDocuments {
		return writeFile(filepath.Join(dir, base+".yaml"), objs)
	}
	for i := 0; i*ChunkDocuments < len(objs); i++ {
		part := objs[i*ChunkDocuments : min(len(objs), (i+1)*ChunkDocuments)]
		if err := writeFile(filepath.Join(dir, fmt.Sprintf("%s-%04d.yaml", base, i+1)), part); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes objs to a hidden temporary file next to path and renames
// it to path once it is complete, so that an interrupted run never leaves a
// manifest cut in the middle of a document (the temporary name has no
// manifest extension, so the loader does not read it); on error it is
// removed.
func writeFile(path string, objs []any) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = writeDocs(bw, objs)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// batchSize is the number of objects one goroutine marshals at a time.
const batchSize = 128

// writeDocs marshals objs in parallel batches and writes them in order,
// each document preceded by "---". At most 2*GOMAXPROCS batches are held
// in memory.
func writeDocs(w io.Writer, objs []any) error {
	nb := (len(objs) + batchSize - 1) / batchSize
	if nb == 0 {
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), nb)
	type result struct {
		buf []byte
		err error
	}
	results := make([]chan result, nb)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	slots := make(chan struct{}, 2*workers) // batches marshalled but not yet written
	next := make(chan int)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range next {
				var buf []byte
				var err error
				for _, o := range objs[b*batchSize : min(len(objs), (b+1)*batchSize)] {
					buf = append(buf, "---\n"...)
					if buf, err = marshalYAML(buf, o); err != nil {
						break
					}
				}
				results[b] <- result{buf, err}
			}
		})
	}
	go func() {
		defer close(next)
		for b := range nb {
			select {
			case slots <- struct{}{}:
			case <-done:
				return
			}
			select {
			case next <- b:
			case <-done:
				return
			}
		}
	}()
	var err error
	for b := range nb {
		r := <-results[b]
		<-slots
		if r.err != nil {
			err = fmt.Errorf("bench: marshal: %w", r.err)
			break
		}
		if _, err = w.Write(r.buf); err != nil {
			break
		}
	}
	close(done)
	wg.Wait()
	return err
}
