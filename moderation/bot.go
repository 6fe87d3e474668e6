package moderation

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// BotAdmin is what the admin page /admin/bot needs from the amplification
// bot (package bot, which moderation does not import: main adapts it). The
// outbox itself is read from the store.
type BotAdmin interface {
	Status(ctx context.Context) (BotStatus, error)
	Pause(ctx context.Context, n model.Network, by string) error
	Resume(ctx context.Context, n model.Network) error
	// Preview returns what the bot plans to do within d, soonest first.
	Preview(ctx context.Context, d time.Duration) ([]model.OutboxItem, error)
}

// BotStatus is the bot's state as the admin page shows it.
type BotStatus struct {
	DryRun   bool // nothing is sent: the outbox shows what would be
	Networks []BotNetwork
}

// BotNetwork is one network's bot account.
type BotNetwork struct {
	Network          model.Network
	Enabled          bool // an account is configured
	Paused           bool
	PausedBy         string
	PausedAt         time.Time
	Halted           string    // why sending stopped (a revoked token, say), until resumed
	RateLimitedUntil time.Time // zero when not rate limited
	HasBudget        bool      // X: a monthly spend budget applies
	SpentThisMonth   float64
	MonthlyBudget    float64
}

// BotView is what /admin/bot shows.
type BotView struct {
	CampaignName string
	Moderator    string
	Configured   bool // false: the file has no [bot] section
	Status       BotStatus
	Counts       []BotCount // outbox rows by status, in life order
	Supporters   []BotCount // supporters by status; counts only, never handles
	Plan         []BotRow   // the next 24 hours
	Filter       model.OutboxStatus
	Outbox       []BotRow // newest first, Filter's status or all
	Location     *time.Location
	Now          time.Time
}

// BotCount is a number of rows in one state.
type BotCount struct {
	Label  string
	Status string
	Count  int
	URL    string // the outbox filtered to it; "" for supporters
	Active bool
}

// BotRow is one outbox row as the page shows it. Rows addressed to a
// supporter (replies, direct messages) show neither their handle nor the
// text, which quotes it: the page is about what the bot does, and the
// consent export is the place for who.
type BotRow struct {
	Item      model.OutboxItem
	Key       string
	What      string // the text, or what a repost or supporter message is
	TargetURL string // the reposted post, when it has a web address
	RemoteURL string // what the bot created, when it has a web address
	Cost      string // estimated, X only; "" elsewhere
	Overdue   bool   // planned and due before now
}

// botOutboxLimit is how many outbox rows the page lists.
const botOutboxLimit = 100

// outboxStatuses are the outbox's states in the order a row passes them.
var outboxStatuses = []model.OutboxStatus{model.OutboxPlanned, model.OutboxSending, model.OutboxSent, model.OutboxFailed, model.OutboxSkipped}

var supporterStatuses = []model.SupporterStatus{model.SupporterActive, model.SupporterSigned, model.SupporterStopped, model.SupporterFinished}

// botRoutes registers the bot's admin page and its pause and resume buttons.
func (h *Handler) botRoutes(mux *http.ServeMux) {
	mux.Handle("GET /admin/bot", auth.SecurityHeaders(h.auth.RequireAdmin(http.HandlerFunc(h.botPage))))
	for _, op := range []string{"pause", "resume"} {
		mux.Handle("POST /admin/bot/networks/{network}/"+op,
			auth.SecurityHeaders(auth.CrossOrigin(h.auth.RequireAdmin(h.botPause(op == "pause")))))
	}
	mux.Handle("GET /static/moderation/bot.css", auth.SecurityHeaders(http.HandlerFunc(serveBotCSS)))
}

