package swarm

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/twittix/infra/pkg/logging"
)

const dockerHubAuthServer = "https://index.docker.io/v1/"

// registryHost reduces a registry address or URL to the host docker keys credentials by, with
// Docker Hub's aliases folded into docker.io.
func registryHost(server string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(server)), "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "docker.io"
	}
	return s
}

// encodedAuth returns the X-Registry-Auth value for image from the matching credential, or ""
// when none matches. The value carries the password: it is sent to the daemon, never logged.
func encodedAuth(image string, creds []RegistryCredential) (string, error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", fmt.Errorf("invalid image reference %q: %w", image, err)
	}
	host := reference.Domain(named)
	for _, c := range creds {
		if registryHost(c.Server) != host {
			continue
		}
		server := host
		if host == "docker.io" {
			server = dockerHubAuthServer
		}
		return authconfig.Encode(registry.AuthConfig{
			Username:      c.Username,
			Password:      c.Password,
			IdentityToken: c.IdentityToken,
			ServerAddress: server,
		})
	}
	return "", nil
}

// resolvedImage is the outcome of asking the registry for the digest of a tag.
type resolvedImage struct {
	image     string
	platforms []swarm.Platform
}

// imageResolver asks the registry (through the daemon) for each image once, however many
// services use it and however many ask at the same time.
type imageResolver struct {
	c   Client
	log logging.Logger

	mu   sync.Mutex
	seen map[string]*resolution
}

// resolution is the outcome of one image's resolution, ready once done is closed.
type resolution struct {
	done chan struct{}
	res  resolvedImage
}

// resolve returns image pinned to its digest, with its platforms, as `docker stack deploy
// --resolve-image` does. When the registry cannot be reached it warns once, as docker does, and
// returns the tag: each node then resolves it on its own.
func (r *imageResolver) resolve(ctx context.Context, image, auth string) resolvedImage {
	r.mu.Lock()
	if r.seen == nil {
		r.seen = map[string]*resolution{}
	}
	if got, ok := r.seen[image]; ok {
		r.mu.Unlock()
		select {
		case <-got.done:
			return got.res
		case <-ctx.Done():
			return resolvedImage{image: imageWithTag(image)}
		}
	}
	mine := &resolution{done: make(chan struct{})}
	r.seen[image] = mine
	r.mu.Unlock()
	defer close(mine.done)

	mine.res = resolvedImage{image: imageWithTag(image)}
	res, err := r.c.DistributionInspect(ctx, image, client.DistributionInspectOptions{EncodedRegistryAuth: auth})
	if err != nil {
		r.log.Warnf("image %s could not be accessed on a registry to record its digest (%v); each node will access %s independently, possibly leading to different nodes running different versions of the image", image, err, image)
		return mine.res
	}
	mine.res = resolvedImage{image: imageWithDigest(image, res.Descriptor.Digest), platforms: platformsOf(res.Platforms)}
	return mine.res
}

func platformsOf(ps []ocispec.Platform) []swarm.Platform {
	var out []swarm.Platform
	seen := map[swarm.Platform]bool{}
	for _, p := range ps {
		if p.OS == "unknown" || p.Architecture == "unknown" {
			continue
		}
		arch := p.Architecture
		if strings.EqualFold(arch, "arm") {
			arch = ""
		}
		sp := swarm.Platform{Architecture: arch, OS: p.OS}
		if !seen[sp] {
			seen[sp] = true
			out = append(out, sp)
		}
	}
	return out
}

// imageWithTag adds ":latest" to a reference without tag or digest, as the Engine API client does
// before sending a spec.
func imageWithTag(image string) string {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return image
	}
	return reference.FamiliarString(reference.TagNameOnly(named))
}

// imageWithDigest pins image to dgst, keeping its tag.
func imageWithDigest(image string, dgst digest.Digest) string {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return image
	}
	if _, ok := named.(reference.Digested); ok {
		return image
	}
	withDigest, err := reference.WithDigest(named, dgst)
	if err != nil {
		return image
	}
	return reference.FamiliarString(withDigest)
}
