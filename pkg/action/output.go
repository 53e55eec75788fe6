package action

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// SetOutput sets an output declared with Inputs.Output. Inside GitHub Actions it is appended to
// the GITHUB_OUTPUT file as a heredoc whose delimiter is random, so no value can end it early and
// inject other outputs; outside, it is printed as name=value. Secrets in the value are redacted.
func (r *Runtime) SetOutput(name, value string) error {
	r.mu.Lock()
	declared := r.outputs == nil || r.outputs[name]
	r.mu.Unlock()
	if !declared {
		return fmt.Errorf("output %s is not declared by this action", name)
	}
	if name == "" || strings.ContainsAny(name, "\r\n<=") {
		return fmt.Errorf("output name %q is not valid", name)
	}
	value = r.Redact(value)
	path := r.getenv("GITHUB_OUTPUT")
	if path == "" {
		r.Infof("%s=%s", name, value)
		return nil
	}
	record, err := heredoc(name, value)
	if err != nil {
		return err
	}
	return appendFile(path, record)
}

// heredoc renders one name<<DELIMITER record of a GitHub file command, with a random delimiter
// that the value does not contain.
func heredoc(name, value string) (string, error) {
	for range 3 {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("failed to make an output delimiter: %w", err)
		}
		delim := "ghadelimiter_" + hex.EncodeToString(b)
		if !strings.Contains(value, delim) && !strings.Contains(name, delim) {
			return fmt.Sprintf("%s<<%s\n%s\n%s\n", name, delim, value, delim), nil
		}
	}
	return "", fmt.Errorf("output %s: its value contains every delimiter tried", name)
}

func appendFile(path, text string) (err error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("failed to close %s: %w", path, cerr)
		}
	}()
	if _, err := f.WriteString(text); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}
