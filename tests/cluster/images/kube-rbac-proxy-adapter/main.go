// SPDX-License-Identifier: Apache-2.0

// Command kube-rbac-proxy-adapter is the entrypoint of the test cluster's kube-rbac-proxy image.
//
// Why it exists: the module's chart (templates/agent/daemonset.yaml) runs its metrics sidecar from
// Deckhouse's own kube-rbac-proxy image (the common module's kubeRbacProxy: upstream
// brancz/kube-rbac-proxy plus Deckhouse patches), which cannot be built here. Only upstream
// kube-rbac-proxy can (tests/testenv/build-tools.sh, the version versions.env pins), and it exits
// on the fork's flags ("unknown flag: --stale-cache-interval"). This adapter accepts the fork's
// command-line interface as the chart uses it and runs upstream /kube-rbac-proxy behind it, so
// the chart runs unchanged in the test cluster. It is test tooling, not shipped.
//
// How: it parses the fork's flags and its KUBE_RBAC_PROXY_CONFIG, writes upstream's
// --config-file to /dev/shm (the root filesystem is read-only and /tmp is not writable; /dev/shm
// is a writable tmpfs in containerd's default spec), serves on 127.0.0.1:<free port> the liveness
// path and a reverse proxy per configured upstream path, and runs upstream kube-rbac-proxy as its
// child, pointed at that port. It forwards SIGTERM and SIGINT to the child and exits with the
// child's exit status.
//
// The differences from the fork, each one:
//   - --stale-cache-interval: accepted and ignored (logged). Upstream has no stale cache: it
//     caches token reviews for 2m and access reviews for 5m (allowed) or 30s (denied); once those
//     expire while the API server is unavailable, it answers 401 (token) or 500 (access review).
//   - --livez-path: the fork answers it itself, unauthenticated. Here upstream proxies it without
//     authentication (--ignore-paths=<path>) to the adapter, which answers 200 "OK" (the fork's
//     body), so the probe goes through one more loopback hop and fails when the adapter does.
//   - KUBE_RBAC_PROXY_CONFIG: required (without it the fork falls back to --upstream and
//     --config-file, which the adapter does not take). The adapter routes its upstreams as the
//     fork does (a path without a trailing slash matches exactly, one with a slash its subtree,
//     the longest wins; the matched prefix is replaced by the upstream URL's path). Upstream
//     kube-rbac-proxy has one authorization config per process, so every entry must have the same
//     `authorization`; the fork's excludePaths and upstreamCaFile are refused, as is any other
//     unknown field, and the top-level keys of `authorization` are checked (upstream would ignore
//     a misspelt one and fall back to a non-resource access review).
//   - Paths that are neither the liveness path nor an upstream's: the fork answers 404 without
//     authentication; here upstream authenticates and authorises the request first (401/403), and
//     only then does the adapter answer 404 (upstream cannot combine --allow-paths with
//     --ignore-paths).
//   - The Authorization header: the fork passes it on to the upstream; upstream kube-rbac-proxy
//     removes a bearer token once it has authenticated it, so the upstream never sees it.
//   - Upstreams over https: not verified, as in the fork (its insecure-upstream patch).
//   - --logtostderr: accepted, not passed on. Upstream registers it only to warn that it was
//     removed; it always logs to stderr. --v is passed on.
//   - Unknown flags and positional arguments are refused: the adapter takes exactly the flags the
//     chart passes (--secure-listen-address, --client-ca-file, --v, --logtostderr,
//     --stale-cache-interval, --livez-path), and --secure-listen-address is required, as in the
//     fork.
package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"
)

const (
	// upstreamBinary is upstream kube-rbac-proxy in the image.
	upstreamBinary = "/kube-rbac-proxy"
	// configDir is where upstream's --config-file is written: a writable tmpfs.
	configDir = "/dev/shm"
	// configEnv is the fork's configuration variable.
	configEnv = "KUBE_RBAC_PROXY_CONFIG"
	// acceptedFlags lists the flags the adapter takes, for its error messages.
	acceptedFlags = "--secure-listen-address, --client-ca-file, --v, --logtostderr, " +
		"--stale-cache-interval, --livez-path"
)

// authorizationKeys are the top-level keys of upstream's authorization config.
var authorizationKeys = []string{"resourceAttributes", "rewrites", "static"}

