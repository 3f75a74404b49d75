package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/devtool"
	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
	"github.com/Azure-Samples/keyvault-msi-go/internal/sources"
	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// These tests play what no Azure service sends but a proxy, a hostile
// upstream or a careless client can: credentials in settings, secrets
// echoed back, endless bodies, bodies promised and never sent.

// proxyPass is a corporate proxy's password, in HTTPS_PROXY.
const proxyPass = "pr0xy-pa55word"

// TestCredentialsInURLsNeverShown: a password in HTTPS_PROXY or in
// KEY_VAULT_URL, and a signature in KEY_VAULT_URL's query, reach neither
// the page (HTML and JSON) nor the log; the proxy's fix asks for the
// credential instead.
func TestCredentialsInURLsNeverShown(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		fault     standin.Fault
		env       []string // "<proxy>" is the stand-in's proxy with user info
		wantTitle string
		wantFix   string // a whole fix command; <proxyhost> is the proxy's host:port, <vault-host> the vault's
		secrets   []string
	}{
		{"proxy down", standin.FaultProxyDown, []string{"HTTPS_PROXY", "<proxy>"}, "The proxy could not be reached",
			"curl -sSI --proxy http://<proxyhost> --proxy-user '<user>' https://<vault-host>/", []string{proxyPass}},
		{"proxy refuses", standin.FaultDown, []string{"HTTPS_PROXY", "<proxy>"}, "The proxy failed the request",
			"curl -sSI --proxy http://<proxyhost> --proxy-user '<user>' https://<vault-host>/", []string{proxyPass}},
		{"KEY_VAULT_URL with a password", "", []string{"KEY_VAULT_URL", "https://admin:kv-pa55word@kv.vault.azure.net/"}, "The app is not configured",
			"export KEY_VAULT_URL='https://<your-vault-name>.vault.azure.net/'", []string{"kv-pa55word", "admin"}},
		{"KEY_VAULT_URL with @ in the password", "", []string{"KEY_VAULT_URL", "https://admin:P@ssw0rd@kv.vault.azure.net/"}, "The app is not configured",
			"export KEY_VAULT_URL='https://<your-vault-name>.vault.azure.net/'", []string{"ssw0rd", "admin"}},
		{"KEY_VAULT_URL with quotes and a space in the password", "", []string{"KEY_VAULT_URL", `https://admin:it's "my pass"@kv.vault.azure.net/`}, "The app is not configured",
			"export KEY_VAULT_URL='https://<your-vault-name>.vault.azure.net/'", []string{"my pass", `s "my`}},
		{"a short proxy password", standin.FaultProxyDown, []string{"HTTPS_PROXY", "http://corp:pw12@<proxyhost>"}, "The proxy could not be reached",
			"curl -sSI --proxy http://<proxyhost> --proxy-user '<user>' https://<vault-host>/", []string{"pw12"}},
		{"a proxy URL that does not parse", standin.FaultProxyDown, []string{"HTTPS_PROXY", "http://corp:pa ss'w0rd@<proxyhost>"}, "The proxy could not be reached",
			"curl -sSI --proxy http://<proxyhost> --proxy-user '<user>' https://<vault-host>/", []string{"ss'w0rd", "pa ss"}},
		{"KEY_VAULT_URL with a signature", "", []string{"KEY_VAULT_URL", "https://kv.vault.azure.net/?sig=c2lnbmF0dXJlLXNlY3JldA"}, "The app is not configured",
			"export KEY_VAULT_URL='https://<your-vault-name>.vault.azure.net/'", []string{"c2lnbmF0dXJlLXNlY3JldA"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{})
			s.SetFault(tt.fault)
			proxyHost := strings.TrimPrefix(s.ProxyURL(), "http://")
			env := envFor(t, s, standin.ServicePrincipal)
			for i := 0; i+1 < len(tt.env); i += 2 {
				env[tt.env[i]] = strings.NewReplacer("<proxy>", "http://corp-user:"+proxyPass+"@"+proxyHost, "<proxyhost>", proxyHost).Replace(tt.env[i+1])
			}
			env["PATH"] = t.TempDir()
			app := startApp(t, env, s)
			resp, body := fetch(t, "GET", app.URL+"/", "application/json")
			checkProblem(t, resp, body, failureCase{wantStatus: problemStatus(tt.wantTitle), wantTitle: tt.wantTitle})
			vaultHost := strings.Trim(strings.TrimPrefix(s.VaultURL("kv"), "https://"), "/")
			checkFixes(t, body, []string{strings.NewReplacer("<proxyhost>", proxyHost, "<vault-host>", vaultHost).Replace(tt.wantFix)}, nil)
			_, page := fetch(t, "GET", app.URL+"/", "text/html")
			for _, secret := range tt.secrets {
				for what, text := range map[string]string{"JSON": body, "HTML": page, "log": app.Logs.String()} {
					if strings.Contains(text, secret) {
						t.Errorf("the %s shows %q:\n%s", what, secret, text)
					}
				}
			}
		})
	}
}

