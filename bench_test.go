package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"

	"github.com/Azure-Samples/keyvault-msi-go/internal/harden"
	"github.com/Azure-Samples/keyvault-msi-go/internal/legacymsi"
	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// The benchmarks run against the local stand-in and print one
// "name: value" line per figure (make bench). Each compares two things
// measured side by side, alternating rounds in one run, so that the shared
// machine's noise falls on both. They run a fixed workload and ignore b.N:
// run them with -benchtime 1x.

// report prints a figure and records it as a benchmark metric.
func report(b *testing.B, name string, value float64, unit string) {
	b.Helper()
	fmt.Printf("%s: %.4g %s\n", name, value, unit)
	b.ReportMetric(value, strings.ReplaceAll(name, " ", "_")+"_"+unit)
}

// minimalApp is the floor: one managed-identity credential and one
// azsecrets.Client built at start-up, GetSecret per request, the value
// written as plain text; no template, logging or headers.
func minimalApp(b *testing.B, s *standin.Server) string {
	client := bareClient(b, s)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := client.GetSecret(r.Context(), "secret", "", nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		io.WriteString(w, *resp.Value)
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/"
}

// bareClient is one azsecrets.Client for the stand-in's vault with the
// legacy managed identity, and none of the app's own policies: the
// contenders' Key Vault read.
func bareClient(b *testing.B, s *standin.Server) *azsecrets.Client {
	opts := azcore.ClientOptions{Transport: s.HTTPClient()}
	cred, err := legacymsi.New(s.LegacyEndpoint(), standin.IdentityHeader, "", opts)
	if err != nil {
		b.Fatal(err)
	}
	client, err := azsecrets.NewClient(s.VaultURL("kv"), cred, &azsecrets.ClientOptions{ClientOptions: opts})
	if err != nil {
		b.Fatal(err)
	}
	return client
}

// sameBytesApp is the page's bytes without the app: the minimal app's one
// GetSecret per request, then the body and headers the page sent for
// pageURL, written as they are. The page's ratio to it is what the app's
// own work costs per view, beyond writing and parsing its bytes.
func sameBytesApp(b *testing.B, s *standin.Server, pageURL string) string {
	resp, err := http.Get(pageURL)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s = %d, %v", pageURL, resp.StatusCode, err)
	}
	header := resp.Header.Clone()
	header.Del("Date") // net/http writes its own, as for the page
	client := bareClient(b, s)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := client.GetSecret(r.Context(), "secret", "", nil); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/"
}

