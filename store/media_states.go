package store

import (
	"context"
	"fmt"
	"strings"
)

// MediaFetchStates returns the fetch state of each of the given media rows,
// by media ID, in one query: the moderation queue flags photos that will not
// arrive. IDs that do not exist are left out.
func (s *Store) MediaFetchStates(ctx context.Context, mediaIDs []int64) (map[int64]MediaFetch, error) {
	out := make(map[int64]MediaFetch, len(mediaIDs))
	for len(mediaIDs) > 0 {
		chunk := mediaIDs[:min(len(mediaIDs), 500)]
		mediaIDs = mediaIDs[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.r.QueryContext(ctx, mediaFetchSelect+` WHERE m.id IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: media fetch states: %w", err)
		}
		for rows.Next() {
			f, err := scanMediaFetch(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: media fetch states: %w", err)
			}
			out[f.ID] = f
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: media fetch states: %w", err)
		}
	}
	return out, nil
}
