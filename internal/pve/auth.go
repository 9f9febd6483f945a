package pve

import (
	"context"
	"encoding/json"
	"net/http"

	proxmox "github.com/luthermonson/go-proxmox"
)

// Login makes the ticket login now (otherwise it happens before the first
// call) or renews a ticket that is old enough. With an API token it does
// nothing.
func (c *Client) Login(ctx context.Context) error {
	if c.authMethod != AuthTicket {
		return nil
	}
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	return c.loginLocked(ctx)
}

// ensureSession logs in before the first call and renews the ticket once
// it is older than ticketRenewAfter.
func (c *Client) ensureSession(ctx context.Context) error {
	if c.authMethod != AuthTicket {
		return nil
	}
	c.sessMu.RLock()
	fresh := c.loggedIn && c.now().Sub(c.loginAt) < ticketRenewAfter
	c.sessMu.RUnlock()
	if fresh {
		return nil
	}
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	if c.loggedIn && c.now().Sub(c.loginAt) < ticketRenewAfter {
		return nil
	}
	return c.loginLocked(ctx)
}

// loginLocked renews a still-valid ticket (POST /access/ticket with the
// ticket as password) or logs in with the credentials. c.sessMu is held.
func (c *Client) loginLocked(ctx context.Context) error {
	at := c.now()
	if c.loggedIn && at.Sub(c.loginAt) < ticketLifetime {
		if err := c.ticketCall(ctx, func(actx context.Context) error { return c.gp.RefreshTicket(actx) }); err == nil {
			c.loginAt = at
			return nil
		} else if ctx.Err() != nil {
			return err
		}
		// the ticket was refused (server restart, key rotation): log in anew
	}
	if c.loggedIn {
		// A fresh go-proxmox client, so its own session clock restarts too.
		// The one-time code was used by the first login.
		c.gp = proxmox.NewClient(c.endpoint+c.basePath, c.gpOpts...)
		c.loggedIn = false
	}
	err := c.ticketCall(ctx, func(actx context.Context) error { return c.gp.CreateSession(actx) })
	if err != nil {
		// drop whatever half session go-proxmox kept (e.g. a NeedTFA ticket)
		c.gp = proxmox.NewClient(c.endpoint+c.basePath, c.gpOpts...)
		return err
	}
	c.loggedIn = true
	c.loginAt = at
	return nil
}

// ticketCall runs one go-proxmox login call with the client's timeout and
// the exchange recorder, and turns its failure into a typed error.
func (c *Client) ticketCall(ctx context.Context, f func(context.Context) error) error {
	const path = "/access/ticket"
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	x := &exchange{keepBody: true}
	actx = context.WithValue(actx, exchangeKey{}, x)
	err := f(actx)
	status, reason, body := x.get()
	if status >= 400 {
		return c.apiError(http.MethodPost, path, status, reason, body)
	}
	if err != nil {
		return c.classify(ctx, actx, http.MethodPost, path, err)
	}
	var env struct {
		Data struct {
			NeedTFA Bool `json:"NeedTFA"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &env) == nil && env.Data.NeedTFA {
		return &APIError{Method: http.MethodPost, Path: path, Status: http.StatusUnauthorized,
			Message: "two-factor authentication required", authMethod: AuthTicket}
	}
	return nil
}
