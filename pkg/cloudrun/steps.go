package cloudrun

import (
	"errors"
	"fmt"
	"time"

	"github.com/twittix/infra/pkg/field"
)

// The fields that errors name: of a ServiceRef, of a CanaryRequest. A problem with one is a
// *field.Error whose cause says what (a *StepError or a *BakeError for the canary's rules).
const (
	FieldService field.Name = "Service"
	FieldProject field.Name = "Project"
	FieldRegion  field.Name = "Region"
	FieldSteps   field.Name = "Steps"
	FieldBake    field.Name = "Bake"
)

// StepError is a canary step that breaks the rules: its percent is outside 1 to 100, or it is not
// above the step before (Previous).
type StepError struct {
	// Step is the number of the step, from 1.
	Step    int
	Percent int32
	// Previous is the percent of the step before when the steps do not increase; 0 otherwise.
	Previous int32
}

// Increase reports whether the step breaks the rule that steps increase (a step in range not
// above the one before, whose percent is then at least 1), rather than the range.
func (e *StepError) Increase() bool { return e.Previous > 0 }

func (e *StepError) Error() string {
	if e.Increase() {
		return fmt.Sprintf("canary steps must increase: step %d (%d%%) is not above step %d (%d%%)", e.Step, e.Percent, e.Step-1, e.Previous)
	}
	return fmt.Sprintf("canary step %d is %d%%: steps are percents from 1 to 100", e.Step, e.Percent)
}

// CheckSteps checks the percents of a canary's steps: each from 1 to 100, each above the one
// before. Each problem is a *field.Error of FieldSteps with a *StepError, all of them joined.
func CheckSteps(steps []int32) error {
	var errs []error
	for i, p := range steps {
		switch {
		case p < 1 || p > 100:
			errs = append(errs, field.Wrap(FieldSteps, &StepError{Step: i + 1, Percent: p}))
		case i > 0 && p <= steps[i-1]:
			errs = append(errs, field.Wrap(FieldSteps, &StepError{Step: i + 1, Percent: p, Previous: steps[i-1]}))
		}
	}
	return errors.Join(errs...)
}

// BakeError is a count of bake times that fits no count of steps: there must be one for all
// steps, or one per step.
type BakeError struct {
	Bakes, Steps int
}

func (e *BakeError) Error() string {
	return fmt.Sprintf("%d bake times for %d steps: give one bake time for all steps or one per step", e.Bakes, e.Steps)
}

// CheckBakes checks there is one bake time for all the steps or one per step, none negative.
// Each problem is a *field.Error of FieldBake, all of them joined.
func CheckBakes(steps int, bakes []time.Duration) error {
	var errs []error
	if n := len(bakes); n != 1 && n != steps {
		errs = append(errs, field.Wrap(FieldBake, &BakeError{Bakes: n, Steps: steps}))
	}
	for _, b := range bakes {
		if b < 0 {
			errs = append(errs, field.Errorf(FieldBake, "bake time %s is negative", b))
		}
	}
	return errors.Join(errs...)
}
