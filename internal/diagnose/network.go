package diagnose

import (
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
)

// networkProblem explains a request that got no answer: the proxy, a name
// that does not resolve, an untrusted certificate. It returns nil for any
// other error, which the upstream's own table explains.
func (x explainer) networkProblem(err error) *Problem {
	var (
		opErr  *net.OpError
		dnsErr *net.DNSError
		urlErr *url.Error
	)
	host := x.host()
	if errors.As(err, &urlErr) {
		// A redirect's target is an upstream's word: only a host's shape (shape.go).
		if u, perr := url.Parse(urlErr.URL); perr == nil && hostPort.MatchString(u.Host) {
			host = u.Host
		}
	}
	switch {
	case pipeline.TooLarge(err) != nil:
		return x.tooLargeProblem(pipeline.TooLarge(err).Origin)
	case errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		return x.proxyProblem(host, "The proxy could not be reached", "it did not answer: "+pipeline.FirstLine(opErr.Err.Error()))
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return x.dnsProblem(dnsErr.Name)
	case pipeline.Untrusted(err) != nil:
		return x.untrustedProblem(host, pipeline.Untrusted(err))
	case x.cfg.Proxy != "" && urlErr != nil && !errors.As(urlErr.Err, &opErr):
		// Go reports a proxy's refusal of CONNECT as the bare status text
		// (net/http's transport: errors.New of the status).
		return x.proxyProblem(host, "The proxy failed the request", "it answered: "+pipeline.FirstLine(urlErr.Err.Error()))
	}
	return nil
}

// proxyProblem explains a proxy's failure. Its command names the proxy
// without its user info and asks for the credential instead (curl prompts
// for the password); the Redactor strips it from the text.
func (x explainer) proxyProblem(host, title, what string) *Problem {
	proxy, hasUser := withoutUserInfo(x.cfg.Proxy)
	words := []any{"curl", "-sSI", "--proxy", proxy}
	if hasUser {
		words = append(words, "--proxy-user", placeholder("user"))
	}
	return &Problem{
		Title: title,
		Cause: "Requests to Azure go through the proxy " + x.cfg.ProxyVar + "=" + x.cfg.Proxy + ", and " + what + ".",
		Fixes: []Fix{{
			Text:    "Check the proxy lets this machine reach " + host + ". If this network needs no proxy, remove " + x.cfg.ProxyVar + " from the app's environment and start the app again.",
			Command: cmd(append(words, "https://"+host+"/")...),
		}},
	}
}

func (x explainer) dnsProblem(name string) *Problem {
	p := &Problem{
		Title: "A host name does not resolve",
		Cause: "The name " + name + " does not resolve from here. No retry can change that.",
		Fixes: []Fix{{Text: "Check this machine's DNS settings and network connection.", Command: cmd("nslookup", shaped(hostName, name, placeholder("host")))}},
	}
	if name == x.host() {
		p.Cause = "KEY_VAULT_URL names " + name + ", which does not resolve: no vault has that name, or this network cannot see it."
		p.Fixes = []Fix{{
			Text:    "Check KEY_VAULT_URL against the vaults you can see:",
			Command: cmd("az", "keyvault", "list", "--query", "[].properties.vaultUri", "-o", "tsv"),
		}}
	}
	return p
}

func (x explainer) untrustedProblem(host string, reason error) *Problem {
	return &Problem{
		Title: "This machine does not trust the certificate",
		Cause: "The TLS certificate presented for " + host + " is not one this machine trusts (" + reason.Error() + "). On a corporate network a TLS-inspecting proxy is the usual reason.",
		Fixes: []Fix{
			{Text: "See who issued the certificate this machine receives:", Command: cmd("curl", "-vsI", "https://"+host+"/")},
			{Text: "If it is your organisation's inspection CA, add it to the trusted roots for the app (a PEM file), then start the app again.", Command: cmd("export", assign("SSL_CERT_FILE", placeholder("path-to-your-ca.pem")))},
		},
	}
}

// tooLargeProblem explains an answer cut off at MaxAnswer bytes: no Azure
// service answers so, so something between the app and it does.
func (x explainer) tooLargeProblem(origin string) *Problem {
	p := &Problem{
		Title: "An answer was too large to read",
		Cause: fmt.Sprintf("%s sent an answer larger than %d KiB, which no Azure answer is; the app read no more of it. A proxy or another server answering for Azure is the usual reason.", redactURL(origin), pipeline.MaxAnswer>>10),
		Fixes: []Fix{{Text: "See what this machine receives from that host:", Command: cmd("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download} bytes\\n", shaped(originShape, origin, placeholder("url"))+"/")}},
	}
	return p
}
