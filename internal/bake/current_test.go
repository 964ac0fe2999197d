package bake

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCurrentReprintsThePreviousAMI(t *testing.T) {
	env := map[string]string{EnvPreviousStdout: "ami-0123456789abcdef0\n"}
	ami, err := Current(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "ami-0123456789abcdef0", ami)

	for _, prev := range []string{"", "not-an-ami", "ami-123", "log line\nami-0123456789abcdef0"} {
		_, err := Current(func(string) string { return prev })
		require.Error(t, err, "%q", prev)
		assert.True(t, errors.As(err, new(InputError)), "bad previous output is bad input: %v", err)
		assert.Contains(t, err.Error(), EnvPreviousStdout)
	}
}
