package main

import (
	"testing"
	"time"
)

func TestPhasesOf(t *testing.T) {
	t.Parallel()
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	calls := []call{
		{"HEAD", "/_ping", ms(100), ms(102)},
		{"GET", "/v1.41/info", ms(103), ms(110)},
		{"POST", "/v1.41/configs/create", ms(110), ms(140)},
		{"GET", "/v1.41/services", ms(141), ms(150)},
		{"GET", "/v1.41/distribution/twittix-test/app:v2/json", ms(141), ms(190)},
		{"GET", "/v1.41/tasks", ms(150), ms(155)}, // before any update: not a poll of the wait
		{"POST", "/v1.41/services/b/update", ms(205), ms(230)},
		{"POST", "/v1.41/services/a/update", ms(200), ms(220)},
		{"GET", "/v1.41/tasks", ms(1000), ms(1010)},
		{"GET", "/v1.41/tasks", ms(3000), ms(3020)},
		{"DELETE", "/v1.41/configs/lock", ms(3030), ms(3050)},
	}
	got, ok := phasesOf(calls, ms(3100), ms(2990))
	if !ok {
		t.Fatal("phasesOf could not split the run")
	}
	want := phases{connect: ms(100), lock: ms(40), plan: ms(60), resolve: ms(49), apply: ms(30),
		wait: ms(2790), lag: ms(30), finish: ms(80), client: ms(340), polls: 2, calls: len(calls)}
	if got != want {
		t.Errorf("phasesOf = %+v, want %+v", got, want)
	}
	if _, ok := phasesOf(calls[:5], ms(3100), ms(2990)); ok {
		t.Error("phasesOf split a run without updates")
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{5}, 5},
		{[]time.Duration{9, 1, 5}, 5},
		{[]time.Duration{4, 1, 9, 2}, 3},
	}
	for _, tc := range tests {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
