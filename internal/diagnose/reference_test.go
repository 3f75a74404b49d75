package diagnose

import "testing"

// TestParseReference reads both of the reference forms App Service
// documents ("Use Key Vault references as app settings": reference
// syntax), and refuses what it would not read.
func TestParseReference(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in     string
		isRef  bool
		want   Reference
		parsed bool
	}{
		{"@Microsoft.KeyVault(VaultName=myvault;SecretName=mysecret)", true, Reference{Vault: "myvault", Secret: "mysecret"}, true},
		{"@Microsoft.KeyVault(VaultName=myvault;SecretName=mysecret;SecretVersion=ec96f02080254f109c51a1f14cdb1931)", true,
			Reference{Vault: "myvault", Secret: "mysecret", Version: "ec96f02080254f109c51a1f14cdb1931"}, true},
		{"@Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/mysecret/)", true, Reference{Vault: "myvault", Secret: "mysecret"}, true},
		{"@Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/mysecret)", true, Reference{Vault: "myvault", Secret: "mysecret"}, true},
		{"@Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/mysecret/ec96f02080254f109c51a1f14cdb1931)", true,
			Reference{Vault: "myvault", Secret: "mysecret", Version: "ec96f02080254f109c51a1f14cdb1931"}, true},
		{" @microsoft.keyvault(vaultname=v;secretname=s) ", true, Reference{Vault: "v", Secret: "s"}, true},
		{"@Microsoft.KeyVault(VaultName=myvault)", true, Reference{}, false},
		{"@Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/keys/k)", true, Reference{}, false},
		{"@Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/mysecret", false, Reference{}, false},       // no closing parenthesis
		{"@Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net:443x/secrets/mysecret/)", true, Reference{}, false}, // a typo: no port
		{"@Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/my%zzsecret/)", true, Reference{}, false},   // a bad escape
		{"https://myvault.vault.azure.net/", false, Reference{}, false},
		{"", false, Reference{}, false},
	} {
		if got := IsReference(tt.in); got != tt.isRef {
			t.Errorf("IsReference(%q) = %v; want %v", tt.in, got, tt.isRef)
		}
		got, ok := ParseReference(tt.in)
		if got != tt.want || ok != tt.parsed {
			t.Errorf("ParseReference(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.parsed)
		}
	}
}
