// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// chartArgs are the sidecar's args in templates/agent/daemonset.yaml, the pod IP substituted.
var chartArgs = []string{
	"--secure-listen-address=10.0.0.7:8383",
	"--client-ca-file=/etc/kube-rbac-proxy/ca.crt",
	"--v=2",
	"--logtostderr=true",
	"--stale-cache-interval=1h30m",
	"--livez-path=/livez",
}

// chartConfig is the sidecar's KUBE_RBAC_PROXY_CONFIG in templates/agent/daemonset.yaml, rendered.
const chartConfig = `upstreams:
- upstream: http://127.0.0.1:9874/metrics
  path: /metrics
  authorization:
    resourceAttributes:
      namespace: d8-service-with-healthchecks
      apiGroup: apps
      apiVersion: v1
      resource: daemonsets
      subresource: prometheus-metrics
      name: agent
`

func TestParseFlagsAcceptsTheChartsFlags(t *testing.T) {
	o, err := parseFlags(chartArgs)
	if err != nil {
		t.Fatal(err)
	}
	want := options{
		secureListenAddress: "10.0.0.7:8383",
		clientCAFile:        "/etc/kube-rbac-proxy/ca.crt",
		verbosity:           2,
		logToStderr:         true,
		staleCacheInterval:  90 * time.Minute,
		livezPath:           "/livez",
	}
	if o != want {
		t.Fatalf("got %+v, want %+v", o, want)
	}
	if notes := ignoredNotes(o); len(notes) != 1 ||
		!strings.Contains(notes[0], "--stale-cache-interval=1h30m0s: not supported by upstream; ignored") {
		t.Fatalf("notes %q", notes)
	}
}

func TestParseFlagsTakesSeparateValues(t *testing.T) {
	o, err := parseFlags([]string{"--secure-listen-address", "127.0.0.1:1", "--v", "4"})
	if err != nil {
		t.Fatal(err)
	}
	if o.secureListenAddress != "127.0.0.1:1" || o.verbosity != 4 || o.livezPath != "" {
		t.Fatalf("got %+v", o)
	}
}

