package sshconn

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
)

var hexFingerprint = regexp.MustCompile(`^(?i)(MD5:)?[0-9a-f]{2}(:[0-9a-f]{2}){15}$`)

// ParseFingerprints parses host key fingerprints as `ssh-keygen -lf KEY.pub` prints them
// ("SHA256:" and 43 base64 characters; trailing "=" padding is accepted), separated by commas,
// spaces or new lines, and returns them normalized. Errors are *FieldError naming
// FieldHostFingerprint; they never quote the input.
func ParseFingerprints(s string) ([]string, error) {
	return parseFingerprints(Config{}.endpointNames(""), s)
}

func parseFingerprints(n names, s string) ([]string, error) {
	if strings.Contains(s, "PRIVATE KEY") {
		return nil, fieldErr(n.fingerprint, "contains a private key: put the host key's SHA256 fingerprint here, and consider that private key leaked")
	}
	tokens := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	var out []string
	for i, tok := range tokens {
		where := ""
		if len(tokens) > 1 {
			where = " (entry " + strconv.Itoa(i+1) + ")"
		}
		if hexFingerprint.MatchString(tok) {
			return nil, fieldErr(n.fingerprint, "is an MD5 fingerprint%s, which is not accepted: use the SHA256 one, as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it on the server", where)
		}
		body, ok := strings.CutPrefix(tok, "SHA256:")
		raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(body, "="))
		if !ok || err != nil || len(raw) != 32 {
			return nil, fieldErr(n.fingerprint, "must look like SHA256:<43 base64 chars>%s, as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it on the server", where)
		}
		out = append(out, "SHA256:"+base64.RawStdEncoding.EncodeToString(raw))
	}
	return out, nil
}
