// azd up's entry point: azd provisions only from Bicep or Terraform
// (Azure/azure-dev, cli/azd/pkg/infra/provisioning/provider.go), so this
// file deploys ../azuredeploy.json, the one template the Deploy to Azure
// button also uses, as a module. azd runs it from infra/ by default
// (cli/azd/pkg/project/importer.go: DefaultProvisioningOptions) with the
// values in main.parameters.json, and writes each output below into its
// environment (cli/azd/pkg/infra/provisioning/manager.go: UpdateEnvironment).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('The azd environment\'s name: it names the resource group and seeds the resources\' names.')
param environmentName string

@minLength(1)
@description('The region for every resource.')
param location string

@secure()
@description('The value of the secret named "secret" that the page reads.')
param secretValue string

@description('The object ID of whoever runs azd (azd fills in AZURE_PRINCIPAL_ID): it may read the secret too, so that go run . works after azd provision.')
param principalId string = ''

@description('What principalId names, User or ServicePrincipal (azd fills in AZURE_PRINCIPAL_TYPE).')
param principalType string = 'User'

// azd finds the environment's resource group by this tag, and the site by
// azd-service-name (cli/azd/pkg/azure/tags.go; cli/azd/pkg/project/resource_manager.go).
var tags = { 'azd-env-name': environmentName }
var suffix = uniqueString(subscription().id, environmentName)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module app '../azuredeploy.json' = {
  name: 'keyvault-msi-go'
  scope: rg
  params: {
    siteName: 'kvmsigo-${suffix}'
    keyVaultName: 'kv${suffix}'
    location: location
    secretValue: secretValue
    // Azure RBAC, Key Vault's default from API 2026-02-01 (access policies
    // are its legacy model): the app and whoever runs azd each get a Key
    // Vault Secrets User assignment named for them, so a provision by the
    // pipeline adds its own and removes the developer's none. Creating a
    // role assignment needs Owner, or User Access Administrator.
    permissionModel: 'rbac'
    developerPrincipalId: principalId
    developerPrincipalType: principalType
    tags: union(tags, { 'azd-service-name': 'web' })
  }
}

output AZURE_RESOURCE_GROUP string = rg.name
output KEY_VAULT_URL string = app.outputs.keyVaultUri
output WEBSITE_URL string = app.outputs.siteUrl
