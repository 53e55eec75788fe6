// Package mermaid checks Mermaid diagrams with the grammar GitHub draws them with: the mermaid
// npm package, run under Node by parse.mjs. The package and its lock are here; they are installed
// on first use into a cache directory (see Dir), which .ci/prereqs also fills.
//
// The golden summaries' diagrams are checked by TestGoldenDiagramsParse; a test that draws
// diagrams of its own gets a Checker from New, which skips the test when Node or npm is missing
// or the packages cannot be installed (offline).
package mermaid
