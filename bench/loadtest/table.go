package main

import (
	"fmt"
	"time"
)

// row is one transport's figures.
type row struct {
	name string
	max  float64
	at   measure // the breakdown run at params.rate
}

func printTable(p params, rows []row) {
	ceiling := rows[0].max
	fmt.Printf("## Load test: highest sustained rate against a trivial service (%s probes; ≥99.9%% ok, throughput ≥95%% of the rate, p99 ≤ %s)\n\n", p.duration, p.maxP99)
	fmt.Printf("| transport | highest sustained rate | vs the ceiling | p50 / p99 at %g req/s | CPU per 1000 requests at %g req/s: attacker + ssh client + sshd + service |\n", p.rate, p.rate)
	fmt.Println("| --- | --- | --- | --- | --- |")
	for _, r := range rows {
		per := func(d time.Duration) string {
			if r.at.requests == 0 {
				return "-"
			}
			return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)*1000/float64(r.at.requests))
		}
		fmt.Printf("| %s | %.0f req/s | %.2f× | %s / %s | %s + %s + %s + %s ms |\n", r.name, r.max, r.max/ceiling,
			r.at.p50.Round(10*time.Microsecond), r.at.p99.Round(10*time.Microsecond),
			per(r.at.attacker), per(r.at.sshClient), per(r.at.sshd), per(r.at.service))
	}
	fmt.Println()
	fmt.Println("The ceiling is vegeta's CLI straight to the service on loopback; ratios are to it (higher is better).")
	fmt.Println("CPU comes from /proc (sshd: its sessions and its listener's reaped children), in ms per 1000 requests.")
}