// options are the fork's flags that the chart passes.
type options struct {
	secureListenAddress string
	clientCAFile        string
	verbosity           int
	logToStderr         bool
	staleCacheInterval  time.Duration
	livezPath           string
}

// parseFlags reads the fork's flags; any other flag or a positional argument is an error.
func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("kube-rbac-proxy-adapter", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.secureListenAddress, "secure-listen-address", "", "")
	fs.StringVar(&o.clientCAFile, "client-ca-file", "", "")
	fs.IntVar(&o.verbosity, "v", 0, "")
	fs.BoolVar(&o.logToStderr, "logtostderr", true, "")
	fs.DurationVar(&o.staleCacheInterval, "stale-cache-interval", 0, "")
	fs.StringVar(&o.livezPath, "livez-path", "", "")
	if err := fs.Parse(args); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
			return o, fmt.Errorf("unknown flag --%s: the adapter accepts only %s", name, acceptedFlags)
		}
		return o, fmt.Errorf("%w; the adapter accepts only %s", err, acceptedFlags)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: the adapter takes only flags (%s)",
			fs.Arg(0), acceptedFlags)
	}
	if o.secureListenAddress == "" {
		return o, errors.New("--secure-listen-address is required")
	}
	if _, _, err := net.SplitHostPort(o.secureListenAddress); err != nil {
		return o, fmt.Errorf("--secure-listen-address=%s: %w", o.secureListenAddress, err)
	}
	if o.verbosity < 0 {
		return o, fmt.Errorf("--v=%d: must not be negative", o.verbosity)
	}
	if o.livezPath != "" && !strings.HasPrefix(o.livezPath, "/") {
		return o, fmt.Errorf("--livez-path=%s: must start with /", o.livezPath)
	}
	return o, nil
}

// upstreamEntry is one entry of the fork's `upstreams`.
type upstreamEntry struct {
	Upstream      string          `json:"upstream"`
	Path          string          `json:"path"`
	Authorization json.RawMessage `json:"authorization,omitempty"`
}

// forkConfig is the part of the fork's configuration the adapter supports.
type forkConfig struct {
	Upstreams []upstreamEntry `json:"upstreams"`
}

// route is one checked upstream entry: requests under path go to target.
type route struct {
	path   string
	target *url.URL
}

// mappedConfig is the fork's configuration mapped onto upstream kube-rbac-proxy and the adapter.
type mappedConfig struct {
	routes []route
	// authorization is the entries' common authorization config (compact JSON), or nil when
	// they have none (upstream's default: a non-resource access review of the request path).
	authorization json.RawMessage
}

// parseConfig reads KUBE_RBAC_PROXY_CONFIG (YAML or JSON).
func parseConfig(text string) (mappedConfig, error) {
	var out mappedConfig
	if strings.TrimSpace(text) == "" {
		return out, fmt.Errorf("%s is empty: it must list the upstreams", configEnv)
	}
	doc, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		return out, fmt.Errorf("%s is not YAML: %w", configEnv, err)
	}
	var cfg forkConfig
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return out, fmt.Errorf("%s: %w (the adapter supports only upstreams[].upstream, "+
			".path and .authorization)", configEnv, err)
	}
	if len(cfg.Upstreams) == 0 {
		return out, fmt.Errorf("%s lists no upstreams", configEnv)
	}
	for i, entry := range cfg.Upstreams {
		r, auth, err := checkEntry(entry)
		if err != nil {
			return out, fmt.Errorf("%s: upstreams[%d]: %w", configEnv, i, err)
		}
		if slices.ContainsFunc(out.routes, func(o route) bool { return o.path == r.path }) {
			return out, fmt.Errorf("%s: upstreams[%d]: path %s appears twice", configEnv, i, r.path)
		}
		if i > 0 && !bytes.Equal(auth, out.authorization) {
			return out, fmt.Errorf("%s: upstreams[%d] (%s) has another authorization than "+
				"upstreams[0]: upstream kube-rbac-proxy has one per process", configEnv, i, r.path)
		}
		out.routes = append(out.routes, r)
		out.authorization = auth
	}
	return out, nil
}

