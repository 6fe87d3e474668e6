package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
	"github.com/cohesionalliance/campaignwall/wall"
)

// The petition's signature count lives in the store: the scraping job
// (bot.go) and admins (/admin/counter) write it there, and every change
// goes to the bot, whose reminders quote it, and to every open wall.
//
// Precedence: the newest value wins. A count an admin sets stays until the
// next successful scrape of the petition page replaces it; a failed scrape
// leaves it alone. So an admin can bridge a petition page that is down or
// changed its layout, and the page takes over again once it reads.

// recordSignatureCount stores c and passes it on.
func (a *app) recordSignatureCount(ctx context.Context, c model.SignatureCount) error {
	changed, err := a.store.SetSignatureCount(ctx, c)
	if err != nil {
		return err
	}
	if a.bot != nil {
		a.bot.SetSignatureCount(c.Value)
	}
	if changed {
		a.hub.SignatureCountChanged(c.Value)
	}
	return nil
}

// loadSignatureCount gives the bot the count stored before a restart, so
// reminders quote it before the first scrape.
func (a *app) loadSignatureCount(ctx context.Context) error {
	c, err := a.store.SignatureCount(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("load signature count: %w", err)
	}
	if a.bot != nil {
		a.bot.SetSignatureCount(c.Value)
	}
	return nil
}

// adminCounter is the form on /admin/counter.
type adminCounter struct{ a *app }

func (c adminCounter) SetSignatureCount(ctx context.Context, n int64, by string) error {
	return c.a.recordSignatureCount(ctx, model.SignatureCount{Value: n, Source: model.SignaturesAdmin, By: by})
}

// ctaOptions is the wall's call-to-action panel as the config file sets it.
func ctaOptions(c config.CTA) wall.CTAOptions {
	if !c.Enabled {
		return wall.CTAOptions{}
	}
	return wall.CTAOptions{SigningURL: c.SigningURL, Message: c.Message, Messages: c.Messages}
}
