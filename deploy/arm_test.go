package deploy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file is a small model of how Azure Resource Manager deploys
// azuredeploy.json: it evaluates template expressions ("[equals(…)]") for
// a set of parameter values and lists the resources that deploy, with
// their properties. It knows the functions the template's conditions and
// switches use (ARM docs, "Template functions"), resourceId() and
// reference(); any other function, such as guid() or subscription(),
// evaluates to an opaque value that names the call, so that a rule can
// still see what a property refers to.
//
// reference() reads the deployed resource's runtime state, as ARM does
// (ARM docs, "Resource functions": reference): without 'full' its
// properties, with 'full' the whole resource, identity included. The
// state holds what the template declares and what the service adds:
// a vault's vaultUri, a site's defaultHostName, and the principalId of a
// system-assigned identity. A property that is not there fails the
// deployment, as ARM's "The language expression property 'x' doesn't
// exist, available properties are …" (ARM docs, "Resolve template
// errors": InvalidTemplate).

// armOpaque is the value of a call the model does not evaluate.
type armOpaque string

// deployed is one resource as the model deploys it.
type deployed struct {
	Type, Name string
	Props      map[string]any
	Identity   map[string]any // the resource's identity block, evaluated; nil if none
	Tags       map[string]any // its tags, evaluated; nil if none
}

// armWorld is every resource of one deployment, by resource ID, for
// reference() to read, nested deployments included; and the outputs.
type armWorld struct {
	byID    map[string]*armResource
	Outputs map[string]any
	Params  map[string]any // the parameter values the deployment was given
	// existing is each resource's properties on Azure before this
	// deployment, by resource ID, for list() to read: what an earlier
	// deployment left, and what the user set since.
	existing map[string]map[string]any
}

// armResource is a resource's declaration and, once evaluated, its state.
type armResource struct {
	typ, name string
	decl      map[string]any
	ev        *armEval // the scope it is declared in
	state     *deployed
	busy      bool // being evaluated: a reference back to it is a cycle
}

// armResourceID is the ID resourceId() gives a type and its names:
// Microsoft.Web/sites/config with (site, appsettings) is
// …/providers/Microsoft.Web/sites/site/config/appsettings.
func armResourceID(typ string, names []string) string {
	parts := strings.Split(typ, "/")
	id := "/subscriptions/sub/resourceGroups/rg/providers/" + parts[0]
	for i, t := range parts[1:] {
		id += "/" + t
		if i < len(names) {
			id += "/" + names[i]
		}
	}
	return id
}

// principalOf is the principal ID the model gives a site's system-assigned identity.
func principalOf(siteName string) string { return "principal-of-" + siteName }

// deployWorld deploys t with params (the rest take their defaultValue),
// returning the resources whose condition holds, nested inner-scope
// deployments included, and the world it deployed (its outputs).
func deployWorld(t map[string]any, params map[string]any) ([]deployed, *armWorld, error) {
	return redeploy(t, params, nil)
}

// redeploy deploys t over existing, the resources' properties as they
// stand on Azure (by resource ID).
func redeploy(t map[string]any, params map[string]any, existing map[string]map[string]any) ([]deployed, *armWorld, error) {
	w := &armWorld{byID: map[string]*armResource{}, existing: existing, Params: params}
	var scopes []*armResource
	if err := w.declare(t, params, &scopes); err != nil {
		return nil, nil, err
	}
	var out []deployed
	for _, r := range scopes {
		st, err := w.evaluate(r)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, *st)
	}
	return out, w, nil
}

