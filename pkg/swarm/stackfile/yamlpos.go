package stackfile

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// lineOf returns the line of the deepest key of path (mapping keys, or list indexes) found in the
// YAML source, or 0 when not even the first key is there.
func lineOf(src []byte, path []string) int {
	if len(path) == 0 {
		return 0
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil || len(doc.Content) == 0 {
		return 0
	}
	node := doc.Content[0]
	line := 0
	for _, key := range path {
		next, keyLine := child(node, key)
		if next == nil {
			break
		}
		node, line = next, keyLine
	}
	return line
}

// child returns the value under key in a mapping (or at index key in a sequence) and its line.
func child(node *yaml.Node, key string) (*yaml.Node, int) {
	for node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	switch node.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == key {
				return node.Content[i+1], node.Content[i].Line
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(node.Content) {
			return node.Content[i], node.Content[i].Line
		}
	}
	return nil, 0
}
