// Package smoke sends a colour's smoke test through the real load balancer: N requests
// per path, each carrying the header that pins it to one colour, each of which must
// answer 2xx within a timeout. It knows nothing of Pulumi: the caller reads the edge's
// outputs and the stack config and fills in a Request.
package smoke

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// TestAddrEnv, in the AWS double's test build of the tool only (scripts/bluegreen
// awsdouble_wiring.go), names a local address that every smoke request dials instead of
// the ALB: the double's load balancer has a DNS name but nothing behind it.
const TestAddrEnv = "WEBAPI_TEST_SMOKE_ADDR"

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
// Result says what each path answered either way. A request that cannot reach the ALB
// at all stops the test: the next ones would only wait for the same timeout.
func (c *Client) Smoke(ctx context.Context, req Request) (Result, error) {
	base, err := req.check()
	if err != nil {
		return Result{}, err
	}
	client := c.httpClient(req)
	defer client.CloseIdleConnections()
	res := Result{URL: base.String(), Color: req.Color}
	for _, path := range req.Paths {
		pr, stop := c.smokePath(ctx, client, base, req, path)
		res.Paths = append(res.Paths, pr)
		if stop != nil {
			return res, stop
		}
	}
	if !res.Passed() {
		return res, fmt.Errorf("smoke test of %s through %s failed: %s", req.Color, res.URL, res.problems())
	}
	return res, nil
}

