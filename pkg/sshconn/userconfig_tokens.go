package sshconn

import (
	"fmt"
	"strconv"
	"strings"
)

// tokens are the values of the % tokens OpenSSH expands in IdentityFile (ssh_config(5), TOKENS),
// for one host.
type tokens struct {
	alias     string // %n: the host as given on the command line
	host      string // %h: the remote host name, after HostName
	user      string // %r: the remote user name
	port      int    // %p: the remote port
	localUser string // %u: the local user name
	home      string // %d: the local home directory
}

// expand replaces %%, %d, %h, %n, %p, %r and %u in p; another token is an error, as in OpenSSH.
func (t tokens) expand(p string) (string, error) {
	if !strings.Contains(p, "%") {
		return p, nil
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			b.WriteByte(p[i])
			continue
		}
		if i++; i == len(p) {
			return "", fmt.Errorf("%q ends with a lone %%: write %%%% for a percent sign", p)
		}
		switch p[i] {
		case '%':
			b.WriteByte('%')
		case 'd':
			b.WriteString(t.home)
		case 'h':
			b.WriteString(t.host)
		case 'n':
			b.WriteString(t.alias)
		case 'p':
			b.WriteString(strconv.Itoa(t.port))
		case 'r':
			b.WriteString(t.user)
		case 'u':
			b.WriteString(t.localUser)
		default:
			return "", fmt.Errorf("%q has the token %%%c, which is not supported here: use %%%%, %%d, %%h, %%n, %%p, %%r or %%u", p, p[i])
		}
	}
	return b.String(), nil
}
