package traffic

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"cloud.google.com/go/run/apiv2/runpb"
)

// TestPlanAgainstGcloudSDK compares Plan with gcloud's own TrafficTargets.UpdateTraffic on
// random splits and specs. It needs the Google Cloud SDK's Python source and runs only when
// GCLOUD_PARITY is set (to the number of cases, or 1 for 5000): the answers belong to whichever
// gcloud is installed, so it is a check to run by hand, not part of the suite.
func TestPlanAgainstGcloudSDK(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GCLOUD_PARITY"))
	if n == 0 {
		t.Skip("set GCLOUD_PARITY=<cases> to compare Plan with the installed gcloud")
	}
	if n == 1 {
		n = 5000
	}
	sdk, python := gcloudSDK(t)
	rng := rand.New(rand.NewPCG(uint64(n), 11))
	cases := make([]gcloudCase, n)
	var input strings.Builder
	for i := range cases {
		cases[i] = randomCase(rng)
		line, err := json.Marshal(cases[i])
		if err != nil {
			t.Fatal(err)
		}
		input.Write(append(line, '\n'))
	}
	cmd := exec.Command(python, filepath.Join("testdata", "gcloud_update_traffic.py"), sdk)
	cmd.Stdin = strings.NewReader(input.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running gcloud's UpdateTraffic: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	agree, refused := 0, 0
	for i := 0; sc.Scan(); i++ {
		var want struct {
			Split map[string]int32 `json:"split"`
			Error string           `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &want); err != nil {
			t.Fatalf("case %d: gcloud's answer %q: %v", i, sc.Text(), err)
		}
		c := cases[i]
		got, err := Plan(c.targets(), c.assignments(), c.names())
		switch {
		case want.Error != "" && err == nil:
			t.Errorf("%s: gcloud refuses (%s), Plan gives %s", c, want.Error, gcloudOrder(got))
		case want.Error == "" && err != nil:
			t.Errorf("%s: gcloud gives %v, Plan refuses: %v", c, want.Split, err)
		case err != nil:
			refused++
		default:
			if p, _ := Percents(got); !maps.Equal(p, want.Split) {
				t.Errorf("%s: gcloud gives %v, Plan gives %s", c, want.Split, gcloudOrder(got))
				continue
			}
		}
		agree++
	}
	if agree != n {
		t.Errorf("Plan agrees with gcloud on %d of %d cases", agree, n)
	}
	t.Logf("Plan agrees with gcloud on %d of %d cases (%d refused by both)", agree, n, refused)
}

// gcloudCase is a current split (one target per revision) and a spec naming distinct revisions,
// which keeps out the cases where Plan differs from gcloud on purpose.
type gcloudCase struct {
	Current [][2]any `json:"current"`
	Assign  [][2]any `json:"assign"`
}

func randomCase(rng *rand.Rand) gcloudCase {
	names := []string{"a", "b", "c", "d", "e", Latest}
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	serving := 1 + rng.IntN(5)
	var c gcloudCase
	left := 100
	for i := range serving {
		p := left
		if i < serving-1 {
			p = rng.IntN(left + 1)
		}
		left -= p
		c.Current = append(c.Current, [2]any{names[i], p})
	}
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	budget := 100
	if rng.IntN(20) == 0 {
		budget = 150 // now and then over 100 in total, which both refuse
	}
	for _, k := range names[:1+rng.IntN(3)] {
		p := rng.IntN(min(budget, 100) + 1)
		budget -= p
		c.Assign = append(c.Assign, [2]any{k, p})
	}
	return c
}

func (c gcloudCase) targets() []*runpb.TrafficTarget {
	var out []*runpb.TrafficTarget
	for _, t := range c.Current {
		out = append(out, NewTarget(t[0].(string), int32(t[1].(int)), ""))
	}
	return out
}

func (c gcloudCase) assignments() []Assignment {
	var out []Assignment
	for _, a := range c.Assign {
		as, _ := ParseTarget(a[0].(string))
		as.Percent = int32(a[1].(int))
		out = append(out, as)
	}
	return out
}

func (c gcloudCase) names() []string {
	var out []string
	for _, a := range c.Assign {
		out = append(out, a[0].(string))
	}
	return out
}

func (c gcloudCase) String() string {
	return fmt.Sprintf("current %v, spec %v", c.Current, c.Assign)
}

// gcloudSDK returns the root of the installed Google Cloud SDK and a Python to run its code, or
// skips the test.
func gcloudSDK(t *testing.T) (sdk, python string) {
	t.Helper()
	gcloud, err := exec.LookPath("gcloud")
	if err != nil {
		t.Skip("gcloud is not installed")
	}
	out, err := exec.Command(gcloud, "info", "--format=value(installation.sdk_root)").Output()
	if err != nil {
		t.Skipf("gcloud info: %v", err)
	}
	sdk = strings.TrimSpace(string(out))
	python = filepath.Join(sdk, "platform", "bundledpythonunix", "bin", "python3")
	if _, err := os.Stat(python); err != nil {
		if python, err = exec.LookPath("python3"); err != nil {
			t.Skip("no Python to run gcloud's code")
		}
	}
	return sdk, python
}