// checkEntry validates one upstream entry; returns its route and its authorization, compacted.
func checkEntry(entry upstreamEntry) (route, json.RawMessage, error) {
	if !strings.HasPrefix(entry.Path, "/") {
		return route{}, nil, fmt.Errorf("path %q must start with /", entry.Path)
	}
	target, err := url.Parse(entry.Upstream)
	if err != nil {
		return route{}, nil, fmt.Errorf("upstream %q: %w", entry.Upstream, err)
	}
	if (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return route{}, nil, fmt.Errorf("upstream %q: want an http:// or https:// URL with a host",
			entry.Upstream)
	}
	auth, err := canonicalAuthorization(entry.Authorization)
	if err != nil {
		return route{}, nil, err
	}
	return route{path: entry.Path, target: target}, auth, nil
}

// canonicalAuthorization checks an entry's authorization and returns it as compact JSON with
// sorted keys (so entries compare by content), or nil when absent.
func canonicalAuthorization(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var auth map[string]any
	if err := json.Unmarshal(raw, &auth); err != nil {
		return nil, fmt.Errorf("authorization must be a mapping: %w", err)
	}
	for key := range auth {
		if !slices.Contains(authorizationKeys, key) {
			return nil, fmt.Errorf("authorization.%s: unknown (upstream knows %s)",
				key, strings.Join(authorizationKeys, ", "))
		}
	}
	return json.Marshal(auth)
}

// configFileContent is upstream's --config-file: the fork entry's authorization, as is.
func configFileContent(authorization json.RawMessage) []byte {
	return fmt.Appendf(nil, `{"authorization":%s}`+"\n", authorization)
}

// writeConfigFile writes upstream's --config-file into dir; returns its path.
func writeConfigFile(dir string, authorization json.RawMessage) (string, error) {
	f, err := os.CreateTemp(dir, "kube-rbac-proxy-config-*.json")
	if err != nil {
		return "", fmt.Errorf("writing upstream's config file: %w", err)
	}
	_, werr := f.Write(configFileContent(authorization))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("writing %s: %w", f.Name(), werr)
	}
	return f.Name(), nil
}

// upstreamArgs are upstream kube-rbac-proxy's flags: the fork's, mapped, in front of the adapter
// at adapterURL; configFile is empty when there is no authorization config.
func upstreamArgs(o options, adapterURL, configFile string) []string {
	args := []string{
		"--secure-listen-address=" + o.secureListenAddress,
		"--upstream=" + adapterURL,
	}
	if configFile != "" {
		args = append(args, "--config-file="+configFile)
	}
	if o.clientCAFile != "" {
		args = append(args, "--client-ca-file="+o.clientCAFile)
	}
	if o.livezPath != "" {
		args = append(args, "--ignore-paths="+o.livezPath)
	}
	return append(args, fmt.Sprintf("--v=%d", o.verbosity))
}

// ignoredNotes are the log lines for the fork's flags that have no upstream counterpart.
func ignoredNotes(o options) []string {
	var notes []string
	if o.staleCacheInterval != 0 {
		notes = append(notes, fmt.Sprintf("--stale-cache-interval=%s: not supported by upstream; "+
			"ignored", o.staleCacheInterval))
	}
	if !o.logToStderr {
		notes = append(notes, "--logtostderr=false: upstream always logs to stderr; ignored")
	}
	return notes
}

// matchRoute picks the route of a request path as the fork's ServeMux does: a route path
// without a trailing slash matches only itself, one with a slash its whole subtree; the longest
// match wins.
func matchRoute(routes []route, path string) (route, bool) {
	var best route
	found := false
	for _, r := range routes {
		matches := path == r.path || (strings.HasSuffix(r.path, "/") && strings.HasPrefix(path, r.path))
		if matches && (!found || len(r.path) > len(best.path)) {
			best, found = r, true
		}
	}
	return best, found
}

// targetPath is the upstream request path, as the fork rewrites it: the matched route prefix
// replaced by the upstream URL's path, without a trailing slash unless the route has one.
func targetPath(routePath, upstreamPath, requestPath string) string {
	rest := strings.TrimPrefix(requestPath, routePath)
	joined := strings.TrimSuffix(upstreamPath, "/") + "/" + strings.TrimPrefix(rest, "/")
	if !strings.HasSuffix(routePath, "/") {
		joined = strings.TrimSuffix(joined, "/")
	}
	return joined
}

