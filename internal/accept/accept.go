// Package accept reads an HTTP Accept header: which of JSON and HTML the
// client prefers.
package accept

import (
	"mime"
	"strconv"
	"strings"
)

// PrefersJSON reports whether an Accept header prefers JSON to HTML, read as
// RFC 9110 section 12.5.1 says: each media range carries a weight (q,
// default 1; q=0 means "not this"), and the most specific range that
// matches a type sets its weight. HTML wins a tie and serves a client
// that accepts neither.
func PrefersJSON(accept string) bool {
	if accept == "" {
		return false
	}
	json, html := acceptWeight(accept, "application", "json"), acceptWeight(accept, "text", "html")
	return json > html
}

// acceptWeight is the weight accept gives to typ/sub.
func acceptWeight(accept, typ, sub string) float64 {
	best, weight := -1, 0.0 // best: the specificity of the range that set weight
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		t, s, _ := strings.Cut(mt, "/")
		specificity := -1
		switch {
		case t == typ && s == sub:
			specificity = 2
		case t == typ && s == "*":
			specificity = 1
		case t == "*" && s == "*":
			specificity = 0
		}
		if specificity <= best {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		best, weight = specificity, q
	}
	return weight
}