func (h *Handler) botPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	v := BotView{CampaignName: h.opts.CampaignName, Moderator: m.Name, Location: h.opts.Location, Now: time.Now()}
	if h.opts.Bot == nil {
		h.render(w, r, http.StatusOK, BotPage(v))
		return
	}
	v.Configured = true
	filter := model.OutboxStatus(r.URL.Query().Get("status"))
	if filter != "" && !slices.Contains(outboxStatuses, filter) {
		http.Error(w, "Unknown outbox status: want planned, sending, sent, failed or skipped.", http.StatusBadRequest)
		return
	}
	v.Filter = filter
	var err error
	if v.Status, err = h.opts.Bot.Status(ctx); err != nil {
		h.serverError(w, r, "bot status", err)
		return
	}
	counts, err := h.st.CountOutbox(ctx)
	if err != nil {
		h.serverError(w, r, "count outbox", err)
		return
	}
	total := 0
	for _, s := range outboxStatuses {
		total += counts[s]
	}
	v.Counts = append(v.Counts, BotCount{Label: "All", Count: total, URL: "/admin/bot#outbox", Active: filter == ""})
	for _, s := range outboxStatuses {
		v.Counts = append(v.Counts, BotCount{Label: outboxLabel(s), Status: string(s), Count: counts[s],
			URL: "/admin/bot?status=" + url.QueryEscape(string(s)) + "#outbox", Active: filter == s})
	}
	sups, err := h.st.Supporters(ctx)
	if err != nil {
		h.serverError(w, r, "supporters", err)
		return
	}
	bySupStatus := map[model.SupporterStatus]int{}
	for _, s := range sups {
		bySupStatus[s.Status]++
	}
	for _, s := range supporterStatuses {
		v.Supporters = append(v.Supporters, BotCount{Label: supporterLabel(s), Status: string(s), Count: bySupStatus[s]})
	}
	plan, err := h.opts.Bot.Preview(ctx, 24*time.Hour)
	if err != nil {
		h.serverError(w, r, "bot preview", err)
		return
	}
	for _, it := range plan {
		v.Plan = append(v.Plan, botRow(it, v.Now))
	}
	items, err := h.st.OutboxItems(ctx, store.OutboxFilter{Status: filter, Limit: botOutboxLimit})
	if err != nil {
		h.serverError(w, r, "outbox", err)
		return
	}
	for _, it := range items {
		v.Outbox = append(v.Outbox, botRow(it, v.Now))
	}
	h.render(w, r, http.StatusOK, BotPage(v))
}

// botPause returns the handler of a network's pause or resume button.
func (h *Handler) botPause(pause bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		m, _ := auth.ModeratorFromContext(ctx)
		n := model.Network(r.PathValue("network"))
		if h.opts.Bot == nil {
			http.Error(w, "The bot is not configured.", http.StatusNotFound)
			return
		}
		if n != model.NetworkMastodon && n != model.NetworkBluesky && n != model.NetworkX {
			http.Error(w, "The bot has no such network.", http.StatusNotFound)
			return
		}
		op, err := "resume", error(nil)
		if pause {
			op, err = "pause", h.opts.Bot.Pause(ctx, n, m.Name)
		} else {
			err = h.opts.Bot.Resume(ctx, n)
		}
		if err != nil {
			h.log.ErrorContext(ctx, "bot "+op, slog.String("network", string(n)), slog.Any("error", err))
			http.Error(w, "The bot could not be "+op+"d. Please try again.", http.StatusInternalServerError)
			return
		}
		h.log.InfoContext(ctx, "bot "+op+"d", slog.String("network", string(n)), slog.String("moderator", m.Name))
		http.Redirect(w, r, "/admin/bot", http.StatusSeeOther)
	})
}

func outboxLabel(s model.OutboxStatus) string {
	switch s {
	case model.OutboxPlanned:
		return "Planned"
	case model.OutboxSending:
		return "Sending"
	case model.OutboxSent:
		return "Sent"
	case model.OutboxFailed:
		return "Failed"
	case model.OutboxSkipped:
		return "Skipped"
	}
	return string(s)
}

func supporterLabel(s model.SupporterStatus) string {
	switch s {
	case model.SupporterActive:
		return "Being reminded"
	case model.SupporterSigned:
		return "Signed"
	case model.SupporterStopped:
		return "Said stop"
	case model.SupporterFinished:
		return "Got every reminder"
	}
	return string(s)
}

// toSupporter reports whether a row is addressed to a supporter.
func toSupporter(it model.OutboxItem) bool {
	return it.Kind == model.OutboxDM || it.Kind == model.OutboxReply
}