// declare registers t's resources whose condition holds, with their names,
// and then its nested deployments' (inner scope), in order. The outer
// template's outputs are evaluated last.
func (w *armWorld) declare(t map[string]any, params map[string]any, order *[]*armResource) error {
	ev := &armEval{params: map[string]any{}, vars: map[string]any{}, world: w}
	decl, _ := t["parameters"].(map[string]any)
	for name, d := range decl {
		if v, ok := params[name]; ok {
			ev.params[name] = v
			continue
		}
		def, _ := d.(map[string]any)
		v, err := ev.value(def["defaultValue"])
		if err != nil {
			return fmt.Errorf("parameter %s: %w", name, err)
		}
		ev.params[name] = v
	}
	ev.varDecl, _ = t["variables"].(map[string]any)
	resources, _ := t["resources"].([]any)
	var nested []map[string]any
	for _, r := range resources {
		r := r.(map[string]any)
		if c, ok := r["condition"]; ok {
			v, err := ev.value(c)
			if err != nil {
				return err
			}
			if v != true {
				continue
			}
		}
		if r["type"] == "Microsoft.Resources/deployments" {
			nested = append(nested, r)
			continue
		}
		name, err := ev.value(r["name"])
		if err != nil {
			return err
		}
		typ := str(r["type"])
		res := &armResource{typ: typ, name: fmt.Sprint(name), decl: r, ev: ev}
		w.byID[armResourceID(typ, strings.Split(res.name, "/"))] = res
		*order = append(*order, res)
	}
	for _, r := range nested {
		params, err := ev.nestedParams(r)
		if err != nil {
			return err
		}
		tmpl, _ := r["properties"].(map[string]any)["template"].(map[string]any)
		if err := w.declare(tmpl, params, order); err != nil {
			return err
		}
	}
	if outputs, ok := t["outputs"].(map[string]any); ok && w.Outputs == nil {
		w.Outputs = map[string]any{}
		for name, o := range outputs {
			v, err := ev.value(o.(map[string]any)["value"])
			if err != nil {
				return fmt.Errorf("output %s: %w", name, err)
			}
			w.Outputs[name] = v
		}
	}
	return nil
}

// evaluate is r's state: its properties and identity evaluated, and what
// the service adds to them.
func (w *armWorld) evaluate(r *armResource) (*deployed, error) {
	if r.state != nil {
		return r.state, nil
	}
	if r.busy {
		return nil, fmt.Errorf("%s %s refers to itself", r.typ, r.name)
	}
	r.busy = true
	defer func() { r.busy = false }()
	props, err := r.ev.value(r.decl["properties"])
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.typ, r.name, err)
	}
	p, _ := props.(map[string]any)
	if p == nil {
		p = map[string]any{}
	}
	st := &deployed{Type: r.typ, Name: r.name, Props: p}
	if id, ok := r.decl["identity"]; ok {
		v, err := r.ev.value(id)
		if err != nil {
			return nil, err
		}
		st.Identity, _ = v.(map[string]any)
		if strings.Contains(str(st.Identity["type"]), "SystemAssigned") {
			st.Identity["principalId"] = principalOf(r.name)
			st.Identity["tenantId"] = "tenant"
		}
	}
	if tags, ok := r.decl["tags"]; ok {
		v, err := r.ev.value(tags)
		if err != nil {
			return nil, err
		}
		st.Tags, _ = v.(map[string]any)
	}
	switch r.typ {
	case "Microsoft.KeyVault/vaults":
		p["vaultUri"] = "https://" + r.name + ".vault.azure.net/"
	case "Microsoft.Web/sites":
		p["defaultHostName"] = r.name + ".azurewebsites.net"
	case "Microsoft.ManagedIdentity/userAssignedIdentities":
		// Read-only properties the service sets (ARM template reference,
		// Microsoft.ManagedIdentity/userAssignedIdentities).
		p["principalId"], p["clientId"], p["tenantId"] = principalOf(r.name), "client-of-"+r.name, "tenant"
	}
	r.state = st
	return st, nil
}

// reference is what reference(id, apiVersion[, 'full']) reads.
func (w *armWorld) reference(id string, full bool) (any, error) {
	r, ok := w.byID[id]
	if !ok {
		return nil, fmt.Errorf("reference(%q): no such resource in the deployment (ResourceNotFound)", id)
	}
	st, err := w.evaluate(r)
	if err != nil {
		return nil, err
	}
	if !full {
		return st.Props, nil
	}
	whole := map[string]any{"properties": st.Props, "id": id, "name": st.Name, "type": st.Type}
	if st.Identity != nil {
		whole["identity"] = st.Identity
	}
	return whole, nil
}