func problemStatus(title string) int {
	if title == "The app is not configured" {
		return http.StatusInternalServerError
	}
	return http.StatusBadGateway
}

// TestSharedFailureExplainedOnce: with SECRET_CACHE_TTL, views that join
// one failed refresh share it. Every one of hundreds of concurrent views
// must get the same explanation, and the race detector must see no race
// over the failed answer.
func TestSharedFailureExplainedOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fault standin.Fault
		id    standin.Identity
	}{
		{"Entra ID 503", standin.FaultEntraDown, standin.ServicePrincipal},
		{"identity endpoint 400", standin.FaultNoUAMI, standin.AppServiceLegacy},
		{"Key Vault 403", standin.FaultRBAC, standin.ServicePrincipal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{})
			s.SetFault(tt.fault)
			env := envFor(t, s, tt.id, "SECRET_CACHE_TTL", "1h", "PATH", t.TempDir())
			app := startApp(t, env, s)
			const views = 300
			client := loadClient(64)
			problems := make([]string, views)
			var wg sync.WaitGroup
			for i := range views {
				wg.Go(func() {
					req, _ := http.NewRequest("GET", app.URL+"/", nil)
					req.Header.Set("Accept", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						problems[i] = err.Error()
						return
					}
					defer resp.Body.Close()
					var v view
					if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.Problem == nil {
						problems[i] = fmt.Sprintf("status %d, no problem (%v)", resp.StatusCode, err)
						return
					}
					v.Problem.RequestID = "" // each refresh has its own
					b, _ := json.Marshal(v.Problem)
					problems[i] = string(b)
				})
			}
			wg.Wait()
			differ := 0
			for _, p := range problems {
				if p != problems[0] {
					differ++
					if differ <= 3 {
						t.Errorf("a view's problem differs:\n%s\nfirst view's:\n%s", p, problems[0])
					}
				}
			}
			if differ > 0 {
				t.Errorf("%d of %d views differ from the first", differ, views)
			}
		})
	}
}

