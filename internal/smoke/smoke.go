// Package smoke sends a colour's smoke test through the real load balancer: N requests
// per path, each carrying the header that pins it to one colour, each of which must
// answer 2xx within a timeout. It knows nothing of Pulumi: the caller reads the edge's
// outputs and the stack config and fills in a Request.
package smoke

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"time"
)

// Request is one smoke test of one colour.
type Request struct {
	// BaseURL is the edge's albUrl output: http://<albDnsName>, or https://<albDnsName>
	// when the edge has a certificate.
	BaseURL string
	// Color is sent as the value of Header, so every request reaches that colour alone.
	Color  string
	Header string
	// Paths are requested Requests times each, one after another.
	Paths    []string
	Requests int
	// Timeout bounds each request, from dialling to the end of the body.
	Timeout time.Duration
	// PublicHostname (webapi:publicHostname) is sent as Host and TLS SNI: the edge's
	// certificate is for it, not for the ALB's DNS name. Required with HTTPS.
	PublicHostname string
	// IngressCidrs (the edge's webapi:ingressCidrs) are named when the ALB cannot be
	// reached from this machine.
	IngressCidrs []string
}

// PathResult is what one path answered.
type PathResult struct {
	Path string `json:"path"`
	// OK counts 2xx answers, Other any other status, Errors requests without an answer
	// (timeouts, resets, TLS failures).
	OK     int `json:"ok"`
	Other  int `json:"other"`
	Errors int `json:"errors"`
	// Statuses counts the statuses other than 2xx.
	Statuses map[int]int `json:"statuses,omitempty"`
	// Problem describes the first request that failed.
	Problem string `json:"problem,omitempty"`
	// Latencies of the requests that got an answer, to the end of the body.
	P50 time.Duration `json:"p50"`
	P95 time.Duration `json:"p95"`
	Max time.Duration `json:"max"`
}

// Result is a smoke test's outcome per path.
type Result struct {
	URL   string       `json:"url"`
	Color string       `json:"color"`
	Paths []PathResult `json:"paths"`
}

// Client sends smoke tests. The zero value dials the ALB and trusts the system's roots.
type Client struct {
	// DialContext, when set, replaces the dialler: tests send the ALB's name to a local
	// server (DialTo). Certificates are still verified against the requested name.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// RootCAs, when set, replaces the system's roots (a test CA).
	RootCAs *x509.CertPool
}

// Smoke runs req. It returns an error unless every request answered 2xx in time; the
// Result says what each path answered either way.
func (c *Client) Smoke(ctx context.Context, req Request) (Result, error) {
	return Result{}, errors.New("not implemented")
}

// DialTo dials addr whatever address is asked for: an ALB name sent to a local server.
func DialTo(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return nil
}

// Passed says whether every request of every path answered 2xx.
func (r Result) Passed() bool { return false }

// Summary is one line per path, for the log and the history.
func (r Result) Summary() string { return "" }

func (p *PathResult) setLatencies([]time.Duration) {}