// nestedParams are the parameter values an inner-scope nested template
// gets from the outer one.
func (ev *armEval) nestedParams(r map[string]any) (map[string]any, error) {
	props := r["properties"].(map[string]any)
	params := map[string]any{}
	passed, _ := props["parameters"].(map[string]any)
	for name, p := range passed {
		v, err := ev.value(p.(map[string]any)["value"])
		if err != nil {
			return nil, err
		}
		params[name] = v
	}
	return params, nil
}

type armEval struct {
	params, vars map[string]any
	varDecl      map[string]any
	world        *armWorld
}

// value evaluates every expression within v.
func (ev *armEval) value(v any) (any, error) {
	switch v := v.(type) {
	case string:
		if strings.HasPrefix(v, "[[") {
			return v[1:], nil
		}
		if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
			p := &armParser{s: v[1 : len(v)-1]}
			return p.expr(ev)
		}
		return v, nil
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			x, err := ev.value(e)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			x, err := ev.value(e)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	return v, nil
}

// armParser evaluates one expression as it parses it.
type armParser struct {
	s string
	i int
	// dry parses without evaluating: the branch an if() does not take,
	// which ARM does not evaluate either (ARM docs, "Logical functions":
	// if, "only the true value is evaluated").
	dry bool
}

func (p *armParser) skip() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// peek is the next byte, or 0 at the end.
func (p *armParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *armParser) expr(ev *armEval) (any, error) {
	p.skip()
	var v any
	switch c := p.peek(); {
	case c == 0:
		return nil, fmt.Errorf("unexpected end of %q", p.s)
	case c == '\'':
		var b strings.Builder
		for p.i++; ; p.i++ {
			if p.i >= len(p.s) {
				return nil, fmt.Errorf("unterminated string in %q", p.s)
			}
			if p.s[p.i] == '\'' {
				if p.i+1 < len(p.s) && p.s[p.i+1] == '\'' {
					b.WriteByte('\'')
					p.i++
					continue
				}
				p.i++
				break
			}
			b.WriteByte(p.s[p.i])
		}
		v = b.String()
	case c == '-' || c >= '0' && c <= '9':
		j := p.i + 1
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return nil, err
		}
		v, p.i = float64(n), j
	default:
		j := p.i
		for j < len(p.s) && (p.s[j] == '_' || p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= 'A' && p.s[j] <= 'Z' || p.s[j] >= '0' && p.s[j] <= '9') {
			j++
		}
		name := p.s[p.i:j]
		p.i = j
		if p.peek() != '(' {
			return nil, fmt.Errorf("expected ( after %q in %q", name, p.s)
		}
		p.i++
		var args []any
		outer := p.dry
		for {
			p.skip()
			if p.peek() == ')' {
				p.i++
				break
			}
			if strings.EqualFold(name, "if") && len(args) > 0 && !outer {
				p.dry = (len(args) == 1) != (args[0] == true) // the branch not taken
			}
			a, err := p.expr(ev)
			p.dry = outer
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			p.skip()
			switch p.peek() {
			case ',':
				p.i++
			case ')':
			default:
				return nil, fmt.Errorf("expected , or ) in %q", p.s)
			}
		}
		if p.dry {
			v = armOpaque(name + "(…), not evaluated")
		} else {
			var err error
			if v, err = ev.call(name, args); err != nil {
				return nil, err
			}
		}
	}
	return p.accessors(ev, v)
}

