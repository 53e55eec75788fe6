package promote

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
)

func TestParseEnvNeverQuotesABadLine(t *testing.T) {
	t.Parallel()
	// A PEM key pasted as a value: its continuation lines have no =, or an = of base64 padding.
	const input = "LOG_LEVEL=info\n" +
		"\n" +
		"# a comment\n" +
		"TLS_KEY=-----BEGIN PRIVATE KEY-----\n" +
		"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n" +
		"  k2+Qz/9XyZ==\n" +
		"-----END PRIVATE KEY-----\n" +
		"1BAD=x\n"
	env, err := parseEnv(input)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"line 5 has no =",
		"line 6 is not NAME=VALUE",
		"line 7 has no =",
		"line 8 is not NAME=VALUE",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	for _, part := range []string{"MIIE", "k2+Q", "PRIVATE", "1BAD", "BEGIN"} {
		if strings.Contains(err.Error(), part) {
			t.Errorf("error quotes the input (%q): %q", part, err)
		}
	}
	want := []cloudrun.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "TLS_KEY", Value: "-----BEGIN PRIVATE KEY-----"}}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
}

func TestParseSecrets(t *testing.T) {
	t.Parallel()
	got, err := parseSecrets("DB_PASSWORD=db-password\nAPI_KEY = api-key:3\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []cloudrun.SecretEnv{{Name: "DB_PASSWORD", Secret: "db-password", Version: "latest"}, {Name: "API_KEY", Secret: "api-key", Version: "3"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	_, err = parseSecrets("DB_PASSWORD=db-password\nhunter2\n")
	if err == nil || !strings.Contains(err.Error(), "line 2 is not NAME=SECRET:VERSION") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error = %v, want line 2 named and not quoted", err)
	}
}

// TestBakeTimesFollowDurationInputs checks bake_time items are read as every duration input is
// (pkg/action): Go durations or whole seconds, never negative.
func TestBakeTimesFollowDurationInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		items []string
		want  []time.Duration
		err   string
	}{
		{items: []string{"90", "5m", "1h30m", "0"}, want: []time.Duration{90 * time.Second, 5 * time.Minute, 90 * time.Minute, 0}},
		{items: []string{"-5"}, err: `input bake_time: "-5" is negative`},
		{items: []string{"-1m"}, err: `input bake_time: "-1m" is negative`},
		{items: []string{"soon"}, err: `input bake_time: "soon" is not a duration`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.items, ","), func(t *testing.T) {
			t.Parallel()
			o := &options{mode: modeDeploy, image: "img", bakeTimes: tc.items, steps: []string{"10", "50", "70", "100"}[:len(tc.items)],
				gateInterval: time.Second, timeout: time.Minute}
			err := o.check(nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, o.bakes); diff != "" {
				t.Errorf("bake times (-want +got):\n%s", diff)
			}
		})
	}
}

// TestToIsParsedOnce checks to is parsed by the checks into the values the modes use.
func TestToIsParsedOnce(t *testing.T) {
	t.Parallel()
	sha := traffic.Assignment{Kind: traffic.ByName, Name: "sha-1a2b3c4"}
	tests := []struct {
		mode, to string
		target   *traffic.Assignment
		split    []traffic.Assignment
	}{
		{mode: modeShift, to: "sha-1a2b3c4", target: &sha, split: []traffic.Assignment{{Kind: traffic.ByName, Name: "sha-1a2b3c4", Percent: 25}}},
		{mode: modeShift, to: "LATEST=90, tag:sha-1a2b3c4=10", split: []traffic.Assignment{{Kind: traffic.ToLatest, Percent: 90}, {Kind: traffic.ByTag, Name: "sha-1a2b3c4", Percent: 10}}},
		{mode: modeCanary, to: "sha-1a2b3c4", target: &sha},
		{mode: modeRollback, to: "revision:web-1", target: &traffic.Assignment{Kind: traffic.ByRevision, Name: "web-1"}},
		{mode: modeRollback},
	}
	for _, tc := range tests {
		t.Run(tc.mode+" "+tc.to, func(t *testing.T) {
			t.Parallel()
			o := &options{mode: tc.mode, to: tc.to, percent: 25, steps: []string{"10", "100"}, bakeTimes: []string{"1m"},
				gateInterval: time.Second, timeout: time.Minute}
			if err := o.check(action.NewInputs("promote")); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.target, o.target); diff != "" {
				t.Errorf("target (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.split, o.split); diff != "" {
				t.Errorf("split (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStepRulesNameTheInputs checks the domain's step rules reach the user as problems of the
// steps and bake_time inputs, a step written wrong refused once.
func TestStepRulesNameTheInputs(t *testing.T) {
	t.Parallel()
	o := &options{mode: modeDeploy, image: "img", steps: []string{"50", "x", "0", "40", "30"}, bakeTimes: []string{"1m", "2m"},
		gateInterval: time.Second, timeout: time.Minute}
	err := o.check(nil)
	var got []string
	for _, e := range action.Flatten(err) {
		got = append(got, e.Error())
	}
	want := []string{
		`input steps: percent "x" is not an integer from 0 to 100`,
		"input steps: step 3 is 0%: steps are percents from 1 to 100, e.g. 10,50,100",
		"input steps: must increase: 30 is not above 40; e.g. 10,50,100",
		"input bake_time: has 2 durations for 5 steps; give one duration for every step, or one per step",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
