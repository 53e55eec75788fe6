// Package sshd starts a real OpenSSH server (Debian's /usr/sbin/sshd) on 127.0.0.1 for tests, with
// its own generated host key and the authorized keys the test chooses, and provides the client-side
// material those tests need: freshly generated user keys in every format pkg/sshconn accepts and an
// SSH agent (the real agent protocol, served by x/crypto/ssh/agent on a unix socket).
//
// Programs such as benchmarks use New and Close instead of Start. Options.DropIns includes
// sshd_config drop-ins as a Debian host does, and AddUser/AddGroup create real local accounts (and
// remove them when the test ends) for tests of per-user policies; CheckConfig runs `sshd -t`.
// Tests run as root (the sshd is started with StrictModes no, UsePAM no, PidFile none and
// PermitRootLogin prohibit-password). When sshd is missing or cannot start, Start fails the test
// with a message saying how to install or fix it; it never skips.
package sshd
