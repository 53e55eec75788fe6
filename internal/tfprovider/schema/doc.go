// Package schema holds the schema of the hashicorp/google provider 6.50.0, extracted from the
// jsii manifest of @cdktf/provider-google 16.12.1 by make tf-schema, and the types describing it.
package schema