// accessors applies .property and [index] after a value.
func (p *armParser) accessors(ev *armEval, v any) (any, error) {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '.':
			j := p.i + 1
			for j < len(p.s) && strings.IndexByte(".[]), ", p.s[j]) < 0 {
				j++
			}
			prop := p.s[p.i+1 : j]
			p.i = j
			if m, ok := v.(map[string]any); ok {
				var found bool
				if v, found = m[prop]; !found {
					return nil, fmt.Errorf("the language expression property '%s' doesn't exist, available properties are %v", prop, keysOf(m))
				}
			} else {
				v = armOpaque(fmt.Sprintf("%v.%s", v, prop))
			}
		case '[':
			p.i++
			k, err := p.expr(ev)
			if err != nil {
				return nil, err
			}
			p.i++ // ]
			v = armOpaque(fmt.Sprintf("%v[%v]", v, k))
		default:
			return v, nil
		}
	}
	return v, nil
}

// call evaluates the functions the model knows; any other call is opaque.
func (ev *armEval) call(name string, args []any) (any, error) {
	arg := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	switch strings.ToLower(name) {
	case "parameters":
		v, ok := ev.params[fmt.Sprint(arg(0))]
		if !ok {
			return nil, fmt.Errorf("parameters(%q) is not declared", arg(0))
		}
		return v, nil
	case "variables":
		key := fmt.Sprint(arg(0))
		if v, ok := ev.vars[key]; ok {
			return v, nil
		}
		decl, ok := ev.varDecl[key]
		if !ok {
			return nil, fmt.Errorf("variables(%q) is not declared", key)
		}
		v, err := ev.value(decl)
		ev.vars[key] = v
		return v, err
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	case "equals":
		return fmt.Sprint(arg(0)) == fmt.Sprint(arg(1)), nil
	case "not":
		return arg(0) != true, nil
	case "and", "or":
		all, any := true, false
		for _, a := range args {
			all = all && a == true
			any = any || a == true
		}
		return map[bool]bool{true: all, false: any}[strings.EqualFold(name, "and")], nil
	case "empty":
		switch a := arg(0).(type) {
		case nil:
			return true, nil
		case string:
			return a == "", nil
		case []any:
			return len(a) == 0, nil
		case map[string]any:
			return len(a) == 0, nil
		}
		return false, nil
	case "if":
		if arg(0) == true {
			return arg(1), nil
		}
		return arg(2), nil
	case "createarray":
		return append([]any{}, args...), nil
	case "createobject":
		m := map[string]any{}
		for i := 0; i+1 < len(args); i += 2 {
			m[fmt.Sprint(args[i])] = args[i+1]
		}
		return m, nil
	case "concat":
		if _, ok := arg(0).([]any); ok {
			var out []any
			for _, a := range args {
				l, _ := a.([]any)
				out = append(out, l...)
			}
			return out, nil
		}
		var b strings.Builder
		for _, a := range args {
			fmt.Fprint(&b, a)
		}
		return b.String(), nil
	case "resourceid":
		if len(args) < 2 {
			return armOpaque(fmt.Sprintf("resourceId(%v)", args)), nil
		}
		names := make([]string, len(args)-1)
		for i, a := range args[1:] {
			names[i] = fmt.Sprint(a)
		}
		return armResourceID(fmt.Sprint(arg(0)), names), nil
	case "reference":
		return ev.world.reference(fmt.Sprint(arg(0)), strings.EqualFold(fmt.Sprint(arg(2)), "full"))
	case "list":
		// A resource's list action, such as a site's config/appsettings:
		// what stands on Azure now, before this deployment.
		props := map[string]any{}
		for k, v := range ev.world.existing[fmt.Sprint(arg(0))] {
			props[k] = v
		}
		return map[string]any{"id": fmt.Sprint(arg(0)), "properties": props}, nil
	case "union":
		// Objects: every key of each, a later object's value winning (ARM
		// docs, "Object functions": union).
		out := map[string]any{}
		for _, a := range args {
			m, ok := a.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("union(%v): the model merges objects only", args)
			}
			for k, v := range m {
				out[k] = v
			}
		}
		return out, nil
	case "format":
		s := fmt.Sprint(arg(0))
		for i, a := range args[1:] {
			s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
		}
		return s, nil
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = fmt.Sprint(a)
	}
	return armOpaque(name + "(" + strings.Join(parts, ", ") + ")"), nil
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
