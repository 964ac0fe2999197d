package awsdouble

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/smithy-go"
)

// Properties are kept as plain JSON-shaped values (map[string]any, []any, string,
// float64, bool), what resource.PropertyMap.Mappable gives and the store holds.

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func num(m map[string]any, k string) (int, bool) {
	switch v := m[k].(type) {
	case float64:
		return int(v), true
	case int:
		return v, true
	}
	return 0, false
}

func boolean(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func list(m map[string]any, k string) []any {
	l, _ := m[k].([]any)
	return l
}

func obj(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

func strList(m map[string]any, k string) []string {
	var out []string
	for _, v := range list(m, k) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// objects is a list property's object elements.
func objects(m map[string]any, k string) []map[string]any {
	var out []map[string]any
	for _, v := range list(m, k) {
		if o, ok := v.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

// APIError is an error as an AWS API returns it: a code and a message. It satisfies
// smithy.APIError, so code written against aws-sdk-go-v2 (errors.As) handles the
// double's errors as it would AWS's.
type APIError struct {
	Code    string
	Message string
}

var _ smithy.APIError = (*APIError)(nil)

func (e *APIError) Error() string                 { return e.Code + ": " + e.Message }
func (e *APIError) ErrorCode() string             { return e.Code }
func (e *APIError) ErrorMessage() string          { return e.Message }
func (e *APIError) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

func apiErr(code, format string, a ...any) error {
	return &APIError{Code: code, Message: fmt.Sprintf(format, a...)}
}

// humanType is a type token's short name for messages ("aws:lb/listener:Listener" → "Listener").
func humanType(token string) string {
	if i := strings.LastIndex(token, ":"); i >= 0 {
		return token[i+1:]
	}
	return token
}
