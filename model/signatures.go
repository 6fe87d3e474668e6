package model

import "time"

// SignatureSource says where a signature count came from.
type SignatureSource string

const (
	SignaturesScraped SignatureSource = "scraped" // read from the petition's page
	SignaturesAdmin   SignatureSource = "admin"   // typed in by an admin on /admin/counter
)

// SignatureCount is the Joint Call's signature count as campaignwall knows
// it: what the wall's call-to-action panel shows and bot reminders quote.
type SignatureCount struct {
	Value  int64
	Source SignatureSource
	By     string    // the admin's name; "" for scraped counts
	At     time.Time // when it was set, or last confirmed by a scrape
}
