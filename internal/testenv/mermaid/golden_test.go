package mermaid

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twittix/infra/internal/repotest"
)

// diagramGoldens are the golden summaries that must hold diagrams: the check fails when one
// loses its diagram, rather than passing on nothing.
var diagramGoldens = map[string][]string{
	"actions/promote/testdata/canary-rolled-back.golden.md": {"xychart"},
	"actions/deploy-swarm/testdata/render/failure.golden":   {"gantt"},
	"actions/cloud-build/testdata/build-failed.golden.md":   {"gantt"},
}

// TestGoldenDiagramsParse parses every Mermaid diagram of the golden files of the repository.
func TestGoldenDiagramsParse(t *testing.T) {
	root := repotest.Root()
	var goldens []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.Contains(d.Name(), ".golden") && strings.Contains(filepath.ToSlash(path), "/testdata/") {
			goldens = append(goldens, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	blocks := map[string][]string{}
	for _, path := range goldens {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, path)
		blocks[filepath.ToSlash(rel)] = Blocks(string(b))
	}
	for rel, want := range diagramGoldens {
		if len(blocks[rel]) < len(want) {
			t.Errorf("%s has %d Mermaid diagrams, want %d", rel, len(blocks[rel]), len(want))
		}
	}
	c := New(t)
	var rels, all []string
	for rel, diagrams := range blocks {
		for _, d := range diagrams {
			rels, all = append(rels, rel), append(all, d)
		}
	}
	out, errs, err := c.ParseAll(all)
	if err != nil {
		t.Fatal(err)
	}
	for i, rel := range rels {
		if errs[i] != nil {
			t.Errorf("%s: a diagram does not parse: %v\n%s", rel, errs[i], all[i])
			continue
		}
		found[rel] = append(found[rel], strings.Fields(out[i])[0])
	}
	for rel, want := range diagramGoldens {
		for _, kind := range want {
			if !strings.Contains(strings.Join(found[rel], " "), kind) {
				t.Errorf("%s: no %s diagram parsed, got %v", rel, kind, found[rel])
			}
		}
	}
}
