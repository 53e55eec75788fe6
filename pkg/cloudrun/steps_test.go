package cloudrun_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/field"
)

func TestCheckSteps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []int32
		want  []cloudrun.StepError
	}{
		{name: "increasing", steps: []int32{10, 50, 100}},
		{name: "none", steps: nil},
		{name: "out of range", steps: []int32{0, 120}, want: []cloudrun.StepError{{Step: 1, Percent: 0}, {Step: 2, Percent: 120}}},
		{name: "not increasing", steps: []int32{50, 10, 10, 100}, want: []cloudrun.StepError{{Step: 2, Percent: 10, Previous: 50}, {Step: 3, Percent: 10, Previous: 10}}},
		// A step out of range is refused for its range only.
		{name: "out of range after a higher step", steps: []int32{50, 0}, want: []cloudrun.StepError{{Step: 2, Percent: 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []cloudrun.StepError
			for _, err := range action.Flatten(cloudrun.CheckSteps(tc.steps)) {
				var fe *field.Error
				var se *cloudrun.StepError
				if !errors.As(err, &fe) || fe.Field != cloudrun.FieldSteps || !errors.As(err, &se) {
					t.Fatalf("%v: not a *StepError of FieldSteps", err)
				}
				if se.Increase() != (se.Previous > 0) {
					t.Errorf("%v: Increase() = %v", se, se.Increase())
				}
				got = append(got, *se)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckBakes(t *testing.T) {
	t.Parallel()
	if err := cloudrun.CheckBakes(3, []time.Duration{time.Minute}); err != nil {
		t.Errorf("one bake time for all steps: %v", err)
	}
	if err := cloudrun.CheckBakes(2, []time.Duration{time.Minute, 0}); err != nil {
		t.Errorf("one bake time per step: %v", err)
	}
	err := cloudrun.CheckBakes(3, []time.Duration{time.Minute, -time.Second})
	var be *cloudrun.BakeError
	if !errors.As(err, &be) || *be != (cloudrun.BakeError{Bakes: 2, Steps: 3}) {
		t.Errorf("CheckBakes(2 for 3 steps) = %v, want a *BakeError", err)
	}
	var fe *field.Error
	if !errors.As(err, &fe) || fe.Field != cloudrun.FieldBake {
		t.Errorf("CheckBakes() = %v, want a *field.Error of FieldBake", err)
	}
	if got := len(action.Flatten(err)); got != 2 {
		t.Errorf("%d problems, want the count and the negative bake time: %v", got, err)
	}
}

// TestNoStepsIsMissing checks a canary without steps reports Steps as a required field left
// empty, and bad steps as a field that is set.
func TestNoStepsIsMissing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		steps   []int32
		missing bool
	}{
		{name: "no steps", steps: nil, missing: true},
		{name: "bad steps", steps: []int32{0}, missing: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := cloudrun.CanaryRequest{Steps: tc.steps, Bake: []time.Duration{time.Minute}}.Validate(false)
			var steps []*field.Error
			for _, e := range action.Flatten(err) {
				if fe := new(field.Error); errors.As(e, &fe) && fe.Field == cloudrun.FieldSteps {
					steps = append(steps, fe)
				}
			}
			if len(steps) != 1 || steps[0].Missing != tc.missing {
				t.Fatalf("Validate() = %v, want one problem of Steps with Missing %t", err, tc.missing)
			}
		})
	}
}
