package diagnose

import (
	"cmp"
	"errors"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// federationMismatch finds the assertion's issuer and subject in Entra ID's
// answer when no federated credential matches it: "AADSTS70021: No
// matching federated identity record found for presented assertion.
// Assertion Issuer: '…'. Assertion Subject: '…'." (also 700211, 700212,
// 700213 for the issuer, the audience and the subject alone).
var (
	federationMismatch = regexp.MustCompile(`AADSTS(70021|700211|700212|700213)\b`)
	assertionIssuer    = regexp.MustCompile(`Assertion Issuer: '([^']*)'`)
	assertionSubject   = regexp.MustCompile(`Assertion Subject: '([^']*)'`)
)

// workloadProblem explains a failed AKS workload identity token exchange.
func (x explainer) workloadProblem(s *Source, detail string, err error) *Problem {
	p := &Problem{}
	var afe *azidentity.AuthenticationFailedError
	switch {
	// os.ReadFile's error reaches here as text only (azidentity's
	// getAssertion inside MSAL): errors.Is cannot see fs.ErrNotExist.
	// ENOENT's words, or Windows' ERROR_FILE_NOT_FOUND and
	// ERROR_PATH_NOT_FOUND (a developer trying the pod's settings locally).
	case strings.Contains(detail, "no such file or directory") || strings.Contains(detail, "The system cannot find the"):
		p.Title = s.Name + ": the service account token file is missing"
		p.Cause = "AZURE_FEDERATED_TOKEN_FILE=" + x.cfg.FederatedTokenFile + " names no file. The workload identity webhook projects the token only into pods labelled azure.workload.identity/use=true whose service account names the identity's client ID."
		p.Fixes = []Fix{{
			Text: "Check the pod's label, and that its service account has the annotation azure.workload.identity/client-id=" + x.cfg.ClientID + ":",
			// The pod's own name and namespace: a command with $HOSTNAME would
			// expand on the reader's machine, not in the pod.
			Command: cmd("kubectl", "get", "pod", cmp.Or(x.cfg.Host.Pod, placeholder("pod")), "--namespace", cmp.Or(x.cfg.Host.Namespace, placeholder("namespace")),
				"-o", "jsonpath={.metadata.labels}{.spec.serviceAccountName}"),
		}}
	case errors.As(err, &afe) && afe.RawResponse != nil:
		a := readEntraAnswer(afe.RawResponse)
		if !federationMismatch.MatchString(a.Desc) {
			return x.entraProblem(s, a)
		}
		// Entra ID's words enter the command only in their shape (shape.go).
		var issuer any = shaped(issuerURL, submatch(assertionIssuer, a.Desc), "")
		if issuer == "" { // the answer does not name it (700212, 700213): the cluster does
			issuer = raw("$(" + cmd("az", "aks", "show", "--name", placeholder("cluster"), "--resource-group", placeholder("resource-group"), "--query", "oidcIssuerProfile.issuerUrl", "-o", "tsv") + ")")
		}
		subject := shaped(serviceAccountSubject, submatch(assertionSubject, a.Desc), "")
		p.Title = s.Name + ": no federated credential matches the service account"
		p.Cause = "Entra ID has no federated credential on the identity " + x.cfg.ClientID + " for this pod's service account token (" + a.Desc + ")."
		p.Fixes = []Fix{{
			Text: "Add one for the cluster's issuer and the pod's service account:",
			Command: cmd("az", "identity", "federated-credential", "create", "--name", "kvmsigo", "--identity-name", placeholder("identity-name"),
				"--resource-group", placeholder("resource-group"), "--issuer", issuer, "--subject", cmp.Or(subject, "system:serviceaccount:"+placeholder("namespace")+":"+placeholder("service-account")),
				"--audiences", "api://AzureADTokenExchange"),
		}}
	default:
		p.Title = s.Name + " could not get a token"
		p.Cause = detail
		p.Fixes = []Fix{{Text: "Check the pod's workload identity settings: AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE, as the webhook sets them."}}
	}
	return p
}

// submatch is re's first group in s, or "".
func submatch(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}
