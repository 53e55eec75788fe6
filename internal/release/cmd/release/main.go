// Command release runs the steps of release.yml that decide something, so that they are tested Go
// rather than shell in YAML:
//
//	git tag --list 'v*' | go run ./internal/release/cmd/release check-version v1.4.0
//	go run ./internal/release/cmd/release pin -version v1.4.0 -digest sha256:…
//
// check-version reads the repository's tags on standard input and refuses a version that is not
// strictly above the latest vX.Y.Z; it prints the version's major tag (v1). pin rewrites the
// working tree into the release commit's and refuses to leave a mutable reference.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/twittix/infra/internal/release"
)

func main() {
	if err := realMain(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "::error::%v\n", err)
		os.Exit(1)
	}
}

const usage = "usage: release check-version VERSION < tags | release pin -version VERSION -digest DIGEST [-dir DIR]"

func realMain(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "check-version":
		if len(args) != 2 {
			return errors.New(usage)
		}
		var tags []string
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			tags = append(tags, sc.Text())
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("failed to read the tags on standard input: %w", err)
		}
		v, err := release.CheckNext(args[1], tags)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, v.MajorTag())
		return nil
	case "pin":
		fs := flag.NewFlagSet("pin", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		version := fs.String("version", "", "the release version, e.g. v1.4.0")
		digest := fs.String("digest", "", "the image's digest, sha256:…")
		dir := fs.String("dir", ".", "the repository's root")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("%w; %s", err, usage)
		}
		changed, err := release.Pin(*dir, *version, *digest)
		for _, f := range changed {
			fmt.Fprintf(stdout, "pinned %s\n", f)
		}
		return err
	default:
		return fmt.Errorf("unknown command %q; %s", args[0], usage)
	}
}
