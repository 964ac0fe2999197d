package record

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fakeS3 is an S3 endpoint in a test server, spoken to by the real SDK client, so the
// SDK's own serializers send the conditional headers and its own deserializers turn the
// answers into errors. It answers as S3 does (Amazon S3 User Guide, "How to prevent
// object overwrites with conditional writes"): ETags are the quoted MD5 of the body (as
// for a single-part PutObject without SSE-KMS); If-None-Match: * on an existing key and
// If-Match with another ETag are 412 PreconditionFailed; If-Match on a missing key is
// 404 NoSuchKey; with conflictWindow > 0, a conditional write that overlaps another on
// the same key gets 409 ConditionalRequestConflict, as S3 may answer concurrent
// conditional writes.
type fakeS3 struct {
	t              *testing.T
	mu             sync.Mutex
	objects        map[string]fakeObject
	inFlight       map[string]bool
	conflictWindow time.Duration

	puts, conditionalPuts, got412, got409 int
}

type fakeObject struct {
	body []byte
	etag string
}

func newFakeS3(t *testing.T) (*fakeS3, *s3.Client) {
	f := &fakeS3{t: t, objects: map[string]fakeObject{}, inFlight: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		HTTPClient:   srv.Client(),
		Credentials: aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
		}),
	})
	return f, client
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/")
	switch r.Method {
	case http.MethodGet:
		f.get(w, key)
	case http.MethodPut:
		f.put(w, r, key)
	default:
		f.fail(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "not in this fake", "")
	}
}

func (f *fakeS3) get(w http.ResponseWriter, key string) {
	f.mu.Lock()
	obj, ok := f.objects[key]
	f.mu.Unlock()
	if !ok {
		f.fail(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", "")
		return
	}
	w.Header().Set("ETag", obj.etag)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(obj.body)))
	_, _ = w.Write(obj.body)
}

func (f *fakeS3) put(w http.ResponseWriter, r *http.Request, key string) {
	body, err := readPutBody(r)
	if err != nil {
		f.fail(w, http.StatusBadRequest, "InvalidRequest", err.Error(), "")
		return
	}
	ifMatch, ifNoneMatch := r.Header.Get("If-Match"), r.Header.Get("If-None-Match")
	conditional := ifMatch != "" || ifNoneMatch != ""
	f.mu.Lock()
	f.puts++
	if conditional {
		f.conditionalPuts++
		if f.conflictWindow > 0 {
			if f.inFlight[key] {
				f.got409++
				f.mu.Unlock()
				f.fail(w, http.StatusConflict, "ConditionalRequestConflict", "A conflicting operation occurred. If using PutObject you can retry the request.", "")
				return
			}
			f.inFlight[key] = true
			f.mu.Unlock()
			time.Sleep(f.conflictWindow) // the upload is in progress: overlapping writes conflict
			f.mu.Lock()
			delete(f.inFlight, key)
		}
	}
	defer f.mu.Unlock()
	obj, exists := f.objects[key]
	switch {
	case ifNoneMatch == "*" && exists:
		f.got412++
		f.fail(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", "If-None-Match")
		return
	case ifMatch != "" && !exists:
		f.fail(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", "")
		return
	case ifMatch != "" && ifMatch != obj.etag:
		f.got412++
		f.fail(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", "If-Match")
		return
	}
	sum := md5.Sum(body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	f.objects[key] = fakeObject{body: body, etag: etag}
	w.Header().Set("ETag", etag)
	w.WriteHeader(http.StatusOK)
}

// readPutBody reads a PutObject body, decoding the aws-chunked encoding the SDK uses
// when it sends the checksum as a trailer.
func readPutBody(r *http.Request) ([]byte, error) {
	if !strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
		return io.ReadAll(r.Body)
	}
	var out []byte
	br := bufio.NewReader(r.Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("aws-chunked header: %w", err)
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("aws-chunked size %q: %w", line, err)
		}
		if n == 0 {
			return out, nil // trailers follow; the fake does not check checksums
		}
		chunk := make([]byte, n+2) // data and CRLF
		if _, err := io.ReadFull(br, chunk); err != nil {
			return nil, fmt.Errorf("aws-chunked data: %w", err)
		}
		out = append(out, chunk[:n]...)
	}
}

// fail answers with S3's XML error document.
func (f *fakeS3) fail(w http.ResponseWriter, status int, code, msg, condition string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", "FAKEREQUEST")
	w.WriteHeader(status)
	cond := ""
	if condition != "" {
		cond = "<Condition>" + condition + "</Condition>"
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>%s</Code><Message>%s</Message>%s<RequestId>FAKEREQUEST</RequestId><HostId>FAKEHOST</HostId></Error>`, code, msg, cond)
}

func (f *fakeS3) counts() (puts, conditional, c412, c409 int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.puts, f.conditionalPuts, f.got412, f.got409
}
