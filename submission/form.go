package submission

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/cohesionalliance/campaignwall/media"
	"github.com/cohesionalliance/campaignwall/model"
)

// The form's fields, as named in the HTML; fieldForm is for problems that
// belong to no one field.
const (
	fieldName         = "name"
	fieldOrganisation = "organisation"
	fieldEmail        = "email"
	fieldStatement    = "statement"
	fieldMedia        = "media"
	fieldAlt          = "alt"
	fieldConsent      = "consent"
	fieldForm         = "form"
)

// fieldOrder is the order problems are listed in: the form's.
var fieldOrder = []string{fieldForm, fieldName, fieldOrganisation, fieldEmail, fieldStatement, fieldMedia, fieldAlt, fieldConsent}

// Length limits, in characters, of the fields other than the statement.
const (
	maxName         = 100
	maxOrganisation = 150
	maxEmail        = 254 // RFC 5321's longest path
	maxAlt          = 300
)

// formValues is what someone typed. It comes back with the form after a
// refusal; the file does not (browsers cannot be given one back).
type formValues struct {
	Name, Organisation, Email, Statement, Alt string
	Consent                                   bool
}

// problem is one reason a submission was refused, shown at its field and in
// the summary at the top.
type problem struct {
	Field, Msg string
}

// refusal is why a submission was not taken, and the status it answers with.
type refusal struct {
	status   int
	problems []problem
}

func refuse(status int, field, msg string) *refusal {
	return &refusal{status: status, problems: []problem{{field, msg}}}
}

// spooled is the uploaded file, in a temporary file removed by close.
type spooled struct {
	f      *os.File
	size   int64
	closed bool
}

// close removes the temporary file; it may be called more than once. The
// handler calls it before writing any response, so a client that has its
// answer never finds the upload still on disk.
func (s *spooled) close() {
	if s == nil || s.closed {
		return
	}
	s.closed = true
	s.f.Close()
	os.Remove(s.f.Name())
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.opts.Enabled {
		h.render(w, r, http.StatusNotFound, closedPage(h.view()))
		return
	}
	key := clientKey(h.opts.ClientIP(r))
	now := h.opts.Now()
	wait, attempts, allowed := h.limit.reserve(now, key)
	// The form is read even when the client is over the limit (without
	// keeping the file), so what they typed comes back with the message.
	vals, file, ref := h.readForm(w, r, allowed)
	defer file.close()
	if !allowed {
		file.close()
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		msg := h.text.TooFast(h.opts.RateLimit, h.opts.RateWindow, wait)
		if attempts {
			msg = h.text.TooManyAttempts(wait)
		}
		h.log.InfoContext(ctx, "submission refused", slog.String("reason", "rate limit"), slog.Bool("attempts", attempts))
		h.refuse(w, r, vals, false, refuse(http.StatusTooManyRequests, fieldForm, msg))
		return
	}
	stored := false
	defer func() {
		if !stored {
			h.limit.release(now, key)
		}
	}()
	if ref == nil {
		ref = h.validate(&vals)
	}
	if ref != nil {
		h.log.InfoContext(ctx, "submission refused", slog.String("reason", "form"), slog.Int("status", ref.status))
		sent := file != nil
		file.close()
		h.refuse(w, r, vals, sent, ref)
		return
	}

	var up *media.Upload
	if file != nil {
		up, ref = h.addFile(ctx, file)
		file.close()
		if ref != nil {
			h.refuse(w, r, vals, false, ref)
			return
		}
	}
	post, err := h.save(ctx, vals, up, now)
	if err != nil {
		h.log.ErrorContext(ctx, "save submission", slog.Any("error", err))
		if up != nil {
			// The client may be gone; the file must go all the same.
			if err := up.Drop(context.WithoutCancel(ctx)); err != nil {
				h.log.ErrorContext(ctx, "drop unsaved submission file", slog.String("key", up.Key), slog.Any("error", err))
			}
		}
		h.refuse(w, r, vals, false, refuse(http.StatusInternalServerError, fieldForm, h.text.Failed))
		return
	}
	if up != nil {
		up.Keep()
	}
	stored = true
	attrs := []any{slog.Int64("post_id", post.ID)}
	if up != nil {
		attrs = append(attrs, slog.String("media", string(up.Kind)), slog.String("key", up.Key))
	}
	h.log.InfoContext(ctx, "submission received", attrs...)
	if h.opts.OnSubmitted != nil {
		h.opts.OnSubmitted(ctx, post)
	}
	http.Redirect(w, r, "/submit/thanks", http.StatusSeeOther)
}

