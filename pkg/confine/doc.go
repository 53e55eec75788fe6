// Package confine keeps the files a run reads inside one directory tree (the workspace, a build's
// source directory): a path must lie inside it lexically and once its symbolic links are
// resolved, and a file is read only when it is a regular file no larger than a cap. Every path a
// user can name, directly or from inside a file of the repository, goes through it.
package confine