// TestBodylessRequestsAreCutOff: a client that promises a body and never
// sends it is answered and cut off within the read timeout, and does not
// hold up a graceful shutdown.
func TestBodylessRequestsAreCutOff(t *testing.T) {
	t.Parallel()
	h, err := newApp(discardLogger(), loadConfig(mapEnv(nil)), azcore.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(h, loadConfig(mapEnv(nil)), io.Discard)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	const clients = 10
	closed := make(chan time.Duration, clients)
	start := time.Now()
	for range clients {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := io.WriteString(conn, "GET /ping HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		go func() {
			// Read until the server closes the connection; the deadline only
			// ends a test the server would otherwise hold forever.
			_ = conn.SetReadDeadline(time.Now().Add(readTimeout + 10*time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err == nil {
				if resp.StatusCode != http.StatusRequestEntityTooLarge {
					t.Errorf("GET /ping with a promised body = %d; want 413", resp.StatusCode)
				}
				_, err = io.Copy(io.Discard, resp.Body)
				if err == nil {
					_, err = conn.Read(make([]byte, 1))
				}
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("the server still held the connection after %v", time.Since(start))
			}
			closed <- time.Since(start)
		}()
	}
	// Shut down while they are open: it must finish well within run's grace.
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown with %d body-less connections open: %v; want it to finish within %v", clients, err, shutdownTimeout)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("Serve = %v; want http.ErrServerClosed", err)
	}
	for range clients {
		<-closed
	}
}

// startHostileApp starts the app with its Azure traffic going to client
// (a hostile server's own), with no stand-in.
func startHostileApp(t *testing.T, env map[string]string, client *http.Client) testApp {
	t.Helper()
	logs := &syncBuffer{}
	opts := azcore.ClientOptions{Transport: client, Retry: policy.RetryOptions{RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond}}
	h, err := newApp(slog.New(slog.NewTextHandler(logs, nil)), loadConfig(mapEnv(env)), opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return testApp{URL: srv.URL, Logs: logs}
}

// startWithLegacyEndpoint starts the app against a stand-in's vault, its
// 2017-09-01 identity endpoint at url: the app reads it through getenv, so
// the test may run in parallel.
func startWithLegacyEndpoint(t *testing.T, url string) testApp {
	s := startStandIn(t, standin.Options{})
	return startApp(t, envFor(t, s, standin.AppServiceLegacy, "MSI_ENDPOINT", url, "REQUEST_TIMEOUT", "10s", "PATH", t.TempDir()), s)
}

// startWithAz starts the app against a stand-in's vault, with an az that
// gives every request for a token the answer a; PATH holds its directory
// alone, never an az the machine has.
func startWithAz(t *testing.T, a standin.ToolAnswer) testApp {
	dir := t.TempDir()
	writeAz(t, dir, a)
	s := startStandIn(t, standin.Options{})
	return startApp(t, envFor(t, s, standin.AzureCLI, "PATH", dir), s)
}

// writeAz writes into dir an az stand-in that answers a to az account
// get-access-token.
func writeAz(t *testing.T, dir string, a standin.ToolAnswer) {
	t.Helper()
	a.Want = []string{"account", "get-access-token"}
	if err := standin.WriteTool(dir, "az", a); err != nil {
		t.Fatal(err)
	}
}

// TestUpstreamsAreBounded: an endless or huge answer costs the app at most
// pipeline.MaxAnswer bytes, and the page shows at most an excerpt of any text.
func TestUpstreamsAreBounded(t *testing.T) {
	t.Parallel()
	t.Run("endless identity endpoint", func(t *testing.T) {
		t.Parallel()
		var sent sync.Map
		endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			chunk := []byte(strings.Repeat("x", 32<<10))
			n := 0
			for {
				if _, err := w.Write(chunk); err != nil {
					sent.Store(r, n)
					return
				}
				n += len(chunk)
			}
		}))
		t.Cleanup(endless.Close)
		app := startWithLegacyEndpoint(t, endless.URL+"/MSI/token/")
		resp, body := fetch(t, "GET", app.URL+"/", "application/json")
		checkProblem(t, resp, body, failureCase{wantStatus: 502, wantTitle: "An answer was too large to read"})
	})
	t.Run("huge Key Vault message", func(t *testing.T) {
		t.Parallel()
		for _, size := range []int{60 << 10, 10 << 20} {
			vault := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprintf(w, `{"error":{"code":"Forbidden","message":"%s","innererror":{"code":"ForbiddenByPolicy"}}}`, strings.Repeat("m", size))
			}))
			t.Cleanup(vault.Close)
			env := map[string]string{"KEY_VAULT_URL": vault.URL + "/", "AZURE_TENANT_ID": standin.Tenant, "AZURE_CLIENT_ID": standin.ServicePrincipalID,
				"AZURE_CLIENT_SECRET": standin.ClientSecret, "PATH": t.TempDir()}
			app := startHostileApp(t, env, vault.Client())
			for _, accept := range []string{"application/json", "text/html"} {
				resp, body := fetch(t, "GET", app.URL+"/", accept)
				if resp.StatusCode != http.StatusBadGateway || len(body) > 16<<10 {
					t.Errorf("a %d-byte Key Vault message: %s page of %d bytes, status %d; want 502 and at most 16 KiB", size, accept, len(body), resp.StatusCode)
				}
			}
		}
	})
	t.Run("huge az stderr", func(t *testing.T) {
		t.Parallel()
		app := startWithAz(t, standin.ToolAnswer{Stderr: strings.Repeat("x", 30<<20), Exit: 1})
		for _, accept := range []string{"application/json", "text/html"} {
			resp, body := fetch(t, "GET", app.URL+"/", accept)
			if resp.StatusCode != http.StatusBadGateway || len(body) > 16<<10 {
				t.Errorf("30 MB of az stderr: %s page of %d bytes, status %d; want 502 and at most 16 KiB", accept, len(body), resp.StatusCode)
			}
		}
	})
}