// refuse shows the form again with what was typed and every problem.
// fileDropped says a file was sent but not looked at, so the form asks for it
// again.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, vals formValues, fileDropped bool, ref *refusal) {
	v := h.view()
	v.Values = vals
	v.Errors = map[string]string{}
	for _, p := range ref.problems {
		if _, dup := v.Errors[p.Field]; !dup {
			v.Errors[p.Field] = p.Msg
		}
	}
	for _, f := range fieldOrder {
		if msg, ok := v.Errors[f]; ok {
			v.Problems = append(v.Problems, problem{f, msg})
		}
	}
	if fileDropped && v.Errors[fieldMedia] == "" {
		v.ChooseFileAgain = true
	}
	h.render(w, r, ref.status, formPage(v))
}

// maxBody caps the whole request: the largest file plus room for the text.
func (h *Handler) maxBody() int64 {
	return max(h.opts.MaxPhotoBytes, h.opts.MaxVideoBytes) + 1<<20
}

// readForm streams the multipart form: text fields into memory (each
// capped), the file into a temporary file (capped at the largest file
// allowed) or, when keepFile is false, nowhere.
func (h *Handler) readForm(w http.ResponseWriter, r *http.Request, keepFile bool) (formValues, *spooled, *refusal) {
	var vals formValues
	var file *spooled
	r.Body = http.MaxBytesReader(w, r.Body, h.maxBody())
	mr, err := r.MultipartReader()
	if err != nil {
		return vals, nil, refuse(http.StatusBadRequest, fieldForm, h.text.FormUnreadable)
	}
	var tooLong []problem
	fail := func(err error) (formValues, *spooled, *refusal) {
		if file != nil {
			file.close()
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			// Read the rest (up to the body's cap) before answering: browsers
			// still sending a file often show a reset connection instead of a
			// response that comes early.
			_, _ = io.Copy(io.Discard, r.Body)
			return vals, nil, refuse(http.StatusRequestEntityTooLarge, fieldMedia, h.text.TooLarge(h.limits()))
		}
		h.log.InfoContext(r.Context(), "submission form unreadable", slog.Any("error", err))
		return vals, nil, refuse(http.StatusBadRequest, fieldForm, h.text.FormUnreadable)
	}
	text := map[string]*string{
		fieldName: &vals.Name, fieldOrganisation: &vals.Organisation, fieldEmail: &vals.Email,
		fieldStatement: &vals.Statement, fieldAlt: &vals.Alt,
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		name := part.FormName()
		switch {
		case text[name] != nil || name == fieldConsent:
			limit := 4*h.charLimit(name) + 16 // UTF-8 takes up to 4 bytes a character
			b, err := io.ReadAll(io.LimitReader(part, int64(limit)+1))
			if err != nil {
				return fail(err)
			}
			if len(b) > limit {
				tooLong = append(tooLong, problem{name, h.text.TooLongField(h.charLimit(name))})
				if _, err := io.Copy(io.Discard, part); err != nil {
					return fail(err)
				}
				b = b[:limit]
			}
			if name == fieldConsent {
				vals.Consent = string(b) == "yes"
			} else {
				*text[name] = strings.ToValidUTF8(string(b), "")
			}
		case name == fieldMedia && keepFile && file == nil:
			f, err := os.CreateTemp(h.opts.TempDir, "campaignwall-upload-*")
			if err != nil {
				h.log.ErrorContext(r.Context(), "spool upload", slog.Any("error", err))
				return vals, nil, refuse(http.StatusInternalServerError, fieldForm, h.text.Failed)
			}
			file = &spooled{f: f}
			limit := max(h.opts.MaxPhotoBytes, h.opts.MaxVideoBytes)
			file.size, err = io.Copy(f, io.LimitReader(part, limit+1))
			if err != nil {
				return fail(err)
			}
			if file.size > limit {
				return fail(&http.MaxBytesError{Limit: limit})
			}
			if file.size == 0 { // the empty part of a form sent without a file
				file.close()
				file = nil
			}
		default: // a second file, a field this form does not have, or a file not kept
			if _, err := io.Copy(io.Discard, part); err != nil {
				return fail(err)
			}
		}
		part.Close()
	}
	if len(tooLong) > 0 {
		return vals, file, &refusal{status: http.StatusUnprocessableEntity, problems: tooLong}
	}
	return vals, file, nil
}

