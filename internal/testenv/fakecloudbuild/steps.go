package fakecloudbuild

import (
	"crypto/sha256"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// runStep runs step i and reports whether it failed the build; err says why the build stopped
// early (cancelled, timed out).
func (r *runner) runStep(i int) (failed bool, err error) {
	st := r.b.Steps[i]
	label := fmt.Sprintf("Step #%d", i)
	if st.Id != "" {
		label += fmt.Sprintf(" - %q", st.Id)
	}
	start := time.Now()
	r.update(func(b *cloudbuildpb.Build) {
		b.Steps[i].Status = cloudbuildpb.Build_WORKING
		b.Steps[i].Timing = &cloudbuildpb.TimeSpan{StartTime: timestamppb.New(start)}
	})
	var stepDeadline time.Time
	if st.Timeout != nil {
		stepDeadline = start.Add(st.Timeout.AsDuration())
	}
	if err := r.log("Starting %s", label); err != nil {
		return false, err
	}
	out := func(line string) error { return r.log("%s: %s", label, line) }
	if err := out("Already have image (with digest): " + st.Name); err != nil {
		return false, err
	}
	code, err := r.exec(st, out, stepDeadline)
	if err != nil {
		return false, err
	}
	if err := r.log("Finished %s", label); err != nil {
		return false, err
	}
	allowed := code == 0 || st.AllowFailure || slices.Contains(st.AllowExitCodes, int32(code))
	r.update(func(b *cloudbuildpb.Build) {
		s := b.Steps[i]
		s.Status = cloudbuildpb.Build_SUCCESS
		if code != 0 {
			s.Status = cloudbuildpb.Build_FAILURE
		}
		s.ExitCode = int32(code)
		s.Timing.EndTime = timestamppb.Now()
	})
	if allowed {
		return false, nil
	}
	detail := fmt.Sprintf("build step %d %q failed: step exited with non-zero status: %d", i, st.Name, code)
	r.fail(cloudbuildpb.Build_FAILURE, &cloudbuildpb.Build_FailureInfo{Type: cloudbuildpb.Build_FailureInfo_USER_BUILD_STEP, Detail: "Build step failure: " + detail}, detail)
	return true, nil
}

// exec simulates what the step's image would do: the Docker builder builds, tags and pushes images
// from the source; shells run a tiny script language (see shell); other images just succeed.
func (r *runner) exec(st *cloudbuildpb.BuildStep, out func(string) error, deadline time.Time) (int, error) {
	image := repository(st.Name)
	args := st.Args
	if st.Script != "" {
		return r.shell(st.Script, st, out, deadline)
	}
	switch ep := path.Base(st.Entrypoint); {
	case ep == "bash" || ep == "sh":
		if len(args) >= 2 && args[0] == "-c" {
			return r.shell(args[1], st, out, deadline)
		}
		return r.shell(strings.Join(args, " "), st, out, deadline)
	case ep == "docker" || st.Entrypoint == "" && strings.HasSuffix(image, "cloud-builders/docker"):
		return r.docker(args, st, out, deadline)
	case st.Entrypoint == "" && strings.HasSuffix(image, "cloud-builders/gcb-internal") && len(args) > 0 && args[0] == "docker":
		return r.docker(args[1:], st, out, deadline)
	case st.Entrypoint == "" && isShellImage(image):
		if len(args) >= 3 && (args[0] == "bash" || args[0] == "sh") && args[1] == "-c" {
			return r.shell(args[2], st, out, deadline)
		}
		return r.shell(strings.Join(args, " "), st, out, deadline)
	}
	return 0, out(strings.TrimSpace("running " + st.Name + " " + strings.Join(args, " ")))
}

func isShellImage(image string) bool {
	switch path.Base(image) {
	case "bash", "ubuntu", "alpine", "busybox", "debian":
		return true
	}
	return false
}

// shell interprets a script, one command per line or per ";": echo, sleep SECONDS, exit N,
// cat FILE (from the source), ls [DIR], printenv, test -f FILE, true, false. Unknown commands fail
// with 127 as bash would. The status of the last command is the step's.
func (r *runner) shell(script string, st *cloudbuildpb.BuildStep, out func(string) error, deadline time.Time) (int, error) {
	last := 0
	for n, line := range strings.Split(script, "\n") {
		for _, cmd := range strings.Split(line, ";") {
			fields := strings.Fields(cmd)
			if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
				continue
			}
			rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(cmd), fields[0]))
			var err error
			switch fields[0] {
			case "echo":
				last, err = 0, out(unquote(rest))
			case "sleep":
				secs, perr := strconv.ParseFloat(rest, 64)
				if perr != nil {
					last, err = 1, out("sleep: invalid time interval '"+rest+"'")
					break
				}
				last, err = 0, r.wait(time.Duration(secs*float64(time.Second)), deadline)
			case "exit":
				code, _ := strconv.Atoi(rest)
				return code, nil
			case "cat":
				content, ok := r.read(path.Join(st.Dir, unquote(rest)))
				if !ok {
					last, err = 1, out("cat: "+rest+": No such file or directory")
					break
				}
				last = 0
				for _, l := range strings.Split(strings.TrimSuffix(string(content), "\n"), "\n") {
					if err = out(l); err != nil {
						break
					}
				}
			case "ls":
				dir := path.Clean(path.Join(st.Dir, unquote(rest)))
				last = 0
				for _, p := range r.list() {
					if dir == "." || strings.HasPrefix(p, dir+"/") {
						if err = out(p); err != nil {
							break
						}
					}
				}
			case "printenv", "env":
				last = 0
				for _, e := range st.Env {
					if err = out(e); err != nil {
						break
					}
				}
			case "test":
				last = 1
				if len(fields) == 3 && fields[1] == "-f" {
					if _, ok := r.read(path.Join(st.Dir, fields[2])); ok {
						last = 0
					}
				}
			case "true":
				last = 0
			case "false":
				last = 1
			default:
				last, err = 127, out(fmt.Sprintf("bash: line %d: %s: command not found", n+1, fields[0]))
			}
			if err != nil {
				return last, err
			}
		}
	}
	return last, nil
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// dockerFlagsWithValue are the docker build flags followed by a value.
var dockerFlagsWithValue = map[string]bool{
	"-t": true, "--tag": true, "-f": true, "--file": true, "--build-arg": true, "--network": true,
	"--target": true, "--platform": true, "--cache-from": true, "--label": true, "--secret": true,
}