// TestEchoedSecretsRedacted: an upstream that echoes back a secret the app
// sent, or a token, has neither shown on the page nor written to the log.
func TestEchoedSecretsRedacted(t *testing.T) {
	t.Parallel()
	const token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiIxMTExIiwidGlkIjoiMjIyMiJ9.c2lnbmF0dXJl"
	const clientSecret = "sp-client-secret-0123456789"
	t.Run("identity endpoint (2017-09-01)", func(t *testing.T) {
		t.Parallel()
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"StatusCode":400,"Message":"secret %s is not valid; last token %s","CorrelationId":"x"}`, r.Header.Get("secret"), token)
		}))
		t.Cleanup(echo.Close)
		app := startWithLegacyEndpoint(t, echo.URL+"/MSI/token/")
		checkNoSecrets(t, app, standin.IdentityHeader, token)
	})
	t.Run("Azure CLI", func(t *testing.T) {
		t.Parallel()
		app := startWithAz(t, standin.ToolAnswer{Stderr: "ERROR: AADSTS50173: the grant is no longer valid; token " + token + "\n", Exit: 1})
		checkNoSecrets(t, app, token)
	})
	t.Run("Entra ID", func(t *testing.T) {
		t.Parallel()
		cfg := config{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", Env: sources.Env{ClientID: "c", TenantID: "t", ClientSecret: clientSecret}}
		resp := &http.Response{StatusCode: 401, Body: io.NopCloser(strings.NewReader(
			`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: ` + clientSecret + ` ` + token + `"}`))}
		s := &sources.Source{Name: "service principal (client secret)", Kind: "EnvironmentCredential"}
		c := &chain{sources: []sources.Source{*s}}
		c.active = &c.sources[0]
		f := explainFailure(cfg, c)(&diagnose.AuthError{Failed: s, Err: &azidentity.AuthenticationFailedError{RawResponse: resp}})
		b, _ := json.Marshal(f.problem)
		sources, _ := json.Marshal(f.sources)
		for _, secret := range []string{clientSecret, token} {
			for what, text := range map[string]string{"problem": string(b), "sources": string(sources), "log": f.log} {
				if strings.Contains(text, secret) {
					t.Errorf("the %s shows %q: %s", what, secret, text)
				}
			}
		}
		if !strings.Contains(string(b), "the client secret is wrong") {
			t.Errorf("problem = %s; want it still classified: the client secret is wrong", b)
		}
	})
}