func (h *Handler) charLimit(field string) int {
	switch field {
	case fieldName:
		return maxName
	case fieldOrganisation:
		return maxOrganisation
	case fieldEmail:
		return maxEmail
	case fieldAlt:
		return maxAlt
	case fieldStatement:
		return h.opts.MaxStatementChars
	}
	return 8 // consent's "yes"
}

// validate tidies the typed values (valid UTF-8, NFC, no control
// characters, single-line fields on one line) and checks them.
func (h *Handler) validate(v *formValues) *refusal {
	v.Name = oneLine(v.Name)
	v.Organisation = oneLine(v.Organisation)
	v.Email = oneLine(v.Email)
	v.Alt = oneLine(v.Alt)
	v.Statement = multiLine(v.Statement)
	var ps []problem
	if v.Name == "" {
		ps = append(ps, problem{fieldName, h.text.NameMissing})
	}
	if v.Statement == "" {
		ps = append(ps, problem{fieldStatement, h.text.StatementMissing})
	}
	for _, f := range []struct {
		name  string
		value string
	}{{fieldName, v.Name}, {fieldOrganisation, v.Organisation}, {fieldEmail, v.Email}, {fieldStatement, v.Statement}, {fieldAlt, v.Alt}} {
		if n := h.charLimit(f.name); utf8.RuneCountInString(f.value) > n {
			ps = append(ps, problem{f.name, h.text.TooLongField(n)})
		}
	}
	if v.Email != "" && !validEmail(v.Email) {
		ps = append(ps, problem{fieldEmail, h.text.EmailInvalid})
	}
	if !v.Consent {
		ps = append(ps, problem{fieldConsent, h.text.ConsentMissing})
	}
	if len(ps) > 0 {
		return &refusal{status: http.StatusUnprocessableEntity, problems: ps}
	}
	return nil
}

// validEmail accepts a bare address with a dot in its domain: what a
// person types, not a display name or a local test address.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".")
}

// tidy makes typed text canonical: NFC (so "é" typed two ways is one),
// Windows line ends as \n, and no control or invisible formatting
// characters but the line break (bidi overrides could disguise a name).
func tidy(s string, keepNewlines bool) string {
	s = norm.NFC.String(strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\r\n", "\n"))
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && keepNewlines:
			return r
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d': // keep ZWJ: emoji sequences
			return -1
		}
		return r
	}, s)
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(tidy(s, false)), " ") }

