package loadtest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseTargets(t *testing.T) {
	for _, tc := range []struct {
		name    string
		text    string
		want    []string // METHOD URL header=value body
		wantErr []string
	}{
		{name: "http format", text: "# health\nGET http://web/healthz\nX-Trace: 1\n\nPOST http://api:8081/tweets\nContent-Type: application/json\n",
			want: []string{"GET http://web/healthz X-Trace=1 ", "POST http://api:8081/tweets Content-Type=application/json "}},
		{name: "json format", text: `{"method":"PUT","url":"http://web/x","body":"aGk=","header":{"A":["b"]}}`,
			want: []string{"PUT http://web/x A=b hi"}},
		{name: "empty", text: " \n", wantErr: []string{"no targets"}},
		{name: "bad method", text: "get http://web/", wantErr: []string{"target 1", "bad method"}},
		{name: "relative url", text: "GET /healthz", wantErr: []string{"target 1 (GET /healthz)", "must be absolute"}},
		{name: "bad header", text: "GET http://web/\nnot a header", wantErr: []string{"bad header"}},
		{name: "two bad urls", text: "GET /a\nGET ftp://x/b", wantErr: []string{"target 1 (GET /a)", "target 2 (GET ftp://x/b)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTargets(tc.text)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("ParseTargets succeeded, want an error with %q", tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTargets: %v", err)
			}
			var lines []string
			for _, tg := range got {
				var hdr []string
				for k, v := range tg.Header {
					hdr = append(hdr, k+"="+strings.Join(v, ";"))
				}
				lines = append(lines, tg.Method+" "+tg.URL+" "+strings.Join(hdr, ",")+" "+string(tg.Body))
			}
			if diff := cmp.Diff(tc.want, lines); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	targets, err := ParseTargets("GET http://web/\nGET http://api:8081/\nGET https://tls/")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		services string
		want     map[string]string
		wantErr  []string
	}{
		{name: "no services dials the URLs", services: "", want: map[string]string{}},
		{name: "routed", services: "web=8080\napi=10.0.0.2:8081, api=9000\ntls=8443",
			want: map[string]string{"web:80": "127.0.0.1:8080", "api:8081": "10.0.0.2:8081", "tls:443": "127.0.0.1:8443"}},
		{name: "unknown service and port", services: "web=8080,web=8081,api=9000",
			wantErr: []string{`target 1 (http://web/): service web: it has several ports (8080, 8081)`, `service api: unknown port 8081; its ports: 9000`, `target 3 (https://tls/): unknown service "tls"; known: api, web`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			services, err := ParseServices(tc.services)
			if err != nil {
				t.Fatalf("ParseServices: %v", err)
			}
			got, err := Routes(targets, services)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatal("Routes succeeded, want errors")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Routes: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("routes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseServicesErrors(t *testing.T) {
	_, err := ParseServices("web, api=0, db=host:x, ok=80")
	if err == nil {
		t.Fatal("ParseServices succeeded, want errors")
	}
	for _, w := range []string{`"web" is not NAME=PORT`, `"api=0": the port "0"`, `"db=host:x": the port "x"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

func TestParseRates(t *testing.T) {
	steps, err := ParseRates("10, 50,0.5", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{{10, 30 * time.Second}, {50, 30 * time.Second}, {0.5, 30 * time.Second}}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	_, err = ParseRates("0,x,-1,200000", 0)
	for _, w := range []string{"0 req/s is out of range", `"x" is not a number`, "-1 req/s is out of range", "200000 req/s is out of range", "duration of a step must be positive"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}
