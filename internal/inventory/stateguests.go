package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// StateGuests returns the guests of the last sync with everything the
// state store keeps about them (config, agent addresses), ordered by VMID;
// removed guests are left out. It reads the state store only.
func (s *Service) StateGuests(ctx context.Context) ([]state.Guest, error) {
	if s.store == nil {
		return nil, errors.New("guests with their configuration are read from the state store")
	}
	if err := s.lastSync(ctx); err != nil {
		return nil, err
	}
	gs, err := s.store.Guests(ctx, state.GuestFilter{})
	if err != nil {
		return nil, fmt.Errorf("read guests from state: %w", err)
	}
	return gs, nil
}