// docker simulates the Docker builder: build reads the Dockerfile from the source and runs its RUN
// lines with shell; push needs an image built before; tag copies one.
func (r *runner) docker(args []string, st *cloudbuildpb.BuildStep, out func(string) error, deadline time.Time) (int, error) {
	if len(args) == 0 {
		return 1, out("Usage:  docker [OPTIONS] COMMAND")
	}
	switch args[0] {
	case "build":
		return r.dockerBuild(args[1:], st, out, deadline)
	case "push":
		if len(args) < 2 {
			return 1, out(`"docker push" requires exactly 1 argument.`)
		}
		tag := args[len(args)-1]
		if _, ok := r.images[tag]; !ok {
			return 1, out("An image does not exist locally with the tag: " + repository(tag))
		}
		digest := r.digest(tag)
		r.pushed[tag] = digest
		if err := out("The push refers to repository [" + repository(tag) + "]"); err != nil {
			return 0, err
		}
		return 0, out(tagOf(tag) + ": digest: " + digest + " size: 1570")
	case "tag":
		if len(args) != 3 {
			return 1, out(`"docker tag" requires exactly 2 arguments.`)
		}
		id, ok := r.images[args[1]]
		if !ok {
			return 1, out("Error response from daemon: No such image: " + args[1])
		}
		r.images[args[2]] = id
		return 0, nil
	}
	return 0, out("docker " + strings.Join(args, " "))
}

func (r *runner) dockerBuild(args []string, st *cloudbuildpb.BuildStep, out func(string) error, deadline time.Time) (int, error) {
	var tags []string
	file, context := "", "."
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(a, "=")
		switch {
		case dockerFlagsWithValue[name] && hasValue:
		case dockerFlagsWithValue[a] && i+1 < len(args):
			name, value = a, args[i+1]
			i++
		case strings.HasPrefix(a, "-"):
			continue
		default:
			context = a
			continue
		}
		switch name {
		case "-t", "--tag":
			tags = append(tags, value)
		case "-f", "--file":
			file = value
		}
	}
	ctxDir := path.Clean(path.Join(st.Dir, context))
	if file == "" {
		file = path.Join(ctxDir, "Dockerfile")
	} else {
		file = path.Clean(path.Join(st.Dir, file))
	}
	content, ok := r.read(file)
	if !ok {
		return 1, out(fmt.Sprintf("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat /workspace/%s: no such file or directory", file))
	}
	instructions := dockerInstructions(string(content))
	if err := out(fmt.Sprintf("Sending build context to Docker daemon  %d files", len(r.files))); err != nil {
		return 0, err
	}
	h := sha256.New()
	for n, ins := range instructions {
		h.Write([]byte(ins))
		if err := out(fmt.Sprintf("Step %d/%d : %s", n+1, len(instructions), ins)); err != nil {
			return 0, err
		}
		keyword, rest, _ := strings.Cut(ins, " ")
		switch strings.ToUpper(keyword) {
		case "RUN":
			code, err := r.shell(rest, st, out, deadline)
			if err != nil {
				return code, err
			}
			if code != 0 {
				return code, out(fmt.Sprintf("The command '/bin/sh -c %s' returned a non-zero code: %d", rest, code))
			}
		case "COPY", "ADD":
			srcs := strings.Fields(rest)
			for _, src := range srcs[:max(len(srcs)-1, 0)] {
				if strings.HasPrefix(src, "--") || strings.ContainsAny(src, "*?") || src == "." {
					continue
				}
				if _, ok := r.files[path.Clean(path.Join(ctxDir, src))]; !ok {
					return 1, out(fmt.Sprintf("COPY failed: file not found in build context or excluded by .dockerignore: stat %s: file does not exist", src))
				}
			}
		}
		if err := out(fmt.Sprintf(" ---> %x", h.Sum(nil)[:6])); err != nil {
			return 0, err
		}
	}
	id := fmt.Sprintf("%x", h.Sum(nil)[:6])
	if err := out("Successfully built " + id); err != nil {
		return 0, err
	}
	for _, t := range tags {
		r.images[t] = id
		if err := out("Successfully tagged " + t); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// dockerInstructions returns the instructions of a Dockerfile, continuation lines joined.
func dockerInstructions(content string) []string {
	var ins []string
	var cur strings.Builder
	for _, line := range strings.Split(content, "\n") {
		t := strings.TrimSpace(line)
		if cur.Len() == 0 && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if cont, ok := strings.CutSuffix(t, `\`); ok {
			cur.WriteString(strings.TrimSpace(cont) + " ")
			continue
		}
		cur.WriteString(t)
		ins = append(ins, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		ins = append(ins, strings.TrimSpace(cur.String()))
	}
	return ins
}
