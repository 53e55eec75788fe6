// Command install builds the schema-only google provider into a local mirror in the directory
// given as argument and prints the export line that makes terraform use it:
//
//	eval "$(go run ./internal/tfprovider/cmd/install /tmp/tfgoogle)"
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/twittix/infra/internal/tfprovider"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/tfprovider/cmd/install <dir>   (run from the repository root)")
		os.Exit(2)
	}
	env, err := tfprovider.Install(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "install:", err)
		os.Exit(1)
	}
	fmt.Println("export " + strings.Join(env, " "))
}
