// Package apischema holds the official Proxmox VE API schema (the subset the
// simulator serves, generated from ../shared/pve-api/apidoc.json and embedded)
// and validates request parameters and response data against it with the
// semantics of PVE's JSONSchema.pm.
package apischema

//go:generate go run ./gen -in ../../../../shared/pve-api/apidoc.json -out schema.json
