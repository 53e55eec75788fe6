package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// treeSpec describes a generated source tree.
type treeSpec struct {
	Files int
	Bytes int64
}

func (s treeSpec) String() string {
	return fmt.Sprintf("%d files, %d MB", s.Files, s.Bytes/1e6)
}

// treeStats is what was generated.
type treeStats struct {
	Files          int
	Bytes          int64
	Incompressible int64 // bytes of random content
}

// corpus returns about size bytes of real source code to cut compressible files from: the Go
// files of the Go distribution (GOROOT/src), in a stable order; gzip compresses it about 4 times,
// like any repository's code. Without GOROOT, words of code in random order stand in.
func corpus(r *rand.Rand, size int) []byte {
	var b []byte
	goroot, _ := exec.Command("go", "env", "GOROOT").Output() // the bench runs with `go run`
	src := filepath.Join(strings.TrimSpace(string(goroot)), "src")
	_ = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || len(b) >= size {
			return filepath.SkipAll
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		if data, err := os.ReadFile(path); err == nil {
			b = append(b, data...)
		}
		return nil
	})
	if len(b) >= size {
		return b[:size]
	}
	words := []string{"func", "return", "if", "err", "!=", "nil", "{", "}", "(", ")", "for", "range", "var", ":=",
		"string", "int", "package", "import", "type", "struct", "ctx", "client", "request", "\n\t", "\n"}
	for len(b) < size {
		b = append(b, words[r.IntN(len(words))]...)
		b = append(b, ' ')
	}
	return b[:size]
}

// generate writes a tree of about spec.Files files and spec.Bytes bytes into dir, a third of the
// bytes incompressible (random), the rest code-like text, in nested directories. It is
// deterministic, and skipped when dir already holds the same tree (a marker file records it).
func generate(dir string, spec treeSpec) (treeStats, error) {
	marker := filepath.Join(filepath.Dir(dir), filepath.Base(dir)+".v2.done")
	var st treeStats
	if b, err := os.ReadFile(marker); err == nil {
		if _, err := fmt.Sscanf(string(b), "%d %d %d", &st.Files, &st.Bytes, &st.Incompressible); err == nil {
			return st, nil
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return st, err
	}
	r := rand.New(rand.NewPCG(uint64(spec.Files), uint64(spec.Bytes)))
	text := corpus(r, 8<<20)
	// Sizes: exponential around the mean, scaled to the total.
	sizes := make([]float64, spec.Files)
	var sum float64
	for i := range sizes {
		sizes[i] = 0.05 - math.Log(1-r.Float64())
		sum += sizes[i]
	}
	buf := make([]byte, 4<<20)
	for i, rel := range sizes {
		n := int64(rel / sum * float64(spec.Bytes))
		binary := st.Incompressible < (st.Bytes+n)/3
		name := filepath.Join(dir, fmt.Sprintf("pkg%02d", i%20), fmt.Sprintf("sub%02d", (i/20)%12), fmt.Sprintf("file%05d", i))
		if binary {
			name += ".bin"
		} else {
			name += ".go"
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return st, err
		}
		f, err := os.Create(name)
		if err != nil {
			return st, err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		for left := n; left > 0; {
			chunk := min(left, int64(len(buf)))
			if binary {
				fillRandom(r, buf[:chunk])
				_, err = w.Write(buf[:chunk])
			} else {
				off := r.IntN(len(text) - int(chunk) + 1)
				_, err = w.Write(text[off : off+int(chunk)])
			}
			if err != nil {
				f.Close()
				return st, err
			}
			left -= chunk
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return st, err
		}
		if err := f.Close(); err != nil {
			return st, err
		}
		st.Files++
		st.Bytes += n
		if binary {
			st.Incompressible += n
		}
	}
	return st, os.WriteFile(marker, fmt.Appendf(nil, "%d %d %d", st.Files, st.Bytes, st.Incompressible), 0o644)
}

func fillRandom(r *rand.Rand, b []byte) {
	for i := 0; i+8 <= len(b); i += 8 {
		v := r.Uint64()
		for k := 0; k < 8; k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	for i := len(b) &^ 7; i < len(b); i++ {
		b[i] = byte(r.Uint32())
	}
}