// multiLine keeps paragraphs but not runs of blank lines or trailing spaces.
func multiLine(s string) string {
	lines := strings.Split(tidy(s, true), "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if strings.TrimSpace(l) == "" {
			blank++
			continue
		}
		if len(out) > 0 && blank > 0 {
			out = append(out, "")
		}
		blank = 0
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// addFile hands the file to the media cache: a video when its first bytes
// say so, a photo otherwise (media tells which photos it does not take).
func (h *Handler) addFile(ctx context.Context, s *spooled) (*media.Upload, *refusal) {
	head := make([]byte, 16)
	n, _ := s.f.ReadAt(head, 0)
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		h.log.ErrorContext(ctx, "read spooled upload", slog.Any("error", err))
		return nil, refuse(http.StatusInternalServerError, fieldForm, h.text.Failed)
	}
	var up *media.Upload
	var err error
	if media.IsVideo(head[:n]) {
		if s.size > h.opts.MaxVideoBytes {
			return nil, refuse(http.StatusRequestEntityTooLarge, fieldMedia, h.text.TooLarge(h.limits()))
		}
		up, err = h.media.AddVideo(ctx, s.f, h.opts.MaxVideoBytes, h.opts.MaxVideo)
	} else {
		if s.size > h.opts.MaxPhotoBytes {
			return nil, refuse(http.StatusRequestEntityTooLarge, fieldMedia, h.text.TooLarge(h.limits()))
		}
		var data []byte
		if data, err = io.ReadAll(s.f); err == nil {
			up, err = h.media.AddPhoto(ctx, data)
		}
	}
	if err == nil {
		return up, nil
	}
	status, msg := h.fileProblem(err)
	if status >= 500 {
		h.log.ErrorContext(ctx, "store submitted file", slog.Any("error", err))
	} else {
		h.log.InfoContext(ctx, "submission refused", slog.String("reason", "file"), slog.String("error", err.Error()))
	}
	return nil, refuse(status, fieldMedia, msg)
}

// fileProblem says, in the supporter's words, why media refused a file.
func (h *Handler) fileProblem(err error) (int, string) {
	t := h.text
	switch {
	case errors.Is(err, media.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, t.TooLarge(h.limits())
	case errors.Is(err, media.ErrTooManyPixels):
		return http.StatusRequestEntityTooLarge, t.TooManyPixels
	case errors.Is(err, media.ErrHEIC):
		return http.StatusUnsupportedMediaType, t.HEIC
	case errors.Is(err, media.ErrUnsupportedType), errors.Is(err, media.ErrNotVideo):
		return http.StatusUnsupportedMediaType, t.WrongType
	case errors.Is(err, media.ErrPolyglot):
		return http.StatusUnprocessableEntity, t.Polyglot
	case errors.Is(err, media.ErrVideoTooLong):
		return http.StatusUnprocessableEntity, t.VideoTooLong(h.limits())
	case errors.Is(err, media.ErrBadVideo):
		return http.StatusUnprocessableEntity, t.BrokenVideo
	case errors.Is(err, media.ErrBadImage):
		return http.StatusUnprocessableEntity, t.BrokenImage
	case errors.Is(err, media.ErrDiskBudget):
		return http.StatusServiceUnavailable, t.Full
	}
	return http.StatusInternalServerError, t.Failed
}

// save stores the submission as a pending post, with its media and details,
// in one transaction.
func (h *Handler) save(ctx context.Context, v formValues, up *media.Upload, now time.Time) (model.Post, error) {
	id := h.opts.NewID()
	p := model.Post{
		Network:  model.NetworkSubmission,
		URI:      URIPrefix + id,
		RemoteID: id,
		Category: Category,
		// A submitter has no handle; the ID keeps each submission's author
		// apart (two people may share a name). Pages show the organisation.
		Author:      model.Author{Handle: "submission:" + id, DisplayName: v.Name, Bio: v.Organisation},
		Text:        v.Statement,
		PublishedAt: now,
		CollectedAt: now,
		Status:      model.StatusPending,
	}
	if up != nil {
		p.Media = []model.Media{up.Media(v.Alt)}
	}
	return h.st.SaveSubmission(ctx, p, model.Submission{Email: v.Email, ConsentText: h.text.Consent, ConsentAt: now})
}