// allocsPerView is the process's allocations per GET of url, one at a time.
func allocsPerView(b *testing.B, url string) float64 {
	client := loadClient(1)
	load(client, url, 100, 1)
	const n = 2000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if r := load(client, url, n, 1); r.Errors > 0 {
		b.Fatalf("%d errors", r.Errors)
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / n
}

// renderedView is a success view as the app shows it, read once from the
// stand-in, and a page to render it.
func renderedView(b *testing.B, s *standin.Server) (*page, view) {
	pg, err := newPage()
	if err != nil {
		b.Fatal(err)
	}
	cfg := loadConfig(mapEnv(envFor(b, s, standin.AppServiceLegacy)))
	opts := azcore.ClientOptions{Transport: s.HTTPClient()}
	creds := newChain(cfg, opts)
	client, err := azsecrets.NewClient(cfg.VaultURL, creds, &azsecrets.ClientOptions{ClientOptions: opts})
	if err != nil {
		b.Fatal(err)
	}
	sec, failed := newSecretReader(client, cfg, explainFailure(cfg, creds)).Read(context.Background())
	if failed != nil {
		b.Fatal(failed.log)
	}
	return pg, view{Secret: &sec, Principal: creds.Principal(), Sources: creds.statuses(nil, diagnose.SourceDetail)}
}

// sideBySide loads a and b in alternating rounds and returns the totals.
func sideBySide(urlA, urlB string, n, c, rounds int) (a, b loadResult) {
	clientA, clientB := loadClient(c), loadClient(c)
	merge := func(into *loadResult, r loadResult) {
		into.Requests += r.Requests
		into.Errors += r.Errors
		into.Elapsed += r.Elapsed
		into.Latencies = append(into.Latencies, r.Latencies...)
	}
	load(clientA, urlA, c*4, c) // warm connections and tokens
	load(clientB, urlB, c*4, c)
	for range rounds {
		merge(&a, load(clientA, urlA, n/rounds, c))
		merge(&b, load(clientB, urlB, n/rounds, c))
	}
	for _, r := range []*loadResult{&a, &b} {
		sortDurations(r.Latencies)
	}
	return a, b
}

func BenchmarkPage(b *testing.B) {
	s := startStandIn(b, standin.Options{})
	page := startApp(b, envFor(b, s, standin.AppServiceLegacy), s).URL + "/"
	floor := minimalApp(b, s)
	same := sameBytesApp(b, s, page)
	for _, c := range []int{1, 8, 64} {
		p, m := sideBySide(page, floor, 4000, c, 4)
		if p.Errors+m.Errors > 0 {
			b.Fatalf("errors: page %d, minimal app %d", p.Errors, m.Errors)
		}
		report(b, fmt.Sprintf("page c=%d throughput", c), p.PerSecond(), "req/s")
		report(b, fmt.Sprintf("page c=%d p50", c), ms(p.Percentile(50)), "ms")
		report(b, fmt.Sprintf("page c=%d p99", c), ms(p.Percentile(99)), "ms")
		report(b, fmt.Sprintf("minimal app c=%d throughput", c), m.PerSecond(), "req/s")
		report(b, fmt.Sprintf("page/minimal app c=%d", c), p.PerSecond()/m.PerSecond(), "ratio")
		// More, shorter rounds: the gap measured here is small beside the noise.
		p, sb := sideBySide(page, same, 12000, c, 12)
		if p.Errors+sb.Errors > 0 {
			b.Fatalf("errors: page %d, same bytes %d", p.Errors, sb.Errors)
		}
		report(b, fmt.Sprintf("same bytes c=%d throughput", c), sb.PerSecond(), "req/s")
		report(b, fmt.Sprintf("page/same bytes c=%d", c), p.PerSecond()/sb.PerSecond(), "ratio")
		// The app's own CPU time per view, under the same saturating load:
		// cores × (1/page rate − 1/same-bytes rate). The target is 100 µs.
		own := float64(runtime.NumCPU()) * (1/p.PerSecond() - 1/sb.PerSecond())
		report(b, fmt.Sprintf("app's own CPU time per view c=%d", c), own*1e6, "µs")
	}

	// Allocations per view, whole round trips one at a time (the client's,
	// the stand-in's and the server's): the page's beyond the same bytes'
	// are the app's own.
	report(b, "allocations per view, page", allocsPerView(b, page), "allocs")
	report(b, "allocations per view, same bytes", allocsPerView(b, same), "allocs")
	// And the page's rendering alone: one html/template execution per view.
	pg, v := renderedView(b, s)
	rec, req := httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)
	rendered := testing.AllocsPerRun(2000, func() { rec.Body.Reset(); pg.render(rec, req, discardLogger(), v) })
	report(b, "render allocations per view", rendered, "allocs")

	// For context: the stand-in called directly, warm token, no HTTP server in between.
	client := bareClient(b, s)
	const direct = 4000
	start := time.Now()
	for range direct {
		if _, err := client.GetSecret(context.Background(), "secret", "", nil); err != nil {
			b.Fatal(err)
		}
	}
	report(b, "azsecrets direct c=1 throughput", direct/time.Since(start).Seconds(), "req/s")
}

func BenchmarkPing(b *testing.B) {
	app := startApp(b, map[string]string{}, nil).URL + "/ping"
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Hello World!")
	}))
	b.Cleanup(bare.Close)
	p, m := sideBySide(app, bare.URL+"/ping", 40000, 8, 4)
	report(b, "ping c=8 throughput", p.PerSecond(), "req/s")
	report(b, "bare handler c=8 throughput", m.PerSecond(), "req/s")
	report(b, "ping/bare handler", p.PerSecond()/m.PerSecond(), "ratio")

	// To tell the security headers' cost (bytes to send and parse) from the
	// middleware's: the bare handler plus the same headers.
	pg, err := newPage()
	if err != nil {
		b.Fatal(err)
	}
	headed := httptest.NewServer(harden.Headers(pg.csp, false, bare.Config.Handler))
	b.Cleanup(headed.Close)
	p, m = sideBySide(app, headed.URL+"/ping", 40000, 8, 4)
	report(b, "ping/bare handler with the same headers", p.PerSecond()/m.PerSecond(), "ratio")
}

