package smoke

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// albName is the ALB's DNS name in the tests: it never resolves, every dial goes to the
// test server (DialTo).
const albName = "webapi-alb-123456.eu-west-1.elb.amazonaws.com"

// recorder is a stand-in for the ALB and one colour behind it: it answers status (per
// request number, default 200) and records what each request carried.
type recorder struct {
	mu       sync.Mutex
	n        int
	hosts    []string
	colors   []string
	paths    []string
	sni      []string
	statusOf func(n int) int
	delayOf  func(n int) time.Duration
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.n++
	n := rec.n
	rec.hosts = append(rec.hosts, r.Host)
	rec.colors = append(rec.colors, r.Header.Get("X-Webapi-Color"))
	rec.paths = append(rec.paths, r.URL.Path)
	if r.TLS != nil {
		rec.sni = append(rec.sni, r.TLS.ServerName)
	}
	rec.mu.Unlock()
	if rec.delayOf != nil {
		select {
		case <-time.After(rec.delayOf(n)):
		case <-r.Context().Done():
			return
		}
	}
	status := http.StatusOK
	if rec.statusOf != nil {
		status = rec.statusOf(n)
	}
	if status == http.StatusMovedPermanently {
		w.Header().Set("Location", "https://"+r.Host+":443"+r.URL.Path)
	}
	w.WriteHeader(status)
	w.Write([]byte("ok"))
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.n
}

func request(base string) Request {
	return Request{BaseURL: base, Color: "green", Header: "X-Webapi-Color", Paths: []string{"/health", "/api/version"},
		Requests: 5, Timeout: 2 * time.Second, IngressCidrs: []string{"203.0.113.0/24", "198.51.100.7/32"}}
}

func plainServer(t *testing.T, rec *recorder) *Client {
	t.Helper()
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return &Client{DialContext: DialTo(srv.Listener.Addr().String())}
}

func TestSmokeEveryRequestAnswers2xx(t *testing.T) {
	rec := &recorder{}
	c := plainServer(t, rec)
	res, err := c.Smoke(context.Background(), request("http://"+albName))
	require.NoError(t, err)
	assert.True(t, res.Passed())
	require.Len(t, res.Paths, 2)
	for i, p := range []string{"/health", "/api/version"} {
		assert.Equal(t, p, res.Paths[i].Path)
		assert.Equal(t, 5, res.Paths[i].OK)
		assert.Zero(t, res.Paths[i].Other+res.Paths[i].Errors)
		assert.Positive(t, res.Paths[i].Max)
		assert.LessOrEqual(t, res.Paths[i].P50, res.Paths[i].Max)
	}
	assert.Equal(t, 10, rec.count())
	for i := range rec.n {
		assert.Equal(t, "green", rec.colors[i], "every request carries the colour header")
		assert.Equal(t, albName, rec.hosts[i], "without a public hostname the Host is the ALB's name")
	}
	assert.Contains(t, res.Summary(), "/health: 5/5 2xx")
}

func TestSmokeOne500AmongNFails(t *testing.T) {
	rec := &recorder{statusOf: func(n int) int {
		if n == 3 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	}}
	res, err := plainServer(t, rec).Smoke(context.Background(), request("http://"+albName))
	require.Error(t, err)
	assert.False(t, res.Passed())
	assert.Contains(t, err.Error(), "green")
	assert.Contains(t, err.Error(), "500")
	assert.Equal(t, 4, res.Paths[0].OK)
	assert.Equal(t, 1, res.Paths[0].Other)
	assert.Equal(t, map[int]int{500: 1}, res.Paths[0].Statuses)
	assert.Equal(t, 5, res.Paths[1].OK, "the other paths are still tested, for the record")
	assert.Contains(t, res.Summary(), "/health: 4/5 2xx, 1 answered 500")
}

func TestSmokeRequestOverTheTimeoutFails(t *testing.T) {
	rec := &recorder{delayOf: func(n int) time.Duration {
		if n == 2 {
			return 5 * time.Second
		}
		return 0
	}}
	req := request("http://" + albName)
	req.Paths, req.Requests, req.Timeout = []string{"/health"}, 3, 200*time.Millisecond
	start := time.Now()
	res, err := plainServer(t, rec).Smoke(context.Background(), req)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Contains(t, err.Error(), "no answer within 200ms")
	assert.Equal(t, PathResult{Path: "/health", OK: 2, Errors: 1}, withoutTimes(res.Paths[0]))
}

func TestSmokeRedirectIsAFailureNotFollowed(t *testing.T) {
	rec := &recorder{statusOf: func(int) int { return http.StatusMovedPermanently }}
	res, err := plainServer(t, rec).Smoke(context.Background(), request("http://"+albName))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP answers 301: the edge has HTTPS; ")
	assert.Equal(t, 10, rec.count(), "no redirect was followed")
	assert.Equal(t, 5, res.Paths[0].Other)
}

