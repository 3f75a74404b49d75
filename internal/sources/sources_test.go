package sources

import (
	"strings"
	"testing"
)

// TestDeveloperToolOnAzure: on an Azure host, a developer tool that is not
// there is not a thing to install; on a laptop, the reason says how to get it.
func TestDeveloperToolOnAzure(t *testing.T) {
	t.Parallel()
	for _, build := range []func(Env) Source{AzureCLI, AzureDeveloperCLI, AzurePowerShell} {
		onAzure := build(Env{HostName: "App Service", Path: t.TempDir()})
		if strings.Contains(onAzure.Skipped, "install") || !strings.Contains(onAzure.Skipped, "App Service") {
			t.Errorf("%s on App Service: %q; want it named a developer's tool, with no install advice", onAzure.Name, onAzure.Skipped)
		}
		laptop := build(Env{Path: t.TempDir()})
		if !strings.Contains(laptop.Skipped, "install") {
			t.Errorf("%s on a laptop: %q; want how to install it", laptop.Name, laptop.Skipped)
		}
	}
}
