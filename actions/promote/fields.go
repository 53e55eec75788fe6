package promote

import (
	"errors"
	"fmt"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/field"
)

// inputOf names the fields of the Cloud Run requests after the inputs that set them: the one
// table of the action from the domain's fields to its inputs.
var inputOf = map[field.Name]string{
	cloudrun.FieldService: "service",
	cloudrun.FieldProject: "project",
	cloudrun.FieldRegion:  "region",
	cloudrun.FieldSteps:   "steps",
	cloudrun.FieldBake:    "bake_time",
}

// inputTerms returns err told in the terms of the inputs: a service not found names the inputs
// that say where it was looked for (Cloud Run's NOT_FOUND still wrapped). Other errors are
// returned as they are.
func inputTerms(err error) error {
	if nf, ok := err.(*cloudrun.NotFoundError); ok {
		return fmt.Errorf("%s: check the %s, %s and %s inputs (this action deploys revisions of an existing service; create it once with `gcloud run deploy`): %w",
			nf.Where(), inputOf[cloudrun.FieldService], inputOf[cloudrun.FieldProject], inputOf[cloudrun.FieldRegion], nf.Err)
	}
	return err
}

// inputError tells a *field.Error of cloudrun as a problem of the input that set the field, in the
// terms of the inputs (steps are items of a list, bake times its durations); another error is
// returned as it is.
func inputError(err error) error {
	var fe *field.Error
	name, ok := "", false
	if errors.As(err, &fe) {
		name, ok = inputOf[fe.Field]
	}
	if !ok {
		return err
	}
	var step *cloudrun.StepError
	var bakes *cloudrun.BakeError
	problem := fe.Problem()
	switch {
	case errors.As(err, &step) && step.Increase():
		problem = fmt.Sprintf("must increase: %d is not above %d; e.g. 10,50,100", step.Percent, step.Previous)
	case errors.As(err, &step):
		problem = fmt.Sprintf("step %d is %d%%: steps are percents from 1 to 100, e.g. 10,50,100", step.Step, step.Percent)
	case errors.As(err, &bakes):
		problem = fmt.Sprintf("has %d durations for %d steps; give one duration for every step, or one per step", bakes.Bakes, bakes.Steps)
	}
	return &action.InputError{Input: name, Problem: problem}
}
