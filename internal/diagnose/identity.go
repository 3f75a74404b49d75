package diagnose

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// identityAnswer is what App Service's local identity endpoint said, in
// either protocol: its status (0 when it did not answer) and message.
type identityAnswer struct {
	Status  int
	Message string
}

// IdentityAnswerer is an error that carries an identity endpoint's
// answer: the app's own 2017-09-01 credential returns one.
type IdentityAnswerer interface {
	error
	IdentityAnswer() (status int, message string)
}

func readIdentityAnswer(err error) identityAnswer {
	var (
		afe *azidentity.AuthenticationFailedError
		le  IdentityAnswerer
	)
	switch {
	case errors.As(err, &le):
		status, message := le.IdentityAnswer()
		return identityAnswer{status, message}
	case errors.As(err, &afe) && afe.RawResponse != nil:
		return identityAnswer{afe.RawResponse.StatusCode, responseReason(afe.RawResponse)}
	}
	return identityAnswer{}
}

// identityProblem explains a failed managed-identity token request. Each
// protocol's fix names its own variables: IDENTITY_ENDPOINT and
// IDENTITY_HEADER (2019-08-01) or MSI_ENDPOINT and MSI_SECRET (2017-09-01).
func (x explainer) identityProblem(s *Source, detail string, err error) *Problem {
	endpointVar, headerVar, endpoint := "IDENTITY_ENDPOINT", "IDENTITY_HEADER", x.cfg.IdentityEndpoint
	if strings.Contains(s.Name, "(2017-09-01)") { // the source's name carries its protocol
		endpointVar, headerVar, endpoint = "MSI_ENDPOINT", "MSI_SECRET", x.cfg.MSIEndpoint
	}
	a := readIdentityAnswer(err)
	if strings.Contains(s.Name, "(IMDS)") {
		return x.imdsProblem(s, detail, a)
	}
	p := &Problem{}
	switch {
	case a.Status == http.StatusBadRequest && x.userAssignedID(s) != "":
		// App Service: {"StatusCode":400,"Message":"No MSI found for specified
		// ClientId/ResourceId.",…} (MicrosoftDocs/azure-docs#43543).
		id := x.userAssignedID(s)
		p.Title = s.Name + ": the identity is not assigned to this app"
		p.Cause = "AZURE_CLIENT_ID=" + id + " asks for a user-assigned identity, and the endpoint at " + endpointVar + " answered " + fmt.Sprint(a.Status) + ": " + a.Message
		p.Fixes = []Fix{{
			Text:    "Assign that identity to the app (or unset AZURE_CLIENT_ID to use the system-assigned one).",
			Command: x.cfg.Host.assignIdentity(identityByClientID(id)),
		}}
	case a.Status == 0 || a.Status >= 500:
		p.Title = s.Name + ": the identity endpoint is not answering"
		p.Cause = "The platform's identity endpoint (" + endpointVar + "=" + endpoint + ") failed: " + detail
		p.Fixes = []Fix{{
			Text:    "The endpoint belongs to the platform. Restart the app so that the platform starts it again and sets " + endpointVar + " and " + headerVar + " afresh.",
			Command: x.cfg.Host.restart(),
		}}
	default:
		p.Title = s.Name + ": the identity endpoint refused the request"
		p.Cause = "The endpoint at " + endpointVar + " refused the request: " + detail
		p.Fixes = []Fix{{
			Text:    headerVar + " must be the value the platform set for this process. Check the app's identity is on; restart the app if it was just turned on.",
			Command: x.cfg.Host.showIdentity(),
		}}
	}
	return p
}

// userAssignedID is the client ID of the user-assigned identity s asks
// for, or "" for the system-assigned one.
func (x explainer) userAssignedID(s *Source) string {
	if strings.Contains(s.Name, "user-assigned") {
		return x.cfg.ClientID
	}
	return ""
}

// imdsProblem explains a failed request to a virtual machine's instance
// metadata service, which the app asks only when told to.
func (x explainer) imdsProblem(s *Source, detail string, a identityAnswer) *Problem {
	p := &Problem{}
	// IMDS answers 400 {"error":"invalid_request","error_description":
	// "Identity not found"} (Azure/azure-sdk-for-net#37278); azidentity
	// keeps the response for a user-assigned identity, and only its text
	// for the system-assigned one (its managed_identity_client.go).
	if a.Status == http.StatusBadRequest || strings.Contains(detail, "failed to authenticate a system assigned identity") {
		p.Title = s.Name + ": the virtual machine has no such identity"
		p.Cause = "The instance metadata service answered 400: " + cmp.Or(a.Message, detail)
		words := []any{"az", "vm", "identity", "assign", "--name", placeholder("vm"), "--resource-group", placeholder("resource-group")}
		if id := x.cfg.ClientID; id != "" {
			words = append(words, "--identities", identityByClientID(id))
		}
		p.Fixes = []Fix{{Text: "Give the virtual machine (or scale set: az vmss identity assign) the identity:", Command: cmd(words...)}}
		return p
	}
	p.Title = s.Name + ": the instance metadata service did not answer"
	p.Cause = "AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential asks for the virtual machine's identity, and the instance metadata service (" + pipeline.IMDSAddress + ") failed: " + detail
	p.Fixes = []Fix{{Text: "Off an Azure virtual machine there is no instance metadata service: let the app choose its source again.", Command: cmd("unset", "AZURE_TOKEN_CREDENTIALS")}}
	return p
}

// identityByClientID is a command substitution that finds the resource ID
// of the user-assigned identity with the given client ID, which az's
// identity assign commands take.
func identityByClientID(id string) raw {
	return raw("$(" + cmd("az", "identity", "list", "--query", "[?clientId=='"+id+"'].id", "-o", "tsv") + ")")
}
