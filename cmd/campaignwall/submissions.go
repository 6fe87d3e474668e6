package main

import (
	"context"
	"time"

	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/submission"
)

// emailRetentionSchedule is how often submitters' emails past the retention
// period are cleared.
const emailRetentionSchedule = "@daily"

// wireSubmissions adds the public submission form (package submission): its
// pages, which say "closed" unless [submissions] enabled is set; new
// submissions announced to moderation like collected posts; and the daily job
// that clears emails after the retention period, which runs even when the
// form is closed, since emails sent before still expire.
func (a *app) wireSubmissions() error {
	s := a.cfg.Submissions
	h := submission.NewHandler(a.store, a.media, a.log, submission.Options{
		CampaignName:      a.cfg.Campaign.Name,
		Enabled:           s.Enabled,
		MaxPhotoBytes:     s.MaxPhotoBytes,
		MaxVideoBytes:     s.MaxVideoBytes,
		MaxVideo:          time.Duration(s.MaxVideoSeconds) * time.Second,
		MaxStatementChars: s.MaxStatementChars,
		RateLimit:         s.RateLimit,
		RateWindow:        s.RateWindow,
		EmailRetention:    s.EmailRetention,
		OnSubmitted: func(ctx context.Context, p model.Post) {
			a.mod.PostsCollected(ctx, []model.Post{p})
		},
	})
	h.Routes(a.mux)
	return a.sched.Add("submissions:email-retention", emailRetentionSchedule, h.ClearExpiredEmails)
}

// mediaLimits are the media cache's limits from the [media] table; a config
// built in code (the demo, tests) may leave it zero for the defaults.
func mediaLimits(m config.Media) (maxBytes, diskBudget int64) {
	d := config.DefaultMedia()
	if m.MaxBytes > 0 {
		d.MaxBytes = m.MaxBytes
	}
	if m.DiskBudget > 0 {
		d.DiskBudget = m.DiskBudget
	}
	return d.MaxBytes, d.DiskBudget
}
