package diagnose

import "cmp"

// Host is the Azure service the app runs on, as the platform's own
// variables tell, so that the page names it and its fixes speak its az
// commands. The zero value is an unknown host, such as a laptop.
type Host struct {
	Name     string // "App Service", "Azure Functions", "Container Apps"; "" when unknown
	Group    string // the az command group: "webapp", "functionapp", "containerapp"
	App      string // the app's name, when the platform says
	RG       string // its resource group, when the platform says
	Revision string // Container Apps: the running revision
	// Pod and Namespace are a Kubernetes pod's name (its HOSTNAME) and
	// namespace (POD_NAMESPACE, where the deployment passes it down), for
	// the kubectl commands a developer runs from their own machine.
	Pod, Namespace string
	// Container is a GitHub Codespace or a VS Code dev container (CODESPACES,
	// REMOTE_CONTAINERS): a browser sign-in cannot come back into it
	// (Azure/azure-cli#20315, Azure/azure-dev#1006).
	Container bool
}

// az is the host's az command group; App Service's on an unknown host.
func (h Host) az() string {
	if h.Group == "" {
		return "webapp"
	}
	return h.Group
}

// app and rg are the app's name and resource group for az commands, or
// placeholders where the platform does not say.
func (h Host) app() string {
	if h.App != "" {
		return h.App
	}
	return placeholder("app")
}

func (h Host) rg() string {
	if h.RG != "" {
		return h.RG
	}
	return placeholder("resource-group")
}

// assignIdentity is the command that turns on the app's system-assigned
// identity, or assigns the user-assigned one named by identity (a
// resource ID, or a command substitution that finds it).
func (h Host) assignIdentity(identity any) string {
	words := []any{"az", h.az(), "identity", "assign", "--name", h.app(), "--resource-group", h.rg()}
	switch {
	case h.Group == "containerapp" && identity == nil:
		words = append(words, "--system-assigned")
	case h.Group == "containerapp":
		words = append(words, "--user-assigned", identity)
	case identity != nil:
		words = append(words, "--identities", identity)
	}
	return cmd(words...)
}

// showIdentity is the command that shows the app's identities.
func (h Host) showIdentity() string {
	return cmd("az", h.az(), "identity", "show", "--name", h.app(), "--resource-group", h.rg())
}

// restart is the command that restarts the app (Container Apps: its revision).
func (h Host) restart() string {
	if h.Group == "containerapp" {
		return cmd("az", "containerapp", "revision", "restart", "--name", h.app(), "--resource-group", h.rg(),
			"--revision", cmp.Or(h.Revision, placeholder("revision")))
	}
	return cmd("az", h.az(), "restart", "--name", h.app(), "--resource-group", h.rg())
}

// setting is the command that sets an environment variable where the app
// runs: the host's app settings (which restart the app), or the shell's.
func (h Host) setting(name, value string) string {
	switch h.Group {
	case "":
		return cmd("export", assign(name, value))
	case "containerapp":
		return cmd("az", "containerapp", "update", "--name", h.app(), "--resource-group", h.rg(), "--set-env-vars", assign(name, value))
	}
	return cmd("az", h.Group, "config", "appsettings", "set", "--name", h.app(), "--resource-group", h.rg(), "--settings", assign(name, value))
}