// BenchmarkRequestsPerView counts upstream requests per view, warm and with
// SECRET_CACHE_TTL, and what a cold burst of 64 first views costs with the
// app's warm-up gate and without it (the minimal app).
func BenchmarkRequestsPerView(b *testing.B) {
	for _, tt := range []struct {
		name string
		ttl  string
	}{{"no cache", ""}, {"SECRET_CACHE_TTL=1m", "1m"}} {
		s := startStandIn(b, standin.Options{})
		app := startApp(b, envFor(b, s, standin.AppServiceLegacy, "SECRET_CACHE_TTL", tt.ttl), s)
		const views = 2000
		if r := load(loadClient(8), app.URL+"/", views, 8); r.Errors > 0 {
			b.Fatalf("%d errors", r.Errors)
		}
		report(b, tt.name+" token requests per view", float64(s.TokenRequests())/views, "req")
		report(b, tt.name+" Key Vault requests per view", float64(s.VaultRequests()-s.Challenges())/views, "req")
		report(b, tt.name+" challenges per process", float64(s.Challenges()), "req")
	}
	for _, tt := range []struct {
		name string
		url  func(*standin.Server) string
	}{
		{"cold burst, app (warm-up gate)", func(s *standin.Server) string {
			return startApp(b, envFor(b, s, standin.AppServiceLegacy), s).URL + "/"
		}},
		{"cold burst, minimal app (no gate)", func(s *standin.Server) string { return minimalApp(b, s) }},
	} {
		s := startStandIn(b, standin.Options{})
		r := load(loadClient(64), tt.url(s), 64, 64)
		if r.Errors > 0 {
			b.Fatalf("%s: %d errors", tt.name, r.Errors)
		}
		report(b, tt.name+" token requests", float64(s.TokenRequests()), "req")
		report(b, tt.name+" challenges", float64(s.Challenges()), "req")
		report(b, tt.name+" slowest first view", ms(r.Percentile(100)), "ms")
	}
}

