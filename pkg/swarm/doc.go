// Package swarm deploys a compose stack to a Docker Swarm, like `docker stack deploy
// --detach=false`, then waits for it, and rolls it back when it fails.
//
// Compose files are loaded, interpolated, merged and converted with docker/cli's own
// cli/compose/loader and cli/compose/convert, so a stack ends up exactly as `docker stack deploy`
// would make it (same names, same com.docker.stack.namespace and com.docker.stack.image labels),
// and `docker stack ps` and `docker stack services` show it. The apply loop is this package's;
// loading is package stackfile's, and the comparison of specs package specdiff's:
//
//   - stackfile.Load reads the files; variables come from env files and explicit maps only (Env, and
//     SecretEnv for secret values), never from the process environment. The files a compose file
//     names (secrets' and configs' file, env_file) are read only inside Root (the workspace),
//     symbolic links resolved, as regular files under Swarm's caps (a secret under 500 KiB, a
//     config under 1000 KiB, an env file up to 1 MiB). Errors are *FileError values naming the
//     file, line and key.
//   - Deploy checks that the daemon is a swarm manager, takes the stack's deploy lock, and plans
//     without changing anything: it converts the services once, reads the stack's services and
//     the swarm's networks, secrets and configs, resolves the images, and diffs each service with
//     the one running (a dry run reports that plan and stops, without the lock). Then it applies
//     the plan: it creates the networks, the secrets and configs (named by content hash,
//     <stack>_<name>-<hash8>, since Swarm cannot change them), then creates and updates the
//     services that changed, all at once.
//   - It waits for every service at once, polling the stack's services and up-to-date tasks (two
//     API calls per poll whatever the number of services). A service is done when its tasks at
//     the new spec run (healthy, when it has a healthcheck: Swarm only calls such a task running
//     once healthy) in the desired number and its update completed; a created service must also
//     keep running for its update monitor, as docker's own wait does. The progress lines say why
//     a task is held back as soon as Swarm does ("pending: no suitable node (...)").
//   - A paused update, a rollback Swarm starts by itself, tasks that keep failing, or the timeout
//     fail the deploy. The Result names the failing services, their task errors and the last
//     lines that their failing tasks (the tasks of the spec the run deployed) logged, oldest
//     first. A task that Swarm stopped for failing its healthcheck is reported as
//     "unhealthy: <last health check output>" when its container is on the manager the client
//     talks to (tasks on other nodes keep Swarm's own status).
//
// What a user must know of the outcomes:
//
//   - Rollback. With RollbackOnFailure (the default), a failed deploy puts every service the run
//     updated back to its previous spec, and REMOVES every service the run created: a first
//     deploy that fails leaves no service behind. The wait then goes on until the rollback
//     converged, bounded by Timeout again. Networks the run created stay, and services that Prune
//     removed are not restored. Without RollbackOnFailure the services are left as they are.
//   - Cancellation. When ctx is cancelled (the workflow run is cancelled), Deploy stops waiting,
//     releases the lock first, then reads the final state, both within CleanupBudget, and returns,
//     WITHOUT rolling back: Swarm goes on with the updates
//     it was given, and the unfinished services are reported "pending". The same holds when the
//     swarm cannot be watched any more (the connection is lost for good).
//   - Secrets and configs. After a successful deploy, the secrets and configs of the stack that
//     no service uses any more are removed (the old versions of rotated ones, for instance),
//     except those the files still define: a later `docker service rollback` across a rotation
//     then fails for want of the old secret, so roll back by deploying the previous files
//     instead. After a failed deploy, only the ones this run created
//     and nothing uses are removed: the previous release's stay, for a rollback needs them. After
//     a cancelled or interrupted run, none are removed.
//   - Lock. Two runs never deploy one stack at once: the lock is a Swarm config
//     <stack>_deploy-lock that names its holder and its expiry (LockTTL). Another run refuses at
//     once, or waits up to LockWait; an expired lock (its run crashed) is broken with a warning.
//     `docker config rm <stack>_deploy-lock` removes a lock by hand.
//
// DryRun compares the converted files with the running services, prints what would change
// (environment values are never shown, only the names of the variables that change, and no change
// whose values hold a SecretEnv value is shown, whatever its field) and changes nothing.
//
// The package never prints and never reads the environment: it reports through a
// logging.Logger and returns a Result, from which the action renders its outputs and step
// summary.
package swarm
