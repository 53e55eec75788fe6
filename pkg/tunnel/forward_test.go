package tunnel

import (
	"strings"
	"testing"
)

func TestParseForward(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec string
		want Forward
		err  string
	}{
		{spec: "8080:localhost:80", want: Forward{Bind: "127.0.0.1", Port: 8080, Host: "localhost", RemotePort: 80}},
		{spec: "0.0.0.0:8080:db:5432", want: Forward{Bind: "0.0.0.0", Port: 8080, Host: "db", RemotePort: 5432}},
		{spec: "*:8080:db:5432", want: Forward{Bind: "0.0.0.0", Port: 8080, Host: "db", RemotePort: 5432}},
		{spec: "localhost:9000:127.0.0.1:9000", want: Forward{Bind: "127.0.0.1", Port: 9000, Host: "127.0.0.1", RemotePort: 9000}},
		{spec: "[::1]:8080:[::1]:80", want: Forward{Bind: "::1", Port: 8080, Host: "::1", RemotePort: 80}},
		{spec: "0:localhost:80", want: Forward{Bind: "127.0.0.1", Port: 0, Host: "localhost", RemotePort: 80}},
		{spec: "8080:80", err: "use [bind_address:]port:host:hostport"},
		{spec: "x:localhost:y", err: `local port "x" is not a port number (1-65535), remote port "y" is not`},
		{spec: "8080:localhost:0", err: `remote port "0" is not a port number`},
		{spec: "8080::80", err: "the host is empty"},
		{spec: "70000:localhost:80", err: `local port "70000"`},
		{spec: "/tmp/sock:/var/run/docker.sock", err: "unix socket forwards are not supported"},
		{spec: "[::1:8080:localhost:80", err: "unbalanced square brackets"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseForward(tc.spec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseForward(%q) = %+v, %v; want an error containing %q", tc.spec, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseForward(%q): %v", tc.spec, err)
			}
			if got != tc.want {
				t.Errorf("ParseForward(%q) = %+v, want %+v", tc.spec, got, tc.want)
			}
		})
	}
}

func TestForwardString(t *testing.T) {
	t.Parallel()
	f, err := ParseForward("[::1]:8080:db:5432")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.String(), "[::1]:8080:db:5432"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
