package enginetest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/smoke"
)

// SmokeServer stands in for the ALB and the colours behind it in the tool's smoke test:
// the double's load balancer has a DNS name but serves nothing. The tool's test build
// dials it (smoke.TestAddrEnv, in the World's AWS.Vars); a Release built in a test
// uses Client. It answers every request that names a colour in the colour header with
// the status Fail set (200 unless told otherwise), and 400 to one that does not.
type SmokeServer struct {
	srv *httptest.Server

	mu      sync.Mutex
	status  int
	byColor map[string]int
}

func newSmokeServer(t testing.TB) *SmokeServer {
	t.Helper()
	s := &SmokeServer{status: http.StatusOK, byColor: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *SmokeServer) serve(w http.ResponseWriter, r *http.Request) {
	color := r.Header.Get(infra.ColorHeader)
	s.mu.Lock()
	s.byColor[color]++
	status := s.status
	s.mu.Unlock()
	if _, err := infra.ParseColor(color); err != nil {
		http.Error(w, fmt.Sprintf("no colour in %s (%q): the weighted default action would pick one", infra.ColorHeader, color), http.StatusBadRequest)
		return
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s %s\n", color, r.URL.Path)
}

// Addr is the server's host:port.
func (s *SmokeServer) Addr() string { return s.srv.Listener.Addr().String() }

// Fail makes every request answer status from now on (0: 200 again).
func (s *SmokeServer) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
	if status == 0 {
		s.status = http.StatusOK
	}
}

// Requests counts the requests that named c in the colour header.
func (s *SmokeServer) Requests(c infra.Color) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byColor[string(c)]
}

// Client is a smoke client whose every request goes to this server, for a Release built
// in a test (release.Release.Smoke).
func (s *SmokeServer) Client() *smoke.Client {
	return &smoke.Client{DialContext: smoke.DialTo(s.Addr())}
}
