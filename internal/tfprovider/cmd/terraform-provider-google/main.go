// Command terraform-provider-google is the schema-only google provider: it serves the committed
// hashicorp/google 6.50.0 schema so that terraform validate and terraform test run offline.
// tfprovider.Install builds and installs it; it is not the real provider.
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tfprotov5/tf5server"

	"github.com/twittix/infra/internal/tfprovider/provider"
	"github.com/twittix/infra/internal/tfprovider/schema"
)

func main() {
	if err := realMain(); err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-google (schema only):", err)
		os.Exit(1)
	}
}

func realMain() error {
	s, err := schema.Google()
	if err != nil {
		return err
	}
	srv, err := provider.New(s)
	if err != nil {
		return err
	}
	return tf5server.Serve(schema.ProviderAddress, func() tfprotov5.ProviderServer { return srv })
}
