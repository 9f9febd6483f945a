package terraform

import "github.com/hashicorp/hcl/v2/hclwrite"

// SpaceAfter reports whether hclwrite's formatter (and so `tofu fmt`) puts
// a space between the tokens subject and after of one line; before is the
// token preceding subject on that line, or nil when subject starts it.
//
// It lets other writers that build hclwrite token streams directly (the
// test generator) lay them out with the same rules as this package's
// writer.
func SpaceAfter(subject, before, after *hclwrite.Token) bool {
	if before == nil {
		before = nilToken
	}
	return spaceAfter(subject, before, after)
}