// check validates req and returns the ALB's base URL.
func (req Request) check() (*url.URL, error) {
	switch {
	case req.Color == "":
		return nil, errors.New("smoke test: no colour to test")
	case req.Header == "":
		return nil, errors.New("smoke test: no colour header to send (the edge's colorHeader output)")
	case req.Requests < 1:
		return nil, fmt.Errorf("smoke test: %d requests per path: want at least 1 (webapi:smokeRequests)", req.Requests)
	case req.Timeout <= 0:
		return nil, fmt.Errorf("smoke test: per-request timeout %s: want more than 0", req.Timeout)
	case len(req.Paths) == 0:
		return nil, errors.New("smoke test: no paths to request (the edge's healthCheckPath output and webapi:smokePaths)")
	}
	for _, p := range req.Paths {
		if !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("smoke test: path %q: want an absolute URL path starting with '/' (webapi:smokePaths)", p)
		}
	}
	base, err := url.Parse(req.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("smoke test: the edge's albUrl %q: %w", req.BaseURL, err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Hostname() == "" {
		return nil, fmt.Errorf("smoke test: the edge's albUrl %q: want http:// or https:// and the ALB's DNS name", req.BaseURL)
	}
	if h := req.PublicHostname; strings.ContainsAny(h, ":/ ") {
		return nil, fmt.Errorf("smoke test: webapi:publicHostname %q: want a DNS name such as api.example.com (no scheme, port or path)", h)
	}
	if base.Scheme == "https" && req.PublicHostname == "" {
		return nil, fmt.Errorf("smoke test: the edge serves HTTPS (%s) with a certificate that is not for the ALB's DNS name %s, so the smoke test must send "+
			"the certificate's name as Host and TLS SNI: set webapi:publicHostname (e.g. api.example.com) in the %s stack's config", req.BaseURL, base.Hostname(), req.Color)
	}
	return &url.URL{Scheme: base.Scheme, Host: base.Host}, nil
}

// httpClient follows no redirect and uses no proxy: the smoke test is of the ALB
// itself, from this machine. With a public hostname, TLS verifies the certificate for
// that name (SNI) while the connection goes to the ALB's address: an HTTPS listener
// serves the ACM certificate it was given, chosen by the client's SNI (AWS, Application
// Load Balancers guide, "Create an HTTPS listener", certificate list), never one for
// the ALB's own *.elb.amazonaws.com name.
func (c *Client) httpClient(req Request) *http.Client {
	dial := c.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: req.Timeout}).DialContext
	}
	tr := &http.Transport{
		DialContext:         dial,
		TLSClientConfig:     &tls.Config{ServerName: req.PublicHostname, RootCAs: c.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: req.Timeout,
		MaxIdleConnsPerHost: 1,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// answer is what one request got.
type answer struct {
	status   int // 0 without an answer
	took     time.Duration
	problem  string // why it failed, empty when it answered 2xx
	stopTest error  // set when the rest of the test would fail the same way
}

// smokePath sends req.Requests requests to one path, one after another.
func (c *Client) smokePath(ctx context.Context, client *http.Client, base *url.URL, req Request, path string) (PathResult, error) {
	pr := PathResult{Path: path}
	var took []time.Duration
	for range req.Requests {
		a := once(ctx, client, base, req, path)
		switch {
		case a.status == 0:
			pr.Errors++
		case a.status >= 200 && a.status < 300:
			pr.OK++
		default:
			pr.Other++
			if pr.Statuses == nil {
				pr.Statuses = map[int]int{}
			}
			pr.Statuses[a.status]++
		}
		if a.status != 0 {
			took = append(took, a.took)
		}
		pr.Problem = cmp.Or(pr.Problem, a.problem)
		if a.stopTest != nil {
			pr.setLatencies(took)
			return pr, a.stopTest
		}
	}
	pr.setLatencies(took)
	return pr, nil
}

// maxBody bounds what is read of an answer: enough to time the whole answer of a
// health or version endpoint.
const maxBody = 1 << 20

// once sends one GET, pinned to the colour, and reads the whole answer.
func once(ctx context.Context, client *http.Client, base *url.URL, req Request, path string) answer {
	rctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	// Whether the request got a connection (and began TLS) tells an ALB that cannot be
	// reached from an ALB that does not answer; the transport reports both from its own
	// goroutines.
	var connected, handshake atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn:           func(httptrace.GotConnInfo) { connected.Store(true) },
		TLSHandshakeStart: func() { handshake.Store(true) },
	}
	hr, err := http.NewRequestWithContext(httptrace.WithClientTrace(rctx, trace), http.MethodGet, base.String()+path, nil)
	if err != nil {
		return answer{problem: fmt.Sprintf("GET %s: %v", path, err)}
	}
	hr.Header.Set(req.Header, req.Color)
	hr.Header.Set("User-Agent", "webapi-bluegreen-smoke")
	if req.PublicHostname != "" {
		hr.Host = req.PublicHostname
	}
	start := time.Now()
	resp, err := client.Do(hr)
	if err == nil {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
	}
	if err != nil {
		return failure(ctx, req, base, path, err, connected.Load() || handshake.Load())
	}
	a := answer{status: resp.StatusCode, took: time.Since(start)}
	if a.status < 200 || a.status > 299 {
		a.problem = statusProblem(req, base, path, resp)
	}
	return a
}

// failure says why a request got no answer. Without a connection the ALB is not
// reachable from here (a security group drops the SYN: a dial timeout; nothing listens:
// refused), and the test stops.
func failure(ctx context.Context, req Request, base *url.URL, path string, err error, connected bool) answer {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	switch {
	case ctx.Err() != nil:
		stop := fmt.Errorf("smoke test of %s stopped: %w", req.Color, ctx.Err())
		return answer{problem: stop.Error(), stopTest: stop}
	case errors.As(err, &dnsErr):
		stop := fmt.Errorf("smoke test of %s: cannot resolve the ALB's name %s from this machine: %v", req.Color, base.Hostname(), dnsErr)
		return answer{problem: stop.Error(), stopTest: stop}
	case errors.As(err, &certErr):
		// The certificate will not change between requests: stop.
		stop := fmt.Errorf("smoke test of %s: GET %s: the ALB's certificate does not verify for %s (webapi:publicHostname): %v", req.Color, path, cmp.Or(req.PublicHostname, base.Hostname()), certErr)
		return answer{problem: stop.Error(), stopTest: stop}
	case !connected:
		stop := fmt.Errorf("smoke test of %s: cannot reach the ALB %s from this machine: is it inside webapi:ingressCidrs? (the edge allows %s; %v)",
			req.Color, base.Hostname(), cmp.Or(strings.Join(req.IngressCidrs, ", "), "none listed"), err)
		return answer{problem: stop.Error(), stopTest: stop}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return answer{problem: fmt.Sprintf("GET %s: no answer within %s", path, req.Timeout)}
	}
	return answer{problem: fmt.Sprintf("GET %s: %v", path, err)}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// statusProblem describes an answer other than 2xx. A redirect is never followed: an
// HTTP edge that redirects has HTTPS, which the smoke test must use itself.
func statusProblem(req Request, base *url.URL, path string, resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if resp.StatusCode == http.StatusMovedPermanently && base.Scheme == "http" && strings.HasPrefix(loc, "https:") {
		return fmt.Sprintf("HTTP answers 301: the edge has HTTPS; smoke-test https://%s (the edge's albUrl output after its certificate was deployed) "+
			"with webapi:publicHostname set to the certificate's name (GET %s → %s)", base.Hostname(), path, loc)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return fmt.Sprintf("GET %s answered %s (Location %q): redirects are not followed, every request must answer 2xx", path, resp.Status, loc)
	}
	return fmt.Sprintf("GET %s answered %s", path, resp.Status)
}

// DialTo dials addr whatever address is asked for: an ALB's name sent to a local server
// (tests, and the AWS double's build of the tool).
func DialTo(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
}

// Passed says whether every request of every path answered 2xx.
func (r Result) Passed() bool {
	return len(r.Paths) > 0 && !slices.ContainsFunc(r.Paths, func(p PathResult) bool { return !p.passed() })
}

func (p PathResult) passed() bool { return p.Other == 0 && p.Errors == 0 && p.OK > 0 }

// Summary is one line: per path its counts and latencies, for the log and the history.
func (r Result) Summary() string {
	parts := make([]string, 0, len(r.Paths))
	for _, p := range r.Paths {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

// String is "/health: 19/20 2xx, 1 answered 500, p50 12ms p95 30ms max 41ms".
func (p PathResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d/%d 2xx", p.Path, p.OK, p.OK+p.Other+p.Errors)
	codes := slices.Sorted(maps.Keys(p.Statuses))
	for _, code := range codes {
		fmt.Fprintf(&b, ", %d answered %d", p.Statuses[code], code)
	}
	if p.Errors > 0 {
		fmt.Fprintf(&b, ", %d without an answer", p.Errors)
	}
	if p.Max > 0 {
		fmt.Fprintf(&b, ", p50 %s p95 %s max %s", round(p.P50), round(p.P95), round(p.Max))
	}
	return b.String()
}

// problems names each failing path with its first problem.
func (r Result) problems() string {
	var out []string
	for _, p := range r.Paths {
		if !p.passed() {
			out = append(out, p.String()+" ("+p.Problem+")")
		}
	}
	return strings.Join(out, "; ")
}

func round(d time.Duration) time.Duration {
	if d >= 10*time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

// setLatencies sets the nearest-rank p50 and p95 and the maximum of took.
func (p *PathResult) setLatencies(took []time.Duration) {
	p.P50, p.P95, p.Max = 0, 0, 0
	if len(took) == 0 {
		return
	}
	s := slices.Sorted(slices.Values(took))
	rank := func(q int) time.Duration { return s[(q*len(s)+99)/100-1] }
	p.P50, p.P95, p.Max = rank(50), rank(95), s[len(s)-1]
}
