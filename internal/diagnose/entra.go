package diagnose

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
	"github.com/Azure-Samples/keyvault-msi-go/internal/sources"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// entraAnswer is Microsoft Entra ID's OAuth error body: {"error":
// "invalid_client", "error_description": "AADSTS7000215: …", "error_codes":
// [7000215]} (azidentity's TROUBLESHOOTING.md quotes one in full).
type entraAnswer struct {
	Status      int
	Error, Desc string
	Code        int // the first of error_codes, or the AADSTS number in Desc
}

func readEntraAnswer(r *http.Response) entraAnswer {
	a := entraAnswer{Status: r.StatusCode}
	body, err := runtime.Payload(r)
	if err != nil {
		return a
	}
	var v struct {
		Error      string `json:"error"`
		Desc       string `json:"error_description"`
		ErrorCodes []int  `json:"error_codes"`
	}
	if json.Unmarshal(body, &v) != nil {
		return a
	}
	a.Error, a.Desc = v.Error, pipeline.FirstLine(v.Desc)
	if len(v.ErrorCodes) > 0 {
		a.Code = v.ErrorCodes[0]
	} else if m := aadstsCode.FindStringSubmatch(v.Desc); m != nil {
		a.Code, _ = strconv.Atoi(m[1])
	}
	return a
}

var aadstsCode = regexp.MustCompile(`AADSTS(\d+)`)

// entraRules classify Entra ID's answers to a service principal by AADSTS
// code, as azidentity's TROUBLESHOOTING.md lists them for
// ClientSecretCredential and ClientCertificateCredential.
var entraRules = map[int]func(x explainer, a entraAnswer) *Problem{
	7000215: explainer.wrongClientSecret,
	7000222: explainer.expiredClientSecret,
	700016:  explainer.applicationNotFound,
	90002:   explainer.tenantNotFound,
	700027:  explainer.certificateNotRegistered,
}

// entraProblem explains a service principal's failed token request.
func (x explainer) entraProblem(s *Source, a entraAnswer) *Problem {
	var p *Problem
	switch build, ok := entraRules[a.Code]; {
	case ok:
		p = build(x, a)
	case a.Status >= 500 || a.Error == "temporarily_unavailable":
		p = &Problem{
			Title: "Microsoft Entra ID is not answering",
			Cause: fmt.Sprintf("Entra ID answered %d: %s. This is a passing fault on Azure's side; the credentials are not the problem.", a.Status, a.Desc),
			Fixes: []Fix{{Text: "Reload in a minute; if it persists, check https://azure.status.microsoft/. Do not reset the client secret: nothing is wrong with it."}},
		}
	default:
		p = &Problem{
			Title: "Microsoft Entra ID refused the service principal",
			Cause: fmt.Sprintf("Entra ID answered %d: %s", a.Status, a.Desc),
			Fixes: []Fix{{Text: fmt.Sprintf("Look the code up in Entra ID's error reference: https://login.microsoftonline.com/error?code=%d", a.Code)}},
		}
	}
	p.Title = s.Name + ": " + p.Title
	return p
}

func (x explainer) resetSecretFix() Fix {
	return Fix{
		Text:    "Add a new client secret to the application (existing ones are kept), then set AZURE_CLIENT_SECRET to the value it prints.",
		Command: cmd("az", "ad", "app", "credential", "reset", "--id", x.cfg.ClientID, "--append", "--query", "password", "-o", "tsv"),
	}
}

func (x explainer) wrongClientSecret(a entraAnswer) *Problem {
	return &Problem{
		Title: "the client secret is wrong",
		Cause: "Entra ID does not recognise AZURE_CLIENT_SECRET for the application " + x.cfg.ClientID + " (" + a.Desc + "). A common slip is the secret's ID in place of its value.",
		Fixes: []Fix{x.resetSecretFix()},
	}
}

