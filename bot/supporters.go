package bot

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// Mention is a post that mentions one of the bot accounts: where supporters
// opt in to reminders, and answer "signed" or "stop".
type Mention struct {
	Network  model.Network
	URI      string // the mention's URI on its network (what a reply targets)
	CID      string // Bluesky: the mention's content hash
	RemoteID string // X: the mention's tweet ID; Mastodon: its ID on the bot's instance
	Handle   string // who wrote it
	Text     string // plain text
	Language string // ISO 639-1, if the network says
}

// Intent is what a mention asks of the bot.
type Intent string

const (
	IntentNone   Intent = ""
	IntentOptIn  Intent = "remind"
	IntentStop   Intent = "stop"
	IntentSigned Intent = "signed"
)

// keywords are the opt-in phrases, and the words for "stop" and "signed", in
// the 24 official EU languages (lower case; phrases match whole words).
var keywords = map[string]struct{ remind, stop, signed []string }{
	"bg": {[]string{"напомни ми", "напомнете ми"}, []string{"стоп", "спри", "спрете"}, []string{"подписах", "подписано"}},
	"cs": {[]string{"připomeň mi", "pripomen mi", "připomeňte mi"}, []string{"stop", "přestaň", "přestaňte"}, []string{"podepsáno", "podepsal", "podepsala", "podepsal jsem", "podepsala jsem"}},
	"da": {[]string{"påmind mig", "mind mig"}, []string{"stop"}, []string{"underskrevet", "har skrevet under"}},
	"de": {[]string{"erinnere mich", "erinnert mich", "erinnern sie mich"}, []string{"stopp", "stop", "abbestellen", "abmelden"}, []string{"unterschrieben", "unterzeichnet"}},
	"el": {[]string{"υπενθύμισέ μου", "υπενθυμισε μου", "θύμισέ μου", "θυμισε μου"}, []string{"στοπ", "σταμάτα", "σταματα"}, []string{"υπέγραψα", "υπεγραψα"}},
	"en": {[]string{"remind me"}, []string{"stop", "unsubscribe"}, []string{"signed", "i signed", "i have signed"}},
	"es": {[]string{"recuérdame", "recuerdame", "recuérdemelo"}, []string{"basta", "detener", "stop"}, []string{"firmado", "firmé", "ya firmé"}},
	"et": {[]string{"tuleta mulle meelde", "tuletage mulle meelde"}, []string{"stopp", "lõpeta", "lopeta"}, []string{"allkirjastasin", "allkirjastatud"}},
	"fi": {[]string{"muistuta minua", "muistuttakaa minua"}, []string{"lopeta", "stop"}, []string{"allekirjoitin", "allekirjoitettu"}},
	"fr": {[]string{"rappelle-moi", "rappelez-moi", "rappelle moi", "rappelez moi"}, []string{"stop", "arrête", "arrêtez", "arrete"}, []string{"signé", "signée", "j'ai signé"}},
	"ga": {[]string{"cuir i gcuimhne dom", "cuir i gcuimhne dhom"}, []string{"stop", "stad"}, []string{"sínithe", "sinithe", "shínigh mé"}},
	"hr": {[]string{"podsjeti me", "podsjetite me"}, []string{"stop", "prestani", "prestanite"}, []string{"potpisano", "potpisao", "potpisala"}},
	"hu": {[]string{"emlékeztess", "emlékeztessen", "emlekeztess"}, []string{"stop", "állj", "leiratkozás"}, []string{"aláírtam", "alairtam"}},
	"it": {[]string{"ricordamelo", "ricordami", "ricordatemelo"}, []string{"basta", "stop"}, []string{"firmato", "ho firmato"}},
	"lt": {[]string{"primink man", "priminkite man"}, []string{"stop", "sustok", "sustokite"}, []string{"pasirašiau", "pasirasiau"}},
	"lv": {[]string{"atgādini man", "atgadini man", "atgādiniet man"}, []string{"stop", "beidz", "beidziet"}, []string{"parakstīju", "parakstiju"}},
	"mt": {[]string{"fakkarni", "fakkruni"}, []string{"stop", "waqqaf"}, []string{"iffirmajt", "iffirmat"}},
	"nl": {[]string{"herinner me", "herinner mij"}, []string{"stop", "stoppen"}, []string{"getekend", "ondertekend"}},
	"pl": {[]string{"przypomnij mi", "przypomnijcie mi"}, []string{"stop", "przestań", "przestan"}, []string{"podpisałem", "podpisałam", "podpisane"}},
	"pt": {[]string{"lembra-me", "lembre-me", "me lembre", "lembra me"}, []string{"parar", "pare", "stop"}, []string{"assinado", "assinei"}},
	"ro": {[]string{"amintește-mi", "aminteste-mi", "reamintește-mi", "reaminteste-mi"}, []string{"stop", "oprește", "opreste"}, []string{"semnat", "am semnat"}},
	"sk": {[]string{"pripomeň mi", "pripomente mi", "pripomeňte mi"}, []string{"stop", "prestaň", "prestan"}, []string{"podpísané", "podpisane", "podpísal", "podpísala"}},
	"sl": {[]string{"opomni me", "opomnite me"}, []string{"stop", "nehaj", "nehajte"}, []string{"podpisano", "podpisal", "podpisala"}},
	"sv": {[]string{"påminn mig", "paminn mig"}, []string{"stopp", "sluta"}, []string{"undertecknat", "skrivit under", "har skrivit under"}},
}

