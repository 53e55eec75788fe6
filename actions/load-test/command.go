package loadtestaction

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/twittix/infra/internal/sshinputs"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/loadtest"
	"github.com/twittix/infra/pkg/sshconn"
)

// Command is the load-test action: `twittix-infra load-test`.
var Command = action.Command{
	Name:    "load-test",
	Summary: "Load-test services over one SSH connection (or locally), judge the latency and errors against thresholds and a baseline",
	Setup: func(in *action.Inputs) action.RunFunc {
		o := &options{}
		declare(in, o)
		return func(ctx context.Context, rt *action.Runtime) error { return execute(ctx, rt, o) }
	},
}

// execute connects, runs the load test, judges it and reports.
func execute(ctx context.Context, rt *action.Runtime, o *options) error {
	opts := loadtest.Options{
		Targets: o.targets,
		Routes:  o.routes,
		Profile: loadtest.Profile{Warmup: o.warmup, Steps: o.steps},
		Timeout: o.requestTimeout,
	}
	if err := sshinputs.RefuseInsecure(o.ssh.InsecureIgnoreHostKey, rt.InGitHub()); err != nil {
		return err
	}
	if o.ssh.Host != "" {
		ssh, err := connect(ctx, rt, o)
		if err != nil {
			return err
		}
		defer func() {
			st := ssh.Stats()
			rt.Infof("SSH: %d connection(s), %d reconnect(s), %d forwarded TCP connection(s)", st.Connections, st.Reconnects, st.Channels)
			ssh.Close()
		}()
		opts.Dial = func(ctx context.Context, _, addr string) (net.Conn, error) { return ssh.DialTCP(ctx, addr) }
	}

	res, err := loadtest.Run(ctx, opts, rt)
	if res == nil {
		return err
	}
	res.Verdict = loadtest.Judge(res, o.thresholds, o.comparison)
	if werr := report(rt, o, res); werr != nil {
		err = errors.Join(err, werr)
	}
	if err == nil && !res.Verdict.Pass {
		err = fmt.Errorf("the load test failed its verdict: %s", strings.Join(res.Verdict.Failures(), "; "))
	}
	return err
}

// connect opens the SSH connection every request rides.
func connect(ctx context.Context, rt *action.Runtime, o *options) (*sshconn.Client, error) {
	end := rt.Group("Connect")
	defer end()
	cfg := o.ssh.Config()
	sshinputs.WarnInsecure(rt, cfg)
	return sshconn.Dial(ctx, cfg, rt)
}

// report writes the outputs and the step summary of a result.
func report(rt *action.Runtime, o *options, res *loadtest.Result) error {
	text, err := res.JSON()
	if err != nil {
		return err
	}
	verdict := "fail"
	if res.Verdict.Pass {
		verdict = "pass"
	}
	var base *loadtest.Result
	if o.comparison != nil {
		base = o.comparison.Baseline
	}
	return errors.Join(
		rt.SetOutput("result", text),
		rt.SetOutput("verdict", verdict),
		rt.WriteSummary(summary(res, o.thresholds, base)),
	)
}
