// Package stackfile loads a stack's compose files as `docker stack deploy` does, with docker/cli's
// loader: the variables (env files, explicit and secret ones, never the process environment) that
// interpolate them, the files they reference (secrets' and configs' files, env_file) read confined
// to a root and capped, and errors located by file and line (FileError). It also converts the
// secrets and configs into Swarm specs named by their content.
package stackfile