// DetectIntent reads what a mention asks, and in which language; hint (the
// post's language, if known) is tried first, as several languages share
// words ("stop", "basta"). "Signed" wins over "stop", which wins over an
// opt-in. A stop word counts only as the first word, or in a short answer
// (five words or fewer) without an opt-in phrase: "stop" inside a longer
// sentence is not an order.
func DetectIntent(text, hint string) (Intent, string) {
	order := languageOrder
	if _, ok := keywords[hint]; ok {
		order = append([]string{hint}, languageOrder...)
	}
	words := normalizeWords(text)
	padded := " " + strings.Join(words, " ") + " "
	has := func(phrases []string) bool {
		for _, p := range phrases {
			if strings.Contains(padded, " "+p+" ") {
				return true
			}
		}
		return false
	}
	var optInLang string
	for _, lang := range order {
		if has(keywords[lang].remind) {
			optInLang = lang
			break
		}
	}
	for _, lang := range order {
		if has(keywords[lang].signed) {
			return IntentSigned, lang
		}
	}
	for _, lang := range order {
		for _, w := range keywords[lang].stop {
			first := len(words) > 0 && words[0] == w
			if first || (optInLang == "" && len(words) <= 5 && has([]string{w})) {
				return IntentStop, lang
			}
		}
	}
	if optInLang != "" {
		return IntentOptIn, optInLang
	}
	return IntentNone, ""
}

// languageOrder tries English first (the campaign's common language), then
// the others in a fixed order, so detection is deterministic.
var languageOrder = []string{"en", "bg", "cs", "da", "de", "el", "es", "et", "fi", "fr", "ga", "hr", "hu", "it",
	"lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv"}

// normalizeWords lowercases text and splits it into words, dropping mentions,
// URLs, hashtags and punctuation but keeping inner hyphens and apostrophes
// ("rappelle-moi", "j'ai").
func normalizeWords(text string) []string {
	var out []string
	for _, f := range strings.Fields(strings.ToLower(text)) {
		if strings.HasPrefix(f, "@") || strings.HasPrefix(f, "#") || strings.Contains(f, "://") {
			continue
		}
		f = strings.ReplaceAll(f, "’", "'")
		w := strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
		w = strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || r == '-' || r == '\'' {
				return r
			}
			return -1
		}, w)
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

var (
	zoneInText    = regexp.MustCompile(`\b([A-Z][A-Za-z_]+/[A-Z][A-Za-z_\-]+(?:/[A-Z][A-Za-z_\-]+)?)\b`)
	everyNDays    = regexp.MustCompile(`(?i)\b(\d{1,2})\s*(?:days|day|d|tage|jours|días|dias|giorni|dagen|dni)\b`)
	dailyInText   = regexp.MustCompile(`(?i)\b(daily|every day|täglich|tous les jours|cada día|ogni giorno|dagelijks|codziennie)\b`)
	monthlyInText = regexp.MustCompile(`(?i)\b(monthly|monatlich|mensuel|mensual|mensile|maandelijks)\b`)
)

// answerSettings reads a time zone (an IANA name such as Europe/Lisbon) and
// a cadence ("daily", "every 3 days", "monthly") from an opt-in.
func answerSettings(text string) (zone string, cadence int) {
	if m := zoneInText.FindStringSubmatch(text); m != nil {
		if _, err := time.LoadLocation(m[1]); err == nil {
			zone = m[1]
		}
	}
	switch {
	case dailyInText.MatchString(text):
		cadence = 1
	case monthlyInText.MatchString(text):
		cadence = 30
	default:
		if m := everyNDays.FindStringSubmatch(text); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n >= 1 && n <= 60 {
				cadence = n
			}
		}
	}
	return zone, cadence
}

