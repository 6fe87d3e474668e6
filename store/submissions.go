package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// SaveSubmission stores a post sent through the submission form, with its
// media and the submission's details, in one transaction: all of it or
// nothing. Every submission gets an author of its own (submitters have no
// account by which two could be told to be the same person), so the post's
// Author.Handle must be unique, like its URI; a post already stored under
// either is an error, never a silent no-op. It returns the post with its IDs.
func (s *Store) SaveSubmission(ctx context.Context, p model.Post, sub model.Submission) (model.Post, error) {
	if p.Network == "" || p.URI == "" || p.Author.Handle == "" {
		return model.Post{}, errors.New("store: submission without network, URI or author handle")
	}
	if p.Status == "" {
		p.Status = model.StatusPending
	}
	if p.CollectedAt.IsZero() {
		p.CollectedAt = time.Now()
	}
	if p.PublishedAt.IsZero() {
		p.PublishedAt = p.CollectedAt
	}
	p.Author.Network = p.Network
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		a := p.Author
		r, err := tx.ExecContext(ctx, `INSERT INTO authors (network, handle, display_name, url, avatar_url, bio) VALUES (?, ?, ?, ?, ?, ?)`,
			a.Network, a.Handle, a.DisplayName, a.URL, a.AvatarURL, a.Bio)
		if err != nil {
			return fmt.Errorf("author: %w", err)
		}
		if p.Author.ID, err = r.LastInsertId(); err != nil {
			return err
		}
		r, err = tx.ExecContext(ctx, `
INSERT INTO posts (network, uri, url, remote_id, cid, source_name, category, author_id, html, text,
	language, content_warning, sensitive, tags, published_at, collected_at, status)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Network, p.URI, p.URL, p.RemoteID, p.CID, p.SourceName, p.Category, p.Author.ID, p.HTML, p.Text,
			p.Language, p.ContentWarning, boolInt(p.Sensitive), strings.Join(p.Tags, " "), ms(p.PublishedAt),
			ms(p.CollectedAt), p.Status)
		if err != nil {
			return fmt.Errorf("post: %w", err)
		}
		if p.ID, err = r.LastInsertId(); err != nil {
			return err
		}
		for i, m := range p.Media {
			r, err := tx.ExecContext(ctx, `
INSERT INTO media (post_id, position, kind, url, preview_url, alt_text, width, height, cache_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, i, m.Kind, m.URL, m.PreviewURL, m.AltText, m.Width, m.Height, m.CacheKey)
			if err != nil {
				return fmt.Errorf("media: %w", err)
			}
			if p.Media[i].ID, err = r.LastInsertId(); err != nil {
				return err
			}
		}
		if sub.ConsentAt.IsZero() {
			sub.ConsentAt = p.CollectedAt
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO submissions (post_id, email, consent_text, consent_at) VALUES (?, ?, ?, ?)`,
			p.ID, sub.Email, sub.ConsentText, ms(sub.ConsentAt))
		return err
	})
	if err != nil {
		return model.Post{}, fmt.Errorf("store: save submission %s: %w", p.URI, err)
	}
	return p, nil
}

// SubmissionByPostID returns the submission details of a submitted post, or
// ErrNotFound.
func (s *Store) SubmissionByPostID(ctx context.Context, postID int64) (model.Submission, error) {
	sub := model.Submission{PostID: postID}
	var at int64
	err := s.r.QueryRowContext(ctx, `SELECT email, consent_text, consent_at FROM submissions WHERE post_id = ?`, postID).
		Scan(&sub.Email, &sub.ConsentText, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return model.Submission{}, fmt.Errorf("store: submission of post %d: %w", postID, ErrNotFound)
	}
	if err != nil {
		return model.Submission{}, fmt.Errorf("store: submission of post %d: %w", postID, err)
	}
	sub.ConsentAt = fromMS(at)
	return sub, nil
}

// ClearSubmissionEmails forgets the email of every submission sent before
// cutoff (the retention period's start) and returns how many it cleared.
func (s *Store) ClearSubmissionEmails(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE submissions SET email = '' WHERE email != '' AND consent_at < ?`, ms(cutoff))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: clear submission emails: %w", err)
	}
	return int(n), nil
}

// DiscardMediaFile forgets a cached file that an upload put in the cache for
// a post that was then not saved, unless a media row uses its key after all.
// removed says whether the caller should delete the file.
func (s *Store) DiscardMediaFile(ctx context.Context, key string) (removed bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var used bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM media WHERE cache_key = ?)`, key).Scan(&used); err != nil {
			return err
		}
		if used {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM media_files WHERE cache_key = ?`, key); err != nil {
			return err
		}
		removed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: discard media file %s: %w", key, err)
	}
	return removed, nil
}