func botRow(it model.OutboxItem, now time.Time) BotRow {
	row := BotRow{Item: it, Key: it.IdempotencyKey, What: it.Text}
	switch {
	case toSupporter(it):
		// "reminder:mastodon:anna@regions.example:2" → "reminder:mastodon:…"
		parts := strings.SplitN(it.IdempotencyKey, ":", 3)
		row.Key = strings.Join(parts[:min(2, len(parts))], ":") + ":…"
		row.What = "Reply to a supporter"
		if it.Kind == model.OutboxDM {
			row.What = "Reminder to a supporter"
		}
		if it.Payload.Language != "" {
			row.What += " (" + it.Payload.Language + ")"
		}
	case it.Kind == model.OutboxRepost:
		row.What = "Repost"
		if it.Author != "" {
			row.What += " of a post by " + it.Author
		}
		row.TargetURL = postURL(it.Network, it.Target)
	}
	if len([]rune(row.What)) > 280 {
		row.What = string([]rune(row.What)[:279]) + "…"
	}
	if !toSupporter(it) {
		row.RemoteURL = remoteURL(it)
	}
	if it.Network == model.NetworkX {
		row.Cost = strconv.FormatFloat(it.EstimatedCost, 'f', 2, 64)
	}
	row.Overdue = it.Status == model.OutboxPlanned && it.NextAttemptAt.Before(now.Add(-time.Minute))
	return row
}

// postURL is the web address of a post the bot reposts: an http(s) URI as
// it is (Mastodon), a tweet ID on X, a Bluesky at:// URI on bsky.app.
func postURL(n model.Network, target string) string {
	switch {
	case n == model.NetworkX && isDigits(target):
		return "https://x.com/i/web/status/" + target
	case n == model.NetworkBluesky:
		return blueskyWebURL(target)
	}
	return webURL(target)
}

// remoteURL is the web address of what the bot created, where it has one.
// A Mastodon ID is the bot's own instance's, which has no address without
// the account's name, so it is shown as an ID only.
func remoteURL(it model.OutboxItem) string {
	if it.RemoteID == "" {
		return ""
	}
	switch it.Network {
	case model.NetworkX:
		if isDigits(it.RemoteID) {
			return "https://x.com/i/web/status/" + it.RemoteID
		}
	case model.NetworkBluesky:
		return blueskyWebURL(it.RemoteID)
	}
	return ""
}

// blueskyWebURL turns at://did/app.bsky.feed.post/rkey into its bsky.app
// page; other records (a repost) have none.
func blueskyWebURL(uri string) string {
	rest, ok := strings.CutPrefix(uri, "at://")
	if !ok {
		return ""
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[1] != "app.bsky.feed.post" || parts[0] == "" || parts[2] == "" {
		return ""
	}
	return "https://bsky.app/profile/" + url.PathEscape(parts[0]) + "/post/" + url.PathEscape(parts[2])
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func (v BotView) loc() *time.Location {
	if v.Location == nil {
		return time.UTC
	}
	return v.Location
}

func (v BotView) anyEnabled() bool {
	for _, n := range v.Status.Networks {
		if n.Enabled {
			return true
		}
	}
	return false
}

// networkState says in a few words whether a network's account is sending.
func networkState(n BotNetwork, dryRun bool, loc *time.Location) string {
	switch {
	case !n.Enabled:
		return "No account configured"
	case n.Halted != "":
		return "Stopped until resumed: " + n.Halted
	case n.Paused:
		return fmt.Sprintf("Paused by %s at %s", n.PausedBy, formatTime(n.PausedAt, loc))
	case !n.RateLimitedUntil.IsZero():
		return "Rate limited until " + formatTime(n.RateLimitedUntil, loc)
	case dryRun:
		return "Dry run: not sending"
	}
	return "Sending"
}

func rateLimitText(n BotNetwork, loc *time.Location) string {
	if n.RateLimitedUntil.IsZero() {
		return "Not rate limited"
	}
	return "Until " + formatTime(n.RateLimitedUntil, loc)
}

func spendText(n BotNetwork) string {
	return fmt.Sprintf("%.2f of %.2f", n.SpentThisMonth, n.MonthlyBudget)
}

func floatString(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func pauseURL(n model.Network, pause bool) string {
	if pause {
		return "/admin/bot/networks/" + string(n) + "/pause"
	}
	return "/admin/bot/networks/" + string(n) + "/resume"
}

// rowTime is when a row happens: when it was sent, else when it is due.
func rowTime(it model.OutboxItem) time.Time {
	if it.Status == model.OutboxSent {
		return it.SentAt
	}
	return it.NextAttemptAt
}

//go:embed static/bot.css
var botCSS []byte

var serveBotCSS = staticAsset("bot.css", "text/css; charset=utf-8", botCSS)

func boolAttr(b bool) string { return strconv.FormatBool(b) }