// newProxy reverse-proxies a route's requests to its upstream.
func newProxy(r route, transport http.RoundTripper) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = r.target.Scheme
			pr.Out.URL.Host = r.target.Host
			pr.Out.URL.Path = targetPath(r.path, r.target.Path, pr.In.URL.Path)
			pr.Out.URL.RawPath = ""
			if r.target.RawQuery != "" && pr.In.URL.RawQuery != "" {
				pr.Out.URL.RawQuery = r.target.RawQuery + "&" + pr.In.URL.RawQuery
			} else {
				pr.Out.URL.RawQuery = r.target.RawQuery + pr.In.URL.RawQuery
			}
			pr.Out.Host = ""
			// Keep the client address upstream kube-rbac-proxy recorded (the only caller).
			if xff := pr.In.Header.Values("X-Forwarded-For"); len(xff) > 0 {
				pr.Out.Header["X-Forwarded-For"] = xff
			}
		},
	}
}

// newHandler serves the liveness path, the routes, and 404 for anything else.
func newHandler(livezPath string, routes []route, transport http.RoundTripper) http.Handler {
	proxies := make(map[string]http.Handler, len(routes))
	for _, r := range routes {
		proxies[r.path] = newProxy(r, transport)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if livezPath != "" && req.URL.Path == livezPath {
			_, _ = io.WriteString(w, "OK")
			return
		}
		r, ok := matchRoute(routes, req.URL.Path)
		if !ok {
			http.NotFound(w, req)
			return
		}
		proxies[r.path].ServeHTTP(w, req)
	})
}

// upstreamTransport does not verify upstreams' certificates, as the fork does not.
func upstreamTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the fork's behaviour
	return t
}

// prepare checks the flags and the configuration and writes upstream's config file; returns the
// mapped configuration and the file (empty when none).
func prepare(args []string) (options, mappedConfig, string, error) {
	o, err := parseFlags(args)
	if err != nil {
		return o, mappedConfig{}, "", err
	}
	cfg, err := parseConfig(os.Getenv(configEnv))
	if err != nil {
		return o, cfg, "", err
	}
	if slices.ContainsFunc(cfg.routes, func(r route) bool { return r.path == o.livezPath }) {
		return o, cfg, "", fmt.Errorf("--livez-path=%s is also an upstream's path", o.livezPath)
	}
	if cfg.authorization == nil {
		return o, cfg, "", nil
	}
	file, err := writeConfigFile(configDir, cfg.authorization)
	return o, cfg, file, err
}

// run is the adapter; returns its exit code.
func run(args []string) int {
	o, cfg, configFile, err := prepare(args)
	if err != nil {
		log.Print(err)
		return 2
	}
	if configFile != "" {
		defer func() { _ = os.Remove(configFile) }()
	}
	for _, note := range ignoredNotes(o) {
		log.Print(note)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Printf("listening on loopback: %v", err)
		return 1
	}
	srv := &http.Server{
		Handler:           newHandler(o.livezPath, cfg.routes, upstreamTransport()),
		ReadHeaderTimeout: 30 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	adapterURL := fmt.Sprintf("http://%s/", ln.Addr())
	for _, r := range cfg.routes {
		log.Printf("upstream: path=%s -> %s", r.path, r.target)
	}
	cmd := exec.Command(upstreamBinary, upstreamArgs(o, adapterURL, configFile)...)
	return supervise(cmd, serveErr)
}

// supervise runs upstream kube-rbac-proxy, forwards SIGTERM and SIGINT to it, stops it when the
// adapter's server fails, and returns its exit code (128+signal when a signal ended it).
func supervise(cmd *exec.Cmd, serveErr <-chan error) int {
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	log.Printf("starting %s %s", cmd.Path, strings.Join(cmd.Args[1:], " "))
	if err := cmd.Start(); err != nil {
		log.Printf("starting %s: %v", cmd.Path, err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-signals:
			log.Printf("received %s; passing it on to kube-rbac-proxy", sig)
			_ = cmd.Process.Signal(sig)
		case err := <-serveErr:
			log.Printf("loopback server failed: %v; stopping kube-rbac-proxy", err)
			_ = cmd.Process.Signal(syscall.SIGTERM)
		case <-done:
			code := exitCode(cmd.ProcessState)
			log.Printf("kube-rbac-proxy %s; exiting %d", cmd.ProcessState, code)
			return code
		}
	}
}

// exitCode is a finished process's exit code, 128+signal when a signal killed it.
func exitCode(state *os.ProcessState) int {
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return state.ExitCode()
}

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	log.SetPrefix("kube-rbac-proxy-adapter: ")
	os.Exit(run(os.Args[1:]))
}