func checkNoSecrets(t *testing.T, app testApp, secrets ...string) {
	t.Helper()
	_, body := fetch(t, "GET", app.URL+"/", "application/json")
	_, page := fetch(t, "GET", app.URL+"/", "text/html")
	if !strings.Contains(body, `"problem"`) {
		t.Fatalf("no problem on the page: %s", body)
	}
	for _, secret := range secrets {
		for what, text := range map[string]string{"JSON": body, "HTML": page, "log": app.Logs.String()} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s shows %q:\n%s", what, secret, text)
			}
		}
	}
}

// TestHSTS: a response to a request that came over HTTPS (its own TLS, or
// App Service's front end saying so) carries Strict-Transport-Security;
// a laptop's plain HTTP gets none, whatever the client claims.
func TestHSTS(t *testing.T) {
	t.Parallel()
	onAppService := map[string]string{"WEBSITE_SITE_NAME": "demo-app", "WEBSITE_RESOURCE_GROUP": "demo-rg"}
	for _, tt := range []struct {
		name  string
		env   map[string]string
		tls   bool
		proto string
		want  bool
	}{
		{"laptop, plain HTTP", nil, false, "", false},
		{"laptop, a client claiming HTTPS", nil, false, "https", false},
		{"laptop, its own TLS", nil, true, "", true},
		{"App Service, forwarded HTTPS", onAppService, false, "https", true},
		{"App Service, forwarded HTTP", onAppService, false, "http", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := newApp(discardLogger(), loadConfig(mapEnv(tt.env)), azcore.ClientOptions{})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewUnstartedServer(h)
			if tt.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			req, _ := http.NewRequest("GET", srv.URL+"/ping", nil)
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Get("Strict-Transport-Security")
			if (got != "") != tt.want || tt.want && got != "max-age=31536000" {
				t.Errorf("Strict-Transport-Security = %q; want set: %v", got, tt.want)
			}
		})
	}
}

// TestAzOutputCapped: what az writes is kept up to pipeline.MaxAnswer bytes, however
// much it writes, on stdout and on stderr.
func TestAzOutputCapped(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		answer standin.ToolAnswer
	}{
		{"stderr", standin.ToolAnswer{Stderr: strings.Repeat("x", 30<<20), Exit: 1}},
		{"stdout", standin.ToolAnswer{Stdout: `{"accessToken": "` + strings.Repeat("x", 30<<20)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeAz(t, dir, tt.answer)
			c := &devtool.AzureCLI{Path: devtool.Find("az", dir)}
			_, err := c.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
			if err == nil {
				t.Fatal("GetToken succeeded; want an error")
			}
			if len(err.Error()) > pipeline.MaxAnswer {
				t.Errorf("the error holds %d bytes of what az wrote; want at most %d", len(err.Error()), pipeline.MaxAnswer)
			}
		})
	}
}

// TestViewerGivesUpOnASharedRefresh: a view whose own deadline passes
// while it waits for a shared refresh shows that failure, never an empty
// secret.
func TestViewerGivesUpOnASharedRefresh(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	s.SetFault(standin.FaultHang)
	opts := azcore.ClientOptions{Transport: s.HTTPClient()}
	h, err := newApp(discardLogger(), loadConfig(mapEnv(envFor(t, s, standin.ServicePrincipal, "SECRET_CACHE_TTL", "1h"))), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the viewer is gone before the refresh answers
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil).WithContext(ctx))
	if rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "Secret read from Key Vault") {
		t.Errorf("GET / whose viewer gave up = %d:\n%s\nwant a failure page", rec.Code, rec.Body)
	}
}

