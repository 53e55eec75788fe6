package sshconn

import (
	"sync/atomic"
	"testing"
)

// CountDecryptions counts, until the end of t, the passphrase-protected keys the package
// decrypts. t must not be parallel: the count is of the whole package.
func CountDecryptions(t *testing.T) (count func() int64) {
	var n atomic.Int64
	orig := decrypt
	decrypt = func(pemBytes, passphrase []byte) (any, error) {
		n.Add(1)
		return orig(pemBytes, passphrase)
	}
	t.Cleanup(func() { decrypt = orig })
	return n.Load
}
