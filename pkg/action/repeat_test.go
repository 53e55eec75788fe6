package action

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestRepeatedListFlagsAddUpUnderEitherName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"short flag repeated", []string{"-L", "8080:localhost:80", "-L", "9000:db:5432"}, []string{"8080:localhost:80", "9000:db:5432"}},
		{"long and short mixed", []string{"--local-forward", "1:a:1", "-L", "2:b:2,3:c:3"}, []string{"1:a:1", "2:b:2", "3:c:3"}},
		{"once", []string{"--local-forward", "1:a:1"}, []string{"1:a:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			var host string
			in := NewInputs("tunnel")
			in.List(&got, Input{Name: "local_forward", Short: "L", Usage: "Forward"})
			in.String(&host, Input{Name: "host", Usage: "Host"})
			env := newLocalEnv(nil)
			if err := env.runtime().Parse(in, append(tc.args, "--host", "a", "--host", "b")); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("local_forward = %q, want %q", got, tc.want)
			}
			if host != "b" {
				t.Errorf("a repeated string flag = %q, want the last one, b", host)
			}
		})
	}
}

func TestHelpShowsTheShortFlag(t *testing.T) {
	t.Parallel()
	var got []string
	in := NewInputs("tunnel")
	in.List(&got, Input{Name: "local_forward", Short: "L", Usage: "Forward"})
	env := newLocalEnv(nil)
	_ = env.runtime().Parse(in, []string{"--help"})
	if !strings.Contains(env.out.String(), "--local-forward list, -L list") {
		t.Errorf("help does not show -L:\n%s", env.out.String())
	}
}

func TestAnInterruptEndsAnUntilInterruptedCommandCleanly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		untilInterrupted bool
		err              error
		want             int
	}{
		{"a tunnel stopped by Ctrl-C", true, nil, ExitOK},
		{"a tunnel that failed while stopping", true, errors.New("boom"), ExitFailure},
		{"an action cancelled", false, nil, ExitFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := Command{Name: "tunnel", UntilInterrupted: tc.untilInterrupted, Setup: func(*Inputs) RunFunc {
				return func(ctx context.Context, _ *Runtime) error {
					<-ctx.Done()
					return tc.err
				}
			}}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			env := newLocalEnv(nil)
			if got := Main(ctx, []string{"tunnel"}, []Command{cmd}, WithGetenv(env.getenv), WithWriter(&env.out)); got != tc.want {
				t.Errorf("exit code %d, want %d; log:\n%s", got, tc.want, env.out.String())
			}
		})
	}
}
