// Package repotest holds the repository-level tests: every action.yml matches the inputs and
// outputs its command declares, every workflow passes actionlint, and the image behaves like a
// GitHub container action when run the way the runner runs it.
package repotest
