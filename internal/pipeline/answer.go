package pipeline

import (
	"cmp"
	"encoding/json"
	"strings"
)

// What an upstream answered, in the words a person reads.

// IMDSAddress is the instance metadata service's fixed address, which
// MSAL builds in (apps/managedidentity: imdsDefaultEndpoint).
const IMDSAddress = "169.254.169.254"

// FirstLine is msg's first line, trimmed: Entra ID and Key Vault append
// trace IDs and links on lines of their own.
func FirstLine(msg string) string {
	first, _, _ := strings.Cut(strings.ReplaceAll(msg, "\r\n", "\n"), "\n")
	return strings.TrimSpace(first)
}

// ErrorDescription extracts the human part of an error body: OAuth's
// error_description (its first line: Entra ID appends trace IDs), App
// Service's identity endpoint's Message ({"StatusCode":400,"Message":"No
// MSI found for specified ClientId/ResourceId.",…}; MicrosoftDocs/azure-docs
// #43543), else OAuth's error.
func ErrorDescription(body []byte) string {
	var e struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"error_description"`
		Message     string          `json:"Message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if d := FirstLine(cmp.Or(e.Description, e.Message)); d != "" {
		return d
	}
	var s string
	if json.Unmarshal(e.Error, &s) == nil {
		return s
	}
	return ""
}
