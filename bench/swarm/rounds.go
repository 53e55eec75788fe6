package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/moby/moby/client"

	"github.com/twittix/infra/internal/testenv/dockertest"
)

// floorRow is one stack size's medians: the update of the three ways, and where deploy-swarm's
// time went.
type floorRow struct {
	update row // docker and deploy-swarm, as in the first table
	floor  time.Duration
	issued time.Duration // floor: every ServiceUpdate answered
	lag    time.Duration // floor: Swarm's last completion to the poll that saw it
	client time.Duration // floor: its run but Swarm's work (updates sent, and lag)
	ratio  float64       // median of the rounds' deploy-swarm/floor ratios
	ph     phases        // deploy-swarm
	traced int           // rounds whose calls could be split into phases
}

// size creates three stacks of n services (docker, deploy-swarm, floor), times the creation of
// the first two, then runs rounds updates of all three, alternating the image between v2 and v1
// and rotating which goes first, and returns the creation row and the medians of the updates.
func (b *bench) size(ctx context.Context, c *client.Client, n, rounds int, monitor, settle time.Duration) (row, floorRow, error) {
	stackD, stackO, stackF := dockertest.StackName("bd"), dockertest.StackName("bo"), dockertest.StackName("bf")
	defer func() {
		for _, stack := range []string{stackD, stackO, stackF} {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			if err := dockertest.RemoveStack(rctx, c, stack); err != nil {
				fmt.Fprintf(os.Stderr, "remove stack %s: %v\n", stack, err)
			}
			cancel()
		}
	}()
	create := row{services: n, phase: "create"}
	v1 := b.compose(n, "v1", monitor)
	var err error
	time.Sleep(settle)
	if create.docker, create.dockerLogins, err = b.dockerDeploy(ctx, stackD, v1); err != nil {
		return create, floorRow{}, err
	}
	time.Sleep(settle)
	if create.ours, create.ourLogins, err = b.actionDeploy(ctx, stackO, v1); err != nil {
		return create, floorRow{}, err
	}
	if _, _, err = b.actionDeploy(ctx, stackF, v1); err != nil { // untimed: the floor only updates
		return create, floorRow{}, err
	}
	fmt.Fprintf(os.Stderr, "%2d services create: docker %s, deploy-swarm %s\n", n, round(create.docker), round(create.ours))

	var (
		docker, ours, floor, issued, lag, client []time.Duration
		logins                                   [2][]int
		traced                                   []phases
	)
	for r := range rounds {
		variant := []string{"v2", "v1"}[r%2]
		file := b.compose(n, variant, monitor)
		steps := []func() error{
			func() error {
				d, l, err := b.dockerDeploy(ctx, stackD, file)
				docker, logins[0] = append(docker, d), append(logins[0], l)
				return err
			},
			func() error {
				d, l, err := b.actionDeploy(ctx, stackO, file)
				if err != nil {
					return err
				}
				ours, logins[1] = append(ours, d), append(logins[1], l)
				done, err := completedAt(ctx, c, stackO)
				if err != nil {
					return err
				}
				if b.showCalls {
					printCalls(os.Stderr, b.tracer.recorded(), done.Sub(b.tracer.started()))
				}
				if p, ok := phasesOf(b.tracer.recorded(), d, done.Sub(b.tracer.started())); ok {
					traced = append(traced, p)
				}
				return nil
			},
			func() error {
				ft, err := floorUpdate(ctx, c, stackF, dockertest.Image(variant))
				if err != nil {
					return err
				}
				done, err := completedAt(ctx, c, stackF)
				if err != nil {
					return err
				}
				l := ft.total - done.Sub(ft.start)
				floor, issued, lag, client = append(floor, ft.total), append(issued, ft.issued), append(lag, l), append(client, ft.issued+l)
				return nil
			},
		}
		for i := range steps {
			time.Sleep(settle)
			if err := steps[(i+r)%len(steps)](); err != nil {
				return create, floorRow{}, err
			}
		}
		fmt.Fprintf(os.Stderr, "%2d services update %d/%d: floor %s, deploy-swarm %s, docker %s\n", n, r+1, rounds,
			round(floor[r]), round(ours[r]), round(docker[r]))
	}
	fr := floorRow{
		update: row{services: n, phase: "update", docker: median(docker), ours: median(ours),
			dockerLogins: medianInt(logins[0]), ourLogins: medianInt(logins[1])},
		floor: median(floor), issued: median(issued), lag: median(lag), client: median(client), traced: len(traced),
	}
	// The rounds' ratios: a round's three updates ran back to back, under about the same load.
	ratios := make([]time.Duration, len(ours))
	for i := range ours {
		ratios[i] = time.Duration(float64(time.Second) * ours[i].Seconds() / floor[i].Seconds())
	}
	fr.ratio = median(ratios).Seconds()
	fr.ph = medianPhases(traced)
	return create, fr, nil
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianInt(xs []int) int {
	ds := make([]time.Duration, len(xs))
	for i, x := range xs {
		ds[i] = time.Duration(x)
	}
	return int(median(ds))
}

// medianPhases is the median of each phase on its own.
func medianPhases(ps []phases) phases {
	of := func(f func(phases) time.Duration) time.Duration {
		ds := make([]time.Duration, len(ps))
		for i, p := range ps {
			ds[i] = f(p)
		}
		return median(ds)
	}
	count := func(f func(phases) int) int {
		xs := make([]int, len(ps))
		for i, p := range ps {
			xs[i] = f(p)
		}
		return medianInt(xs)
	}
	return phases{
		connect: of(func(p phases) time.Duration { return p.connect }),
		lock:    of(func(p phases) time.Duration { return p.lock }),
		plan:    of(func(p phases) time.Duration { return p.plan }),
		resolve: of(func(p phases) time.Duration { return p.resolve }),
		apply:   of(func(p phases) time.Duration { return p.apply }),
		wait:    of(func(p phases) time.Duration { return p.wait }),
		lag:     of(func(p phases) time.Duration { return p.lag }),
		finish:  of(func(p phases) time.Duration { return p.finish }),
		client:  of(func(p phases) time.Duration { return p.client }),
		polls:   count(func(p phases) int { return p.polls }),
		calls:   count(func(p phases) int { return p.calls }),
	}
}

func printFloor(w io.Writer, rows []floorRow, rounds int, monitor time.Duration) {
	sec := func(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
	fmt.Fprintf(w, "\n## deploy-swarm over the floor: updates, medians of %d rounds\n\n", rounds)
	fmt.Fprintf(w, "The floor: one ServiceList, then every ServiceUpdate at once straight to the local Docker socket, "+
		"then ServiceList and TaskList every %s until every update completed with its tasks running at the new spec "+
		"(update_config monitor %s, order start-first). deploy-swarm and docker go through SSH.\n\n", floorPoll, monitor)
	fmt.Fprintln(w, "Client time is a run's wall time less Swarm's work (from the last ServiceUpdate answered to Swarm's "+
		"completion of the last update): what the client itself adds. The paired ratio is the median of the rounds' own ratios.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Services | Floor | deploy-swarm | `docker stack deploy` | deploy-swarm / floor | paired ratio | client time: floor / deploy-swarm |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %.2fx | %.2fx | %d ms / %d ms |\n", r.update.services, sec(r.floor), sec(r.update.ours), sec(r.update.docker),
			r.update.ours.Seconds()/r.floor.Seconds(), r.ratio, r.client.Milliseconds(), r.ph.client.Milliseconds())
	}
	fmt.Fprintf(w, "\n## Where deploy-swarm's update time goes (medians of each phase, from its Engine API calls)\n\n")
	fmt.Fprintln(w, "Start: inputs, compose load, SSH login, to the first API call. Lock: to the lock's ConfigCreate answered. "+
		"Plan: to the first ServiceUpdate (lists, image resolution; resolve is its slowest /distribution call). "+
		"Apply: the ServiceUpdate calls. Wait: to the end of the poll that saw all done; lag is the part after "+
		"Swarm completed the last update (the floor's lag likewise). Finish: to the end of the run (final list, "+
		"lock release, outputs, SSH close).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Services | Floor: updates sent | Floor: lag | Start | Lock | Plan (resolve) | Apply | Wait (lag) | Finish | Polls | API calls |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	ms := func(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }
	for _, r := range rows {
		p := r.ph
		if r.traced == 0 {
			fmt.Fprintf(w, "| %d | %s | %s | (no trace) | | | | | | | |\n", r.update.services, ms(r.issued), ms(r.lag))
			continue
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s (%s) | %s | %s (%s) | %s | %d | %d |\n", r.update.services,
			ms(r.issued), ms(r.lag), ms(p.connect), ms(p.lock), ms(p.plan), ms(p.resolve), ms(p.apply), ms(p.wait), ms(p.lag),
			ms(p.finish), p.polls, p.calls)
	}
}
