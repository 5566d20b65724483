// Package fakeapi serves the recorded responses of a Kubernetes API server
// from a directory, for tests that read a cluster without a network.
//
// A request for the URL path P is answered with the file P.json under the
// directory ("/apis/apps/v1" → apis/apps/v1.json). A file holding a Status
// object is answered with the status code it names (a recorded 403); a
// missing file with 404. A file holding a list is served in pages, as the
// API server does: the limit parameter cuts it, the continue token picks
// the page up, metadata.remainingItemCount counts what is left. The lists of
// one namespace (/api/v1/namespaces/NS/pods) and one object of a list
// (/api/v1/namespaces/NS) are cut from the cluster-wide list file.
// Discovery is served in its legacy form (/api, /apis, one document per
// group version), which client-go reads when a server offers no
// aggregated discovery.
package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Server is a running fake API server. Its zero value is not usable; call
// [Start].
type Server struct {
	*httptest.Server
	dir string

	// ExpireAfter, when positive, makes every continue token of a list
	// expire after that many continued requests: the server answers 410
	// with an inconsistent continue token, as the API server does when
	// the snapshot of a paged list was compacted away.
	ExpireAfter int

	// Fail answers the request for a URL path with this status code
	// (500: an internal error) instead of its recorded response.
	Fail map[string]int

	mu        sync.Mutex
	requests  []string
	continued int
	files     map[string]map[string]any // parsed, by URL path
}

// Start serves dir until the test ends.
func Start(t testing.TB, dir string) *Server {
	t.Helper()
	s := &Server{dir: dir}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Requests returns the request URIs served so far (path and query).
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Kubeconfig writes a kubeconfig file with one context per name, each
// pointing at the server, the first one current, and returns its path.
func (s *Server) Kubeconfig(t testing.TB, contexts ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: " + s.URL + "\nusers:\n- name: tester\n  user:\n    token: fake-token\ncontexts:\n")
	for _, c := range contexts {
		fmt.Fprintf(&b, "- name: %s\n  context:\n    cluster: fake\n    user: tester\n", c)
	}
	if len(contexts) > 0 {
		fmt.Fprintf(&b, "current-context: %s\n", contexts[0])
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	namespacedList = regexp.MustCompile(`^(/api/v1|/apis/[^/]+/[^/]+)/namespaces/([^/]+)/([^/]+)$`)
	namespaceGet   = regexp.MustCompile(`^/api/v1/namespaces/([^/]+)$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.RequestURI())
	s.mu.Unlock()
	if r.Method != http.MethodGet {
		status(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "read-only fake")
		return
	}
	p := r.URL.Path
	if code := s.Fail[p]; code != 0 {
		status(w, code, http.StatusText(code), "injected failure")
		return
	}
	if body, ok := s.file(p); ok {
		s.respond(w, r, body, "")
		return
	}
	if m := namespacedList.FindStringSubmatch(p); m != nil {
		if body, ok := s.file(m[1] + "/" + m[3]); ok {
			s.respond(w, r, body, m[2])
			return
		}
	}
	if m := namespaceGet.FindStringSubmatch(p); m != nil {
		if body, ok := s.file("/api/v1/namespaces"); ok {
			s.one(w, body, m[1])
			return
		}
	}
	status(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
}

// file returns the recorded response for a URL path.
func (s *Server) file(p string) (map[string]any, bool) {
	if strings.Contains(p, "..") {
		return nil, false
	}
	s.mu.Lock()
	v, cached := s.files[p]
	s.mu.Unlock()
	if cached {
		return v, v != nil
	}
	data, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(strings.TrimPrefix(p, "/"))+".json"))
	if err == nil {
		if err := json.Unmarshal(data, &v); err != nil {
			panic(fmt.Sprintf("fakeapi: %s.json: %v", p, err))
		}
	}
	s.mu.Lock()
	if s.files == nil {
		s.files = map[string]map[string]any{}
	}
	s.files[p] = v // nil: no such file
	s.mu.Unlock()
	return v, v != nil
}

// respond writes a recorded response: a Status with its code, a list in
// pages (of namespace ns when not empty), anything else as it is.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, body map[string]any, ns string) {
	if body["kind"] == "Status" {
		code, _ := body["code"].(float64)
		write(w, int(code), body)
		return
	}
	items, isList := body["items"].([]any)
	if !isList {
		write(w, http.StatusOK, body)
		return
	}
	if ns != "" {
		var kept []any
		for _, it := range items {
			if meta, _ := it.(map[string]any)["metadata"].(map[string]any); meta["namespace"] == ns {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	from := 0
	if tok := r.URL.Query().Get("continue"); tok != "" {
		var err error
		num := strings.TrimSuffix(strings.TrimPrefix(tok, "page-from-"), "-inconsistent")
		if from, err = strconv.Atoi(num); err != nil || from > len(items) {
			status(w, http.StatusBadRequest, "BadRequest", "invalid continue token")
			return
		}
		s.mu.Lock()
		s.continued++
		expire := s.ExpireAfter > 0 && s.continued%(s.ExpireAfter+1) == 0
		s.mu.Unlock()
		if expire && !strings.HasSuffix(tok, "-inconsistent") {
			write(w, http.StatusGone, map[string]any{
				"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Expired", "code": 410,
				"message":  "The provided continue parameter is too old to display a consistent list result.",
				"metadata": map[string]any{"continue": tok + "-inconsistent"},
			})
			return
		}
	}
	to := len(items)
	if lim, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && lim > 0 && from+lim < len(items) {
		to = from + lim
	}
	page := map[string]any{}
	for k, v := range body {
		page[k] = v
	}
	meta := map[string]any{"resourceVersion": "1000"}
	if to < len(items) {
		meta["continue"] = fmt.Sprintf("page-from-%d", to)
		meta["remainingItemCount"] = len(items) - to
	}
	page["metadata"] = meta
	page["items"] = items[from:to]
	if page["items"] == nil {
		page["items"] = []any{}
	}
	write(w, http.StatusOK, page)
}

// one writes the object of a list with the given name, as a GET does.
func (s *Server) one(w http.ResponseWriter, list map[string]any, name string) {
	items, _ := list["items"].([]any)
	for _, it := range items {
		obj := it.(map[string]any)
		if meta, _ := obj["metadata"].(map[string]any); meta["name"] == name {
			out := map[string]any{"apiVersion": list["apiVersion"], "kind": strings.TrimSuffix(list["kind"].(string), "List")}
			for k, v := range obj {
				out[k] = v
			}
			write(w, http.StatusOK, out)
			return
		}
	}
	status(w, http.StatusNotFound, "NotFound", fmt.Sprintf("namespaces %q not found", name))
}

func status(w http.ResponseWriter, code int, reason, msg string) {
	write(w, code, map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure", "reason": reason, "message": msg, "code": code})
}

func write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