// TestSDKPanicContained: an answer that makes the Azure SDK panic (a
// challenge whose authorization URL names no tenant: keyvault/internal
// 1.2.0 indexes it regardless) is a 502 page, for each view, with or
// without the cache's shared refresh, and the process serves on.
func TestSDKPanicContained(t *testing.T) {
	t.Parallel()
	for _, ttl := range []string{"0", "1h"} {
		t.Run("SECRET_CACHE_TTL="+ttl, func(t *testing.T) {
			t.Parallel()
			vault := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// The resource passes azsecrets' check (the request's host,
				// 127.0.0.1:port, ends with "." and its host); the
				// authorization names no tenant.
				_, port, _ := net.SplitHostPort(r.Host)
				w.Header().Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com", resource="https://0.0.1:`+port+`"`)
				w.WriteHeader(http.StatusUnauthorized)
			}))
			t.Cleanup(vault.Close)
			env := map[string]string{"KEY_VAULT_URL": vault.URL + "/", "AZURE_TENANT_ID": standin.Tenant, "AZURE_CLIENT_ID": standin.ServicePrincipalID,
				"AZURE_CLIENT_SECRET": standin.ClientSecret, "PATH": t.TempDir(), "SECRET_CACHE_TTL": ttl}
			app := startHostileApp(t, env, vault.Client())
			for range 2 {
				resp, body := fetch(t, "GET", app.URL+"/", "application/json")
				checkProblem(t, resp, body, failureCase{wantStatus: 502, wantTitle: "Key Vault's answer could not be read"})
			}
			if resp, _ := fetch(t, "GET", app.URL+"/ping", ""); resp.StatusCode != http.StatusOK {
				t.Errorf("GET /ping = %d after the panics; want 200", resp.StatusCode)
			}
		})
	}
}

// TestExpiryBeyondYear9999: a token whose expiry an upstream puts past
// year 9999 (which JSON's RFC 3339 cannot carry) is shown, clamped, in
// both views, instead of a 500 for as long as the token is cached.
func TestExpiryBeyondYear9999(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	token, _ := s.MintToken(standin.UserClaims())
	dir := t.TempDir()
	writeAz(t, dir, standin.ToolAnswer{Stdout: `{"accessToken": "` + token + `", "expires_on": 253402300800, "tokenType": "Bearer"}` + "\n"})
	app := startApp(t, envFor(t, s, standin.AzureCLI, "PATH", dir), s)
	for _, accept := range []string{"application/json", "text/html"} {
		resp, body := fetch(t, "GET", app.URL+"/", accept)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET / (%s) = %d; want 200\n%s", accept, resp.StatusCode, body)
		}
	}
	_, body := fetch(t, "GET", app.URL+"/", "application/json")
	containsAll(t, "JSON view", body, `"expiresOn":"9999-12-31T23:59:59Z"`)
}

// TestUserWithoutUPN: a guest user's or a personal account's token carries
// preferred_username and no upn (Microsoft identity platform docs, "Access
// token claims reference": upn is only in tokens of accounts with a UPN);
// the page still names the user, and the RBAC fix still assigns a User.
func TestUserWithoutUPN(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	s.SetFault(standin.FaultRBAC)
	// As az gets it for Key Vault: a v1 token, with scp and without idtyp.
	token, exp := s.MintToken(standin.Claims{ObjectID: standin.UserOID, Preferred: "guest@fabrikam.example", Scope: "user_impersonation"})
	dir := t.TempDir()
	writeAz(t, dir, standin.ToolAnswer{Stdout: fmt.Sprintf(`{"accessToken": %q, "expires_on": %d, "tokenType": "Bearer"}`+"\n", token, exp.Unix())})
	app := startApp(t, envFor(t, s, standin.AzureCLI, "PATH", dir), s)
	resp, body := fetch(t, "GET", app.URL+"/", "application/json")
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("GET / = %d; want 502\n%s", resp.StatusCode, body)
	}
	containsAll(t, "JSON view", body, `"user":"guest@fabrikam.example"`, `"isUser":true`)
	checkFixes(t, body, []string{"az role assignment create --role 'Key Vault Secrets User' --assignee-object-id " + standin.UserOID +
		" --assignee-principal-type User --scope /subscriptions/00000000-0000-4000-8000-000000000000/resourcegroups/demo-rg/providers/microsoft.keyvault/vaults/kv"}, nil)
}