// defaultTexts are used for languages the config has no texts for.
var defaultTexts = ReminderTexts{
	Confirm:  `Thank you! We will remind you to sign the Joint Call every {cadence} days, at most {max} times. Answer "signed" or "stop" at any time.`,
	Reminder: `A friendly reminder: {count} people have signed the Joint Call for a cohesion policy that leaves no one behind. Sign here: {url} (answer "signed" or "stop" and we stop)`,
	Stopped:  `Done: no more reminders from us. Thank you for your support!`,
	Signed:   `Thank you for signing! No more reminders from us.`,
}

// texts returns the texts for a language, falling back per text to English
// in the config, then to the built-in texts.
func (s *Service) texts(lang string) ReminderTexts {
	out := defaultTexts
	for _, l := range []string{"en", lang} {
		t, ok := s.cfg.Reminders.Texts[l]
		if !ok {
			continue
		}
		for dst, src := range map[*string]string{&out.Confirm: t.Confirm, &out.Reminder: t.Reminder, &out.Stopped: t.Stopped, &out.Signed: t.Signed} {
			if src != "" {
				*dst = src
			}
		}
	}
	return out
}

func (s *Service) fill(tmpl string, sup model.Supporter) string {
	count := "Many"
	if n := s.signatures.Load(); n > 0 {
		count = strconv.FormatInt(n, 10)
	}
	return strings.NewReplacer("{handle}", "@"+sup.Handle, "{url}", s.cfg.Reminders.SigningURL, "{count}", count,
		"{cadence}", strconv.Itoa(sup.CadenceDays), "{max}", strconv.Itoa(s.cfg.Reminders.MaxReminders)).Replace(tmpl)
}

// SetSignatureCount sets the petition's signature count the reminders quote
// (scraped from the petition page, or set by an admin).
func (s *Service) SetSignatureCount(n int64) { s.signatures.Store(n) }

// HandleMention acts on a mention of a bot account: an opt-in records the
// supporter's consent and plans a confirmation reply; "stop" and "signed"
// end their reminders at once (a reminder already planned but not sent is
// skipped) with a short confirmation. Handling the same mention twice
// changes nothing and replies once.
func (s *Service) HandleMention(ctx context.Context, m Mention) (Intent, error) {
	if m.Network == "" || m.Handle == "" || m.URI == "" {
		return IntentNone, errors.New("bot: mention without network, handle or URI")
	}
	m.Handle = strings.TrimPrefix(m.Handle, "@")
	intent, lang := DetectIntent(m.Text, m.Language)
	if intent == IntentNone {
		return IntentNone, nil
	}
	if lang == "en" && m.Language != "" {
		// Many non-English speakers write "stop" or "signed": answer in the
		// language of their post.
		if _, ok := keywords[m.Language]; ok {
			lang = m.Language
		}
	}
	now := s.now()
	log := s.log.With(slog.String("network", string(m.Network)), slog.String("intent", string(intent)))
	var sup model.Supporter
	var text string
	switch intent {
	case IntentOptIn:
		zone, cadence := answerSettings(m.Text)
		if zone == "" {
			zone = s.cfg.TimeZone
		}
		if cadence == 0 {
			cadence = s.cfg.Reminders.CadenceDays
		}
		sup = model.Supporter{Network: m.Network, Handle: m.Handle, Language: lang, TimeZone: zone, CadenceDays: cadence,
			ConsentAt: now}
		sup.NextReminderAt = s.reminderSlot(now, sup)
		var err error
		if sup, err = s.st.OptInSupporter(ctx, sup); err != nil {
			return intent, fmt.Errorf("bot: opt in: %w", err)
		}
		text = s.fill(s.texts(lang).Confirm, sup)
	case IntentStop, IntentSigned:
		status, tmpl := model.SupporterStopped, s.texts(lang).Stopped
		if intent == IntentSigned {
			status, tmpl = model.SupporterSigned, s.texts(lang).Signed
		}
		var err error
		sup, err = s.st.EndSupporter(ctx, m.Network, m.Handle, status, now)
		if errors.Is(err, store.ErrNotFound) {
			log.Info("bot: stop or signed from someone not opted in")
			return intent, nil
		}
		if err != nil {
			return intent, fmt.Errorf("bot: %s: %w", intent, err)
		}
		if _, err := s.st.SkipPlannedOutbox(ctx, m.Network, m.Handle, model.OutboxDM, "supporter said "+string(intent)); err != nil {
			return intent, fmt.Errorf("bot: %s: %w", intent, err)
		}
		text = s.fill(tmpl, sup)
	}
	target, localID := m.URI, ""
	switch {
	case m.Network == model.NetworkX && m.RemoteID != "":
		target = m.RemoteID
	case m.Network == model.NetworkMastodon:
		localID = m.RemoteID
	}
	_, err := s.Plan(ctx, model.OutboxItem{
		IdempotencyKey: string(intent) + ":" + string(m.Network) + ":" + m.URI,
		Network:        m.Network,
		Kind:           model.OutboxReply,
		Author:         m.Handle,
		Target:         target,
		Text:           text,
		// On Mastodon the answer is a private reply: only the supporter sees it.
		Payload: model.OutboxPayload{CID: m.CID, Language: lang, Visibility: replyVisibility(m.Network), LocalID: localID},
	})
	if err != nil {
		return intent, err
	}
	log.Info("bot: supporter " + string(intent))
	return intent, nil
}

