// Command extract-schema writes the schema of hashicorp/google, read from an npm tarball of
// @cdktf/provider-google, as gzipped JSON. make tf-schema runs it.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/twittix/infra/internal/tfprovider/extract"
	"github.com/twittix/infra/internal/tfprovider/schema"
)

func main() {
	if err := realMain(); err != nil {
		fmt.Fprintln(os.Stderr, "extract-schema:", err)
		os.Exit(1)
	}
}

func realMain() error {
	in := flag.String("in", "", "the tarball written by npm pack @cdktf/provider-google@16.12.1")
	out := flag.String("out", "internal/tfprovider/schema/google-6.50.0.json.gz", "the gzipped schema to write")
	flag.Parse()
	if *in == "" {
		return fmt.Errorf("-in is required: the path of the npm pack tarball")
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	s, err := extract.FromTarball(f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := schema.Encode(&buf, s); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: %d resources, %d data sources, %d bytes gzipped\n", *out, len(s.ResourceSchemas), len(s.DataSourceSchemas), buf.Len())
	return nil
}
