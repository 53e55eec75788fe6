package action

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/twittix/infra/pkg/logging"
)

// PrintRemote prints lines of text from elsewhere (a container's log, a task's error, a build
// log) so that nothing in them can issue a workflow command. In GitHub Actions the lines are
// written in one piece between "::stop-commands::TOKEN" and "::TOKEN::", the runner's own way to
// print untrusted text, with a fresh random TOKEN that the text does not contain (in any case:
// the runner compares it ignoring case); each line also goes through logging.Neutralize, and is
// split where the runner would split it (a lone "\r" ends a line). Secrets are redacted.
// Outside GitHub Actions the lines are printed as they are.
func (r *Runtime) PrintRemote(lines []string) {
	var body []string
	for _, l := range lines {
		l = strings.ReplaceAll(l, "\r\n", "\n")
		body = append(body, strings.Split(strings.ReplaceAll(l, "\r", "\n"), "\n")...)
	}
	if len(body) == 0 {
		return
	}
	if !r.InGitHub() {
		r.print(strings.Join(body, "\n") + "\n")
		return
	}
	for i, l := range body {
		body[i] = logging.Neutralize(l)
	}
	text := r.Redact(strings.Join(body, "\n"))
	token, err := stopToken(text)
	if err != nil {
		// Without a token, the line-level guard alone (Neutralize) keeps commands out.
		r.print(text + "\n")
		return
	}
	// Written around the redactor in one write, so that no other line (a mask, a group) falls
	// inside the block, and the markers are written exactly as the runner must read them.
	r.out.writeRaw("::stop-commands::" + token + "\n" + text + "\n::" + token + "::\n")
}

// stopToken returns a random token for ::stop-commands:: that text does not contain, in any
// case: the runner compares ignoring case (.NET's OrdinalIgnoreCase, by upper case, where "ı" is
// "I" and "ſ" is "S"), so the text is compared upper-cased then lower-cased.
func stopToken(text string) (string, error) {
	lower := strings.ToLower(strings.ToUpper(text))
	for range 3 {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("failed to make a stop-commands token: %w", err)
		}
		token := "remote-" + hex.EncodeToString(b)
		if !strings.Contains(lower, token) {
			return token, nil
		}
	}
	return "", fmt.Errorf("the text contains every stop-commands token tried")
}

var _ logging.RemotePrinter = (*Runtime)(nil)
