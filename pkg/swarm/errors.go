package swarm

import (
	"errors"

	"github.com/twittix/infra/pkg/swarm/stackfile"
)

// FileError is an input error located in a compose file or an env file (see stackfile.FileError).
type FileError = stackfile.FileError

// errLocked is wrapped by the error Deploy returns when another run holds the stack.
var errLocked = errors.New("stack is locked by another deploy")

// IsLocked reports whether err means that another run held the stack's deploy lock.
func IsLocked(err error) bool { return errors.Is(err, errLocked) }
