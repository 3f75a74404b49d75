package main

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// principal is who a token was issued to, as its claims say. It is decoded
// for display only: Key Vault, not this app, validates the token.
type principal struct {
	Source     string    `json:"source"`
	ObjectID   string    `json:"objectId,omitempty"`
	TenantID   string    `json:"tenantId,omitempty"`
	AppID      string    `json:"appId,omitempty"`
	User       string    `json:"user,omitempty"`
	ResourceID string    `json:"managedIdentityResourceId,omitempty"`
	Issuer     string    `json:"issuer,omitempty"`
	ExpiresOn  time.Time `json:"expiresOn"`
	IsUser     bool      `json:"isUser"`
}

// claimsOf decodes a JWT's payload without verifying it.
func claimsOf(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT: want three dot-separated parts")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("not a JWT: payload is not base64url")
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, errors.New("not a JWT: payload is not a JSON object")
	}
	return claims, nil
}

// principalFromToken reads the claims that identify a principal. A token it
// cannot read (some tokens are opaque) yields an empty principal, never an
// error: the token still works, only the page has less to show.
func principalFromToken(token string) principal {
	claims, err := claimsOf(token)
	if err != nil {
		return principal{}
	}
	str := func(k string) string { s, _ := claims[k].(string); return s }
	p := principal{
		ObjectID:   str("oid"),
		TenantID:   str("tid"),
		AppID:      cmp.Or(str("appid"), str("azp")),
		User:       cmp.Or(str("upn"), str("preferred_username"), str("unique_name"), str("name")),
		ResourceID: str("xms_mirid"),
		Issuer:     str("iss"),
	}
	// idtyp is optional; without it, a user token has a upn or delegated scopes.
	idtyp := str("idtyp")
	p.IsUser = idtyp == "user" || (idtyp == "" && (str("upn") != "" || str("scp") != ""))
	return p
}
