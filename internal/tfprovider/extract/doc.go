// Package extract derives the schema of the hashicorp/google provider from the npm package
// @cdktf/provider-google: its .jsii manifest and the JavaScript generated from the same schema.
package extract