func (x explainer) expiredClientSecret(a entraAnswer) *Problem {
	return &Problem{
		Title: "the client secret has expired",
		Cause: "AZURE_CLIENT_SECRET was right but has expired (" + a.Desc + ").",
		Fixes: []Fix{x.resetSecretFix()},
	}
}

func (x explainer) applicationNotFound(a entraAnswer) *Problem {
	return &Problem{
		Title: "the application is not in this tenant",
		Cause: "No application with AZURE_CLIENT_ID=" + x.cfg.ClientID + " exists in the tenant AZURE_TENANT_ID=" + x.cfg.TenantID + " (" + a.Desc + ").",
		Fixes: []Fix{{
			Text:    "Find the tenant the application belongs to, and set AZURE_TENANT_ID to it (or correct AZURE_CLIENT_ID).",
			Command: cmd("az", "ad", "sp", "show", "--id", x.cfg.ClientID, "--query", "appOwnerOrganizationId", "-o", "tsv"),
		}},
	}
}

func (x explainer) tenantNotFound(a entraAnswer) *Problem {
	return &Problem{
		Title: "the tenant does not exist",
		Cause: "AZURE_TENANT_ID=" + x.cfg.TenantID + " names no tenant (" + a.Desc + ").",
		Fixes: []Fix{{
			Text:    "Set AZURE_TENANT_ID to your tenant's ID:",
			Command: cmd("az", "account", "show", "--query", "tenantId", "-o", "tsv"),
		}},
	}
}

func (x explainer) certificateNotRegistered(a entraAnswer) *Problem {
	return &Problem{
		Title: "the certificate is not registered",
		Cause: "The application " + x.cfg.ClientID + " does not accept the certificate in AZURE_CLIENT_CERTIFICATE_PATH (" + a.Desc + ").",
		Fixes: []Fix{{
			Text:    "Upload the certificate to the application (existing credentials are kept).",
			Command: cmd("az", "ad", "app", "credential", "reset", "--id", x.cfg.ClientID, "--cert", "@"+x.cfg.CertificatePath, "--append"),
		}},
	}
}

// otherTenant explains azidentity's refusal to follow a vault's challenge
// to a tenant the credential was not configured for (its resolveTenant:
// `… isn't configured to acquire tokens for tenant "…"`).
var otherTenant = regexp.MustCompile(`configured to acquire tokens for tenant "([^"]+)"`)

func (x explainer) tenantMismatch(s *Source, detail string) *Problem {
	m := otherTenant.FindStringSubmatch(detail)
	if m == nil {
		return nil
	}
	// The tenant Key Vault's challenge named enters a command only in a
	// tenant's shape (shape.go).
	tenant := shaped(tenantID, m[1], placeholder("vault-tenant-id"))
	p := &Problem{
		Title: "The vault is in another tenant",
		Cause: "The vault " + x.vaultName() + " belongs to the tenant " + m[1] + ", but " + s.Name + " signs in to AZURE_TENANT_ID=" + x.cfg.TenantID + ".",
	}
	switch s.Kind {
	case sources.KindAzureCLI:
		p.Fixes = []Fix{{Text: "Sign in to the vault's tenant, and unset AZURE_TENANT_ID or set it to that tenant.", Command: cmd("az", "login", "--tenant", tenant)}}
	case sources.KindAzureDeveloperCLI:
		p.Fixes = []Fix{{Text: "Sign in to the vault's tenant, and unset AZURE_TENANT_ID or set it to that tenant.", Command: cmd("azd", "auth", "login", "--tenant-id", tenant)}}
	case sources.KindAzurePowerShell:
		p.Fixes = []Fix{{Text: "In PowerShell, sign in to the vault's tenant, and unset AZURE_TENANT_ID or set it to that tenant.", Command: cmd("Connect-AzAccount", "-TenantId", tenant)}}
	default:
		p.Fixes = []Fix{x.settingFix("Use a service principal of the vault's tenant: set AZURE_TENANT_ID to it, with that tenant's AZURE_CLIENT_ID and secret.", "AZURE_TENANT_ID", tenant)}
	}
	return p
}
