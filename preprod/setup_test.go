package preprod_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSetupScript checks what can be checked of setup.sh without a fresh Debian host to run it
// on: bash parses it, the files it installs exist, and the firewall rule it rewrites for
// --ssh-port is in firewall.nft (else the port would stay 22 and a custom SSH port be shut out).
func TestSetupScript(t *testing.T) {
	t.Parallel()
	if out, err := exec.Command("bash", "-n", "setup.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n setup.sh: %v\n%s", err, out)
	}
	script, err := os.ReadFile("setup.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"sshd_config.d/twittix.conf", "firewall.nft"} {
		if !strings.Contains(string(script), `"$here/`+f+`"`) {
			t.Errorf("setup.sh does not install %s", f)
		}
		if _, err := os.Stat(f); err != nil {
			t.Errorf("setup.sh installs %s: %v", f, err)
		}
	}
	fw, err := os.ReadFile("firewall.nft")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(fw), "tcp dport 22 "); got != 1 {
		t.Errorf("firewall.nft has %d `tcp dport 22 ` rules, want the one setup.sh rewrites for --ssh-port", got)
	}
	if strings.Contains("\n"+string(fw), "\nflush ruleset") {
		t.Error("firewall.nft flushes the whole ruleset, Docker's rules included")
	}
}
