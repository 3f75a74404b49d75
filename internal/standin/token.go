package standin

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Claims are the access-token claims the stand-in issues. Field names follow
// Entra ID's tokens so that the app decodes them as it would a real one.
type Claims struct {
	Audience  string `json:"aud"`
	Issuer    string `json:"iss"`
	Expires   int64  `json:"exp"`
	ObjectID  string `json:"oid"`
	TenantID  string `json:"tid"`
	AppID     string `json:"appid,omitempty"`
	IDType    string `json:"idtyp,omitempty"`
	UPN       string `json:"upn,omitempty"`
	Preferred string `json:"preferred_username,omitempty"` // a guest or a personal account has this, and no upn
	Scope     string `json:"scp,omitempty"`                // a delegated (user) token's scopes
	Name      string `json:"name,omitempty"`
	MIResID   string `json:"xms_mirid,omitempty"`
	ManagedID bool   `json:"-"`
}

var b64 = base64.RawURLEncoding

// MintToken issues a token for claims, audience and expiry filled in, that
// this stand-in's vault accepts. An az stand-in prints such a token.
func (s *Server) MintToken(c Claims) (string, time.Time) {
	exp := time.Now().Add(s.opts.TokenLifetime).Truncate(time.Second)
	c.Audience = "https://" + s.opts.VaultDomain
	c.Issuer = Issuer
	c.TenantID = Tenant
	c.Expires = exp.Unix()
	return s.signClaims(c), exp
}

// signClaims makes a JWT of claims, signed with the stand-in's key.
func (s *Server) signClaims(claims any) string {
	body, _ := json.Marshal(claims) // strings, numbers and lists always marshal
	unsigned := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + b64.EncodeToString(body)
	return unsigned + "." + b64.EncodeToString(s.sign([]byte(unsigned)))
}

// verify checks a token's signature, audience and expiry, and returns its claims.
func (s *Server) verify(token string) (Claims, error) {
	var c Claims
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return c, errors.New("malformed token")
	}
	sig, err := b64.DecodeString(token[i+1:])
	if err != nil || !bytes.Equal(sig, s.sign([]byte(token[:i]))) {
		return c, errors.New("token signature does not verify")
	}
	parts := strings.Split(token, ".")
	body, err := b64.DecodeString(parts[1])
	if err != nil {
		return c, errors.New("malformed token")
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return c, errors.New("malformed token")
	}
	if c.Audience != "https://"+s.opts.VaultDomain {
		return c, errors.New("token audience is not this vault")
	}
	if time.Now().Unix() > c.Expires {
		return c, errors.New("token expired")
	}
	return c, nil
}

// managedIdentityClaims are the claims of the App Service identity.
func managedIdentityClaims() Claims {
	return Claims{ObjectID: ManagedIdentityOID, AppID: ManagedIdentityApp, IDType: "app", MIResID: ManagedIdentityRes}
}

// UserClaims are the claims of the developer signed in to the az stand-in.
func UserClaims() Claims {
	return Claims{ObjectID: UserOID, UPN: UserUPN, Name: "Dev Eloper", IDType: "user"}
}
