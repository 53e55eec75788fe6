package sshd

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// UniqueName returns prefix followed by random hex digits, short enough for a Linux user or
// group name (32 characters), so that parallel tests never share an account.
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// AddGroup creates the local group name (groupadd) unless it exists, and deletes it when the test
// ends if it created it.
func AddGroup(t testing.TB, name string) {
	t.Helper()
	if exists("group", name) {
		return
	}
	run(t, "groupadd", name)
	t.Cleanup(func() { _ = exec.Command("groupdel", name).Run() })
}

// AddUser creates the local account name with a home directory, /bin/sh as its shell and the
// given supplementary groups, or brings an existing account to that state, and deletes it (and
// its home) when the test ends. The account has no password but is not locked, so that sshd
// (UsePAM no) lets it log in with a key.
func AddUser(t testing.TB, name string, groups ...string) {
	t.Helper()
	created := false
	if exists("passwd", name) {
		run(t, "usermod", "-s", "/bin/sh", "-G", strings.Join(groups, ","), name)
	} else {
		args := []string{"-m", "-s", "/bin/sh"}
		if len(groups) > 0 {
			args = append(args, "-G", strings.Join(groups, ","))
		}
		run(t, "useradd", append(args, name)...)
		created = true
	}
	run(t, "usermod", "-p", "*", name)
	if created {
		t.Cleanup(func() { _ = exec.Command("userdel", "-r", "-f", name).Run() })
	}
}

func exists(db, name string) bool {
	return exec.Command("getent", db, name).Run() == nil
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s (these tests create local accounts: run them as root on a machine with shadow-utils)", name, strings.Join(args, " "), err, out)
	}
}

// CheckConfig runs `sshd -t` on a configuration made of the test server's settings with dropIn
// included, as on a Debian host, and returns sshd's complaint if it refuses it.
func CheckConfig(t testing.TB, dropIn string) error {
	t.Helper()
	if err := checkPrerequisites(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hostKey := dir + "/ssh_host_ed25519_key"
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	if err := writeFiles(map[string][]byte{dir + "/dropin-00.conf": []byte(dropIn)}); err != nil {
		t.Fatal(err)
	}
	cfgPath := dir + "/sshd_config"
	if err := writeFiles(map[string][]byte{cfgPath: []byte(config(2222, hostKey, dir+"/authorized_keys", Options{DropIns: []string{dropIn}}))}); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(Binary, "-t", "-f", cfgPath).CombinedOutput(); err != nil {
		return fmt.Errorf("sshd -t: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