func replyVisibility(n model.Network) string {
	if n == model.NetworkMastodon {
		return "direct"
	}
	return ""
}

// reminderSlot is when a supporter's next reminder is due after t: one
// cadence later, moved into their waking hours in their time zone.
func (s *Service) reminderSlot(t time.Time, sup model.Supporter) time.Time {
	loc := s.loc
	if sup.TimeZone != "" {
		if l, err := time.LoadLocation(sup.TimeZone); err == nil {
			loc = l
		}
	}
	waking, _ := parseWindow(s.cfg.Reminders.WakingStart, s.cfg.Reminders.WakingEnd)
	next := t.In(loc).AddDate(0, 0, max(sup.CadenceDays, 1))
	if waking.empty() {
		return next
	}
	return waking.nextInside(next, loc)
}

// PlanReminders writes the due reminders to the outbox as direct messages,
// at most Reminders.MaxReminders per supporter, and returns how many. Tick
// calls it; a reminder planned twice (after a crash) is one outbox row.
func (s *Service) PlanReminders(ctx context.Context) (int, error) {
	now := s.now()
	due, err := s.st.DueSupporters(ctx, now, 100)
	if err != nil {
		return 0, fmt.Errorf("bot: reminders: %w", err)
	}
	planned := 0
	for _, sup := range due {
		n := sup.RemindersSent + 1
		if n > s.cfg.Reminders.MaxReminders {
			if err := s.st.FinishSupporter(ctx, sup.ID); err != nil {
				return planned, fmt.Errorf("bot: reminders: %w", err)
			}
			continue
		}
		key := fmt.Sprintf("reminder:%s:%s:%d", sup.Network, strings.ToLower(sup.Handle), n)
		if _, err := s.Plan(ctx, model.OutboxItem{
			IdempotencyKey: key,
			Network:        sup.Network,
			Kind:           model.OutboxDM,
			Author:         sup.Handle,
			Target:         sup.Handle,
			Text:           s.fill(s.texts(sup.Language).Reminder, sup),
			Payload:        model.OutboxPayload{Language: sup.Language},
			NextAttemptAt:  now,
		}); err != nil {
			return planned, err
		}
		var next time.Time
		if n < s.cfg.Reminders.MaxReminders {
			next = s.reminderSlot(now, sup)
		}
		if err := s.st.RecordReminder(ctx, model.Reminder{SupporterID: sup.ID, OutboxKey: key, PlannedAt: now}, next); err != nil {
			return planned, fmt.Errorf("bot: reminders: %w", err)
		}
		planned++
	}
	return planned, nil
}

// Forget deletes everything the bot keeps about a handle, on every network:
// consent, reminder history, and outbox rows about them. It returns how many
// rows were deleted.
func (s *Service) Forget(ctx context.Context, handle string) (int, error) {
	n, err := s.st.ForgetSupporter(ctx, handle)
	if err != nil {
		return 0, fmt.Errorf("bot: forget: %w", err)
	}
	s.log.Info("bot: forgot a supporter", slog.Int("rows", n))
	return n, nil
}

// ExportConsent writes the consent records as CSV for the data controller:
// one line per supporter and network, with every reminder's time.
func (s *Service) ExportConsent(ctx context.Context, w io.Writer) error {
	sups, err := s.st.Supporters(ctx)
	if err != nil {
		return fmt.Errorf("bot: export: %w", err)
	}
	hist, err := s.st.Reminders(ctx)
	if err != nil {
		return fmt.Errorf("bot: export: %w", err)
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"network", "handle", "language", "time_zone", "consent_at", "status", "ended_at",
		"reminders_sent", "reminders_at"})
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, sp := range sups {
		var at []string
		for _, r := range hist[sp.ID] {
			at = append(at, stamp(r.PlannedAt))
		}
		_ = cw.Write([]string{string(sp.Network), csvSafe(sp.Handle), sp.Language, sp.TimeZone, stamp(sp.ConsentAt),
			string(sp.Status), stamp(sp.EndedAt), strconv.Itoa(sp.RemindersSent), strings.Join(at, " ")})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("bot: export: %w", err)
	}
	return nil
}

// csvSafe keeps a spreadsheet from reading a handle as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@", rune(v[0])) {
		return "'" + v
	}
	return v
}
