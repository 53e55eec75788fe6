package swarm

import "github.com/moby/moby/api/types/swarm"

// outcome is what became of one service in a run: the change the run applied to it, the wait for
// it, and its rollback. Apply makes one per service; the wait and the rollback fill it in.
type outcome struct {
	name    string
	svc     *desiredService // the service of the files; nil for a pruned one
	removed *swarm.Service  // the service pruned: no longer in the files
	err     error           // the create, update or removal failed
	target  *target         // what the wait watches; nil when the run did not reach it

	// rollback is when its rollback (or removal, for a service the run created) ran, rollbackErr
	// why it could not be made, and rollbackWait the wait for an updated service to come back.
	rollback     *Timing
	rollbackErr  error
	rollbackWait *target
}

// removedNew reports whether the rollback removed the service, which the run had created.
func (o *outcome) removedNew() bool {
	return o.rollback != nil && o.rollbackErr == nil && o.target.kind == kindCreated
}

// rollbackFailed reports whether the rollback could not be made, or did not converge.
func (o *outcome) rollbackFailed() bool {
	return o.rollbackErr != nil || (o.rollbackWait != nil && o.rollbackWait.reason != "")
}

// runEnd is how the run ended, which decides the state of the services it did not see finish.
type runEnd struct {
	failed      bool // some services failed
	rolledBack  bool // the changed services were rolled back
	interrupted bool // ctx was cancelled, or the swarm could not be watched
}

// state is the state the service of the files ends the run in.
func (o *outcome) state(end runEnd) string {
	t := o.target
	switch {
	case o.err != nil:
		return StateFailed
	case t == nil:
		return StateSkipped
	case o.removedNew():
		return StateRemovedNew
	case o.rollbackFailed():
		return StateRollbackFailed
	case end.failed && end.rolledBack && t.kind != kindUnchanged:
		return StateRolledBack
	case t.reason != "":
		return StateFailed
	case !t.done && t.kind != kindUnchanged && (end.interrupted || end.failed):
		return StatePending
	}
	switch t.kind {
	case kindCreated:
		return StateCreated
	case kindUpdated:
		return StateUpdated
	}
	return StateUnchanged
}