func TestParseFlagsRefuses(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"an unknown flag": {
			append(slices.Clone(chartArgs), "--upstream=http://x/"),
			"unknown flag --upstream: the adapter accepts only --secure-listen-address",
		},
		"a positional argument": {append(slices.Clone(chartArgs), "extra"), `unexpected argument "extra"`},
		"no listen address":     {[]string{"--v=2"}, "--secure-listen-address is required"},
		"a listen address without a port": {
			[]string{"--secure-listen-address=10.0.0.7"}, "missing port",
		},
		"a bad duration": {
			[]string{"--secure-listen-address=:1", "--stale-cache-interval=soon"}, "stale-cache-interval",
		},
		"a relative livez path": {
			[]string{"--secure-listen-address=:1", "--livez-path=livez"}, "must start with /",
		},
		"a negative verbosity": {[]string{"--secure-listen-address=:1", "--v=-1"}, "must not be negative"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := parseFlags(c.args)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestParseConfigReadsTheChartsConfig(t *testing.T) {
	cfg, err := parseConfig(chartConfig)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.routes) != 1 || cfg.routes[0].path != "/metrics" ||
		cfg.routes[0].target.String() != "http://127.0.0.1:9874/metrics" {
		t.Fatalf("routes %+v", cfg.routes)
	}
	var file struct {
		Authorization struct {
			ResourceAttributes map[string]string `json:"resourceAttributes"`
		} `json:"authorization"`
	}
	if err := json.Unmarshal(configFileContent(cfg.authorization), &file); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"namespace": "d8-service-with-healthchecks", "apiGroup": "apps", "apiVersion": "v1",
		"resource": "daemonsets", "subresource": "prometheus-metrics", "name": "agent",
	}
	if !mapsEqual(file.Authorization.ResourceAttributes, want) {
		t.Fatalf("resourceAttributes %v", file.Authorization.ResourceAttributes)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestParseConfigTakesSeveralUpstreamsWithOneAuthorization(t *testing.T) {
	text := `{"upstreams": [
	  {"upstream": "http://127.0.0.1:1/a", "path": "/a", "authorization": {"resourceAttributes": {"name": "x", "namespace": "n"}}},
	  {"upstream": "https://127.0.0.1:2/", "path": "/b/", "authorization": {"resourceAttributes": {"namespace": "n", "name": "x"}}}
	]}`
	cfg, err := parseConfig(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.routes) != 2 || string(cfg.authorization) != `{"resourceAttributes":{"name":"x","namespace":"n"}}` {
		t.Fatalf("got %+v %s", cfg.routes, cfg.authorization)
	}
}

func TestParseConfigWithoutAuthorization(t *testing.T) {
	cfg, err := parseConfig("upstreams:\n- upstream: http://127.0.0.1:1/\n  path: /\n")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.authorization != nil {
		t.Fatalf("authorization %s", cfg.authorization)
	}
	o, _ := parseFlags(chartArgs)
	if args := upstreamArgs(o, "http://127.0.0.1:5/", ""); slices.ContainsFunc(args, func(a string) bool {
		return strings.HasPrefix(a, "--config-file")
	}) {
		t.Fatalf("args %q", args)
	}
}

func TestParseConfigRefuses(t *testing.T) {
	entry := func(extra string) string {
		return "upstreams:\n- upstream: http://127.0.0.1:1/m\n  path: /m\n" + extra
	}
	cases := map[string]struct{ text, want string }{
		"nothing":                 {"", "KUBE_RBAC_PROXY_CONFIG is empty"},
		"no upstreams":            {"upstreams: []\n", "lists no upstreams"},
		"not YAML":                {"upstreams: [\n", "is not YAML"},
		"excludePaths":            {entry("excludePaths: [/x]\n"), `unknown field "excludePaths"`},
		"upstreamCaFile":          {entry("  upstreamCaFile: /ca\n"), `unknown field "upstreamCaFile"`},
		"a relative path":         {"upstreams:\n- upstream: http://h/\n  path: m\n", `path "m" must start with /`},
		"a URL without host":      {"upstreams:\n- upstream: /m\n  path: /m\n", "with a host"},
		"another scheme":          {"upstreams:\n- upstream: unix:///s\n  path: /m\n", "http:// or https://"},
		"a misspelt key":          {entry("  authorization: {resourceAttribute: {}}\n"), "authorization.resourceAttribute: unknown"},
		"a list as authorization": {entry("  authorization: [1]\n"), "must be a mapping"},
		"a repeated path": {
			entry("- upstream: http://127.0.0.1:2/\n  path: /m\n"), "path /m appears twice",
		},
		"different authorizations": {
			entry("  authorization: {resourceAttributes: {name: a}}\n" +
				"- upstream: http://127.0.0.1:2/\n  path: /n\n  authorization: {resourceAttributes: {name: b}}\n"),
			"upstreams[1] (/n) has another authorization than upstreams[0]",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := parseConfig(c.text)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestUpstreamArgsMapTheChartsFlags(t *testing.T) {
	o, err := parseFlags(chartArgs)
	if err != nil {
		t.Fatal(err)
	}
	got := upstreamArgs(o, "http://127.0.0.1:40000/", "/dev/shm/kube-rbac-proxy-config-1.json")
	want := []string{
		"--secure-listen-address=10.0.0.7:8383",
		"--upstream=http://127.0.0.1:40000/",
		"--config-file=/dev/shm/kube-rbac-proxy-config-1.json",
		"--client-ca-file=/etc/kube-rbac-proxy/ca.crt",
		"--ignore-paths=/livez",
		"--v=2",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestWriteConfigFile(t *testing.T) {
	dir := t.TempDir()
	file, err := writeConfigFile(dir, json.RawMessage(`{"resourceAttributes":{"name":"agent"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(file) != dir {
		t.Fatalf("file %s not in %s", file, dir)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"authorization":{"resourceAttributes":{"name":"agent"}}}`+"\n" {
		t.Fatalf("content %s", data)
	}
}

func TestMatchRouteAndTargetPath(t *testing.T) {
	routes := []route{{path: "/metrics"}, {path: "/a/"}, {path: "/a/b/"}}
	for path, want := range map[string]string{
		"/metrics": "/metrics", "/metrics/": "", "/metricsx": "", "/a/x": "/a/", "/a/b/c": "/a/b/", "/": "",
	} {
		r, ok := matchRoute(routes, path)
		if ok != (want != "") || r.path != want {
			t.Errorf("matchRoute(%s) = %q %v, want %q", path, r.path, ok, want)
		}
	}
	for _, c := range [][4]string{
		{"/metrics", "/metrics", "/metrics", "/metrics"},
		{"/metrics", "/", "/metrics", ""},
		{"/a/", "/up/", "/a/x/y", "/up/x/y"},
		{"/a/", "", "/a/", "/"},
	} {
		if got := targetPath(c[0], c[1], c[2]); got != c[3] {
			t.Errorf("targetPath(%q, %q, %q) = %q, want %q", c[0], c[1], c[2], got, c[3])
		}
	}
}

func TestHandlerServesLivezProxiesRoutesAndRefusesTheRest(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.Path+"?"+r.URL.RawQuery+" "+r.Header.Get("X-Forwarded-For"))
	}))
	defer backend.Close()
	cfg, err := parseConfig("upstreams:\n- upstream: " + backend.URL + "/metrics\n  path: /metrics\n")
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler("/livez", cfg.routes, upstreamTransport())
	for path, want := range map[string]struct {
		code int
		body string
	}{
		"/livez":         {http.StatusOK, "OK"},
		"/metrics?a=1":   {http.StatusOK, "/metrics?a=1 203.0.113.9"},
		"/metrics/extra": {http.StatusNotFound, "404 page not found\n"},
		"/other":         {http.StatusNotFound, "404 page not found\n"},
	} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want.code || rec.Body.String() != want.body {
			t.Errorf("%s: got %d %q, want %d %q", path, rec.Code, rec.Body.String(), want.code, want.body)
		}
	}
}
