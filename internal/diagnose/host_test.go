package diagnose

import "testing"

// TestHostCommands: each host's own az commands, whole, for setting an
// app setting, restarting and turning the identity on; placeholders where
// the platform does not say.
func TestHostCommands(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		host                    Host
		setting, restart, ident string
	}{
		{Host{},
			"export REQUEST_TIMEOUT=30s",
			"az webapp restart --name '<app>' --resource-group '<resource-group>'",
			"az webapp identity assign --name '<app>' --resource-group '<resource-group>'"},
		{Host{Name: "App Service", Group: "webapp", App: "kvmsigo", RG: "kvmsigo-rg"},
			"az webapp config appsettings set --name kvmsigo --resource-group kvmsigo-rg --settings REQUEST_TIMEOUT=30s",
			"az webapp restart --name kvmsigo --resource-group kvmsigo-rg",
			"az webapp identity assign --name kvmsigo --resource-group kvmsigo-rg"},
		{Host{Name: "Azure Functions", Group: "functionapp", App: "kvmsigo-func", RG: "kvmsigo-rg"},
			"az functionapp config appsettings set --name kvmsigo-func --resource-group kvmsigo-rg --settings REQUEST_TIMEOUT=30s",
			"az functionapp restart --name kvmsigo-func --resource-group kvmsigo-rg",
			"az functionapp identity assign --name kvmsigo-func --resource-group kvmsigo-rg"},
		{Host{Name: "Container Apps", Group: "containerapp", App: "kvmsigo", Revision: "kvmsigo--7f3k2"},
			"az containerapp update --name kvmsigo --resource-group '<resource-group>' --set-env-vars REQUEST_TIMEOUT=30s",
			"az containerapp revision restart --name kvmsigo --resource-group '<resource-group>' --revision kvmsigo--7f3k2",
			"az containerapp identity assign --name kvmsigo --resource-group '<resource-group>' --system-assigned"},
	} {
		for _, c := range []struct{ what, got, want string }{
			{"setting", tt.host.setting("REQUEST_TIMEOUT", "30s"), tt.setting},
			{"restart", tt.host.restart(), tt.restart},
			{"identity", tt.host.assignIdentity(nil), tt.ident},
		} {
			if c.got != c.want {
				t.Errorf("%q %s = %q; want %q", tt.host.Name, c.what, c.got, c.want)
			}
		}
	}
}