// testCA is a certificate authority of the test and a server certificate it signed for
// host: the TLS server's, and the pool the client trusts.
func testCA(t *testing.T, host string) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smoke test CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsEdge is an HTTPS edge whose certificate is for api.webapi.test only.
func tlsEdge(t *testing.T, rec *recorder) *Client {
	t.Helper()
	pool, cert := testCA(t, "api.webapi.test")
	srv := httptest.NewUnstartedServer(rec)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes a test makes fail on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &Client{DialContext: DialTo(srv.Listener.Addr().String()), RootCAs: pool}
}

func TestSmokeHTTPSSendsThePublicHostnameAsHostAndSNI(t *testing.T) {
	rec := &recorder{}
	req := request("https://" + albName)
	req.PublicHostname = "api.webapi.test"
	res, err := tlsEdge(t, rec).Smoke(context.Background(), req)
	require.NoError(t, err)
	assert.True(t, res.Passed())
	assert.Equal(t, 10, rec.count())
	for i := range rec.n {
		assert.Equal(t, "api.webapi.test", rec.hosts[i])
		assert.Equal(t, "green", rec.colors[i])
	}
	require.NotEmpty(t, rec.sni)
	for _, sni := range rec.sni {
		assert.Equal(t, "api.webapi.test", sni)
	}
}

func TestSmokeHTTPSWithoutPublicHostnameIsRefused(t *testing.T) {
	rec := &recorder{}
	_, err := tlsEdge(t, rec).Smoke(context.Background(), request("https://"+albName))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "webapi:publicHostname")
	assert.Contains(t, err.Error(), albName)
	assert.Zero(t, rec.count(), "nothing was sent")
}

func TestSmokeHTTPSVerifiesTheCertificate(t *testing.T) {
	rec := &recorder{}
	req := request("https://" + albName)
	req.PublicHostname = "other.webapi.test" // not the certificate's name
	res, err := tlsEdge(t, rec).Smoke(context.Background(), req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
	assert.Contains(t, err.Error(), "other.webapi.test")
	assert.Zero(t, rec.count())
	assert.Equal(t, 1, res.Paths[0].Errors, "a certificate that does not verify stops the test")
}

func TestSmokeUnreachableALBNamesTheIngressCidrs(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close() // connection refused from now on
	c := &Client{DialContext: DialTo(addr)}
	res, err := c.Smoke(context.Background(), request("http://"+albName))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot reach the ALB "+albName+" from this machine: is it inside webapi:ingressCidrs?")
	assert.Contains(t, err.Error(), "203.0.113.0/24, 198.51.100.7/32")
	require.NotEmpty(t, res.Paths)
	assert.Equal(t, 1, res.Paths[0].Errors, "the first unreachable request stops the test")
}

func TestSmokeDialTimeoutIsUnreachable(t *testing.T) {
	var dials atomic.Int32
	c := &Client{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		dials.Add(1)
		<-ctx.Done() // a security group that drops the SYN: nothing answers
		return nil, ctx.Err()
	}}
	req := request("http://" + albName)
	req.Timeout = 100 * time.Millisecond
	_, err := c.Smoke(context.Background(), req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot reach the ALB "+albName)
	assert.Equal(t, int32(1), dials.Load())
}

func TestSmokeRejectsBadRequests(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(*Request)
		want   string
	}{
		"no requests":   {func(r *Request) { r.Requests = 0 }, "requests per path"},
		"no timeout":    {func(r *Request) { r.Timeout = 0 }, "timeout"},
		"no paths":      {func(r *Request) { r.Paths = nil }, "no paths"},
		"relative path": {func(r *Request) { r.Paths = []string{"health"} }, `"health"`},
		"no colour":     {func(r *Request) { r.Color = "" }, "colour"},
		"no header":     {func(r *Request) { r.Header = "" }, "header"},
		"ftp":           {func(r *Request) { r.BaseURL = "ftp://" + albName }, "http:// or https://"},
		"no host":       {func(r *Request) { r.BaseURL = "http://" }, "http:// or https://"},
		"unparseable":   {func(r *Request) { r.BaseURL = "http://a b\x7f" }, "albUrl"},
		"hostname+port": {func(r *Request) { r.BaseURL = "https://" + albName; r.PublicHostname = "api.example.com:443" }, "publicHostname"},
	} {
		t.Run(name, func(t *testing.T) {
			req := request("http://" + albName)
			tc.change(&req)
			_, err := (&Client{}).Smoke(context.Background(), req)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLatencyPercentiles(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, v := range n {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	for _, tc := range []struct {
		in            []time.Duration
		p50, p95, max time.Duration
	}{
		{nil, 0, 0, 0},
		{ms(7), 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{ms(40, 10, 30, 20), 20 * time.Millisecond, 40 * time.Millisecond, 40 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 10 * time.Millisecond, 19 * time.Millisecond, 20 * time.Millisecond},
	} {
		p := PathResult{}
		p.setLatencies(tc.in)
		assert.Equal(t, []time.Duration{tc.p50, tc.p95, tc.max}, []time.Duration{p.P50, p.P95, p.Max}, "%v", tc.in)
	}
}

func withoutTimes(p PathResult) PathResult {
	p.P50, p.P95, p.Max, p.Problem = 0, 0, 0, ""
	return p
}