// BenchmarkProcess starts the built app as App Service would and measures
// the time to the first 200 on /ping and the peak resident memory after
// 10,000 views.
func BenchmarkProcess(b *testing.B) {
	bin, dir := buildApp(b)
	s := startStandIn(b, standin.Options{})
	env, err := s.ProcessEnv(standin.AppService, dir)
	if err != nil {
		b.Fatal(err)
	}
	logs, err := os.Create(filepath.Join(dir, "app.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer logs.Close()
	cmd := exec.Command(bin)
	port := freePort(b)
	cmd.Env = append(env, "PORT="+port)
	cmd.Stdout = logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := listeningURL(b, logs.Name(), port)
	waitForPing(b, url, 10*time.Second)
	report(b, "process start to first /ping 200", ms(time.Since(start)), "ms")
	if r := load(loadClient(8), url+"/", 10000, 8); r.Errors > 0 {
		b.Fatalf("%d of 10,000 views failed", r.Errors)
	}
	rss, err := peakRSS(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	report(b, "peak resident memory after 10,000 views", float64(rss)/(1<<20), "MiB")
}

// peakRSS reads a process's peak resident set size (VmHWM) on Linux.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	re := regexp.MustCompile(`^VmHWM:\s+(\d+) kB`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			kb, err := strconv.ParseInt(m[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkFailFast times the page for failures no retry can change, with
// azcore's own retry policy (production's: up to three retries, seconds
// apart), next to one it does retry (Key Vault 503), for contrast. Each
// should answer within a second; the retried one takes azcore's backoff.
func BenchmarkFailFast(b *testing.B) {
	cases := []struct {
		name  string
		fault standin.Fault
		env   []string
	}{
		{"configuration (SECRET_NAME)", "", []string{"SECRET_NAME", "bad name!"}},
		{"no identity", "", []string{"AZURE_CLIENT_SECRET", ""}},
		{"name does not resolve", standin.FaultNXDomain, nil},
		{"untrusted certificate", standin.FaultUntrusted, nil},
		{"RBAC denial (403)", standin.FaultRBAC, nil},
		{"secret not found (404)", standin.FaultNotFound, nil},
		{"wrong client secret (AADSTS7000215)", "", []string{"AZURE_CLIENT_SECRET", "Xk78Q~an0ther-0ld-s3cret-pasted.by.mistake"}},
		{"for contrast, retried: Key Vault 503", standin.FaultUnavailable, nil},
	}
	for _, tc := range cases {
		s := startStandIn(b, standin.Options{})
		s.SetFault(tc.fault)
		env := envFor(b, s, standin.ServicePrincipal, tc.env...)
		env["PATH"] = b.TempDir()
		h, err := newApp(discardLogger(), loadConfig(mapEnv(env)), azcore.ClientOptions{Transport: s.HTTPClient()})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(h)
		start := time.Now()
		resp, err := http.Get(srv.URL + "/")
		took := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		report(b, "seconds to the "+tc.name+" page ("+strconv.Itoa(resp.StatusCode)+")", took.Seconds(), "s")
	}
}

// unreachableIMDS stands for a laptop's network, where nothing answers at
// the instance metadata service's address: a request to it waits until its
// context ends, as a dial to an unrouted address does. Every other request
// goes to next.
type unreachableIMDS struct{ next *http.Client }

func (u unreachableIMDS) Do(r *http.Request) (*http.Response, error) {
	if r.URL.Hostname() == pipeline.IMDSAddress {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return u.next.Do(r)
}

// BenchmarkWhyNotDefaultAzureCredential measures, side by side, the
// reasons the README gives for this sample's own chain: on a laptop
// signed in to the Azure CLI, azidentity's DefaultAzureCredential first
// probes the instance metadata service (one second when nothing answers)
// before it reaches the CLI; and on an App Service host that sets only
// MSI_ENDPOINT and MSI_SECRET, it cannot read the token's expires_on.
// DefaultAzureCredential reads the process environment: this sets it.
func BenchmarkWhyNotDefaultAzureCredential(b *testing.B) {
	s := startStandIn(b, standin.Options{LegacyExpiresOn: "linux"})
	dir := b.TempDir()
	if err := s.WriteAzCLI(dir, standin.AzLoggedIn); err != nil {
		b.Fatal(err)
	}
	b.Setenv("PATH", dir) // the stand-in's az alone: never an az the machine has
	opts := azcore.ClientOptions{Transport: unreachableIMDS{s.HTTPClient()}}
	scope := policy.TokenRequestOptions{Scopes: []string{"https://" + strings.TrimSuffix(strings.TrimPrefix(s.VaultURL("kv"), "https://kv."), "/") + "/.default"}}

	timeToken := func(cred azcore.TokenCredential) (time.Duration, error) {
		start := time.Now()
		_, err := cred.GetToken(context.Background(), scope)
		return time.Since(start), err
	}
	dac, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: opts})
	if err != nil {
		b.Fatal(err)
	}
	took, err := timeToken(dac)
	if err != nil {
		b.Fatal(err)
	}
	report(b, "laptop with az login, DefaultAzureCredential, first token", took.Seconds(), "s")
	// Microsoft's local advice: AZURE_TOKEN_CREDENTIALS=dev, the developer
	// tools alone, so no probe of the metadata service.
	b.Setenv("AZURE_TOKEN_CREDENTIALS", "dev")
	dac, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: opts})
	if err != nil {
		b.Fatal(err)
	}
	if took, err = timeToken(dac); err != nil {
		b.Fatal(err)
	}
	report(b, "laptop with az login, DefaultAzureCredential with AZURE_TOKEN_CREDENTIALS=dev, first token", took.Seconds(), "s")
	if err := os.Unsetenv("AZURE_TOKEN_CREDENTIALS"); err != nil { // b.Setenv restores it at the end
		b.Fatal(err)
	}
	ours := newChain(loadConfig(mapEnv(map[string]string{"PATH": os.Getenv("PATH")})), opts)
	took, err = timeToken(ours)
	if err != nil {
		b.Fatal(err)
	}
	report(b, "laptop with az login, this sample's chain, first token", took.Seconds(), "s")

	b.Setenv("MSI_ENDPOINT", s.LegacyEndpoint())
	b.Setenv("MSI_SECRET", standin.IdentityHeader)
	dac, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: opts})
	if err != nil {
		b.Fatal(err)
	}
	_, err = timeToken(dac)
	reason := fmt.Sprint(err)
	for _, line := range strings.Split(reason, "\n") {
		if strings.Contains(line, "ManagedIdentityCredential") {
			reason = strings.TrimSpace(line)
		}
	}
	fmt.Printf("MSI_ENDPOINT host (expires_on %q form), DefaultAzureCredential: %s\n", "06/19/2019 23:42:01 +00:00", reason)
	env := map[string]string{"MSI_ENDPOINT": s.LegacyEndpoint(), "MSI_SECRET": standin.IdentityHeader}
	_, err = timeToken(newChain(loadConfig(mapEnv(env)), opts))
	fmt.Printf("MSI_ENDPOINT host, this sample's chain: error %v\n", err)
}
