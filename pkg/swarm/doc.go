// Package swarm deploys a compose stack to a Docker Swarm, like `docker stack deploy
// --detach=false`, then waits for it, and rolls it back when it fails.
//
// Compose files are loaded, interpolated, merged and converted with docker/cli's own
// cli/compose/loader and cli/compose/convert, so a stack ends up exactly as `docker stack deploy`
// would make it (same names, same com.docker.stack.namespace and com.docker.stack.image labels),
// and `docker stack ps` and `docker stack services` show it. The apply loop is this package's:
//
//   - Load reads the files; variables come from env files and an explicit map only, never from
//     the process environment. Errors are *FileError values naming the file and line.
//   - Deploy checks that the daemon is a swarm manager, takes the stack's deploy lock (a Swarm
//     config <stack>_deploy-lock with an expiry), creates the networks, the secrets and configs
//     (named by content hash, <stack>_<name>-<hash8>, since Swarm cannot change them), then
//     creates and updates the services that changed, all at once.
//   - It waits for every service at once, polling the stack's services and up-to-date tasks (two
//     API calls per poll whatever the number of services). A service is done when its tasks at
//     the new spec run (healthy, when it has a healthcheck: Swarm only calls such a task running
//     once healthy) in the desired number and its update completed; a created service must also
//     keep running for its update monitor, as docker's own wait does.
//   - A paused update, a rollback Swarm starts by itself, tasks that keep failing, or the timeout
//     fail the deploy. With RollbackOnFailure every service the run changed goes back to its
//     previous spec, and services the run created are removed; the wait goes on until the
//     rollback converged. The Result names the failing services, their task errors and the last
//     lines of their logs.
//   - Secrets and configs of the stack that no service uses any more are removed at the end.
//
// A cancelled context stops the wait, releases the lock and returns without rollback. DryRun
// compares the converted files with the running services and changes nothing.
//
// The package never prints and never reads the environment: it reports through a
// logging.Logger and returns a Result, which RenderJSON and RenderMarkdown turn into the action's
// outputs and step summary.
package swarm
