package submission

import (
	"fmt"
	"strconv"
	"time"
)

// Text is every word the submission pages show, in one place, so a
// translation is one more value of this type (the campaign runs in the 24
// EU languages; English is the first).
type Text struct {
	Lang string

	Title, Intro                                  string
	NameLabel, NameHint                           string
	OrganisationLabel, OrganisationHint           string
	EmailLabel, EmailHint                         string
	StatementLabel, StatementHint                 string
	MediaLabel, AltLabel, AltHint                 string
	Consent                                       string // the words a supporter agrees to; stored with the submission
	ConsentHint                                   string
	Send, Privacy, Optional, ErrorSummaryTitle    string
	ThanksTitle, ThanksBody, ThanksAgain          string
	ClosedTitle, ClosedBody                       string
	MediaHint                                     func(l Limits) string
	StatementCount                                func(max int) string
	RetentionNote                                 func(retention time.Duration) string
	NameMissing, StatementMissing, ConsentMissing string
	TooLongField                                  func(max int) string
	EmailInvalid                                  string
	TooFast                                       func(limit int, window, wait time.Duration) string
	TooManyAttempts                               func(wait time.Duration) string
	ChooseFileAgain                               string
	SeeWall                                       string
	TooLarge                                      func(l Limits) string
	TooManyPixels                                 string
	WrongType                                     string
	HEIC                                          string
	Polyglot                                      string
	BrokenImage                                   string
	BrokenVideo                                   string
	VideoTooLong                                  func(l Limits) string
	FormUnreadable                                string
	Full                                          string
	Failed                                        string
}

// Limits are the configured limits the texts mention.
type Limits struct {
	MaxPhotoBytes, MaxVideoBytes int64
	MaxVideo                     time.Duration
	MaxStatementChars            int
}

// English is the pages' text in English.
var English = Text{
	Lang:  "en",
	Title: "Send your story",
	Intro: "No social media account? Send us a photo or a short video of an EU-funded project in your region, " +
		"with a few words about it. A moderator reads every submission before it appears on the wall.",
	NameLabel:         "Your name",
	NameHint:          "Shown with your submission.",
	OrganisationLabel: "Organisation",
	OrganisationHint:  "Your city, region, association or company, if you speak for one. Shown with your submission.",
	EmailLabel:        "Email",
	EmailHint:         "Only if we may contact you about your submission. Never shown on the wall.",
	StatementLabel:    "Your statement",
	StatementHint:     "What does cohesion policy mean for your region?",
	MediaLabel:        "Photo or video",
	AltLabel:          "Describe the photo or video",
	AltHint:           "A few words for people who cannot see it.",
	Consent:           "I agree that my statement, name, organisation and photo or video are shown publicly on the campaign wall and its pages.",
	ConsentHint:       "Your email is never shown.",
	Send:              "Send",
	Privacy:           "Privacy",
	Optional:          "optional",
	ErrorSummaryTitle: "Please check your submission:",
	ThanksTitle:       "Thank you!",
	ThanksBody:        "We received your submission. A moderator will look at it soon; once approved it appears on the wall.",
	ThanksAgain:       "Send another",
	ClosedTitle:       "Submissions are closed",
	ClosedBody:        "This campaign does not take submissions at the moment.",
	MediaHint: func(l Limits) string {
		return fmt.Sprintf("A JPEG, PNG or WebP photo up to %s, or an MP4 or WebM video up to %s and %s long.",
			sizeText(l.MaxPhotoBytes), sizeText(l.MaxVideoBytes), secondsText(l.MaxVideo))
	},
	StatementCount: func(max int) string { return fmt.Sprintf("At most %d characters.", max) },
	RetentionNote: func(d time.Duration) string {
		return fmt.Sprintf("We keep your email for %s after you send this form, then delete it. "+
			"Your name, organisation, statement and media are kept while the campaign shows them; "+
			"ask us to remove them at any time.", durationText(d))
	},
	NameMissing:      "Please enter your name.",
	StatementMissing: "Please write a statement.",
	ConsentMissing:   "Please tick the box to agree that your submission is shown publicly; we cannot show it otherwise.",
	TooLongField:     func(max int) string { return fmt.Sprintf("Please shorten this to at most %d characters.", max) },
	EmailInvalid:     "This does not look like an email address (like name@example.org). You can also leave it empty.",
	TooFast: func(limit int, window, wait time.Duration) string {
		return fmt.Sprintf("You have sent %d submissions in %s. Please wait %s before sending another.",
			limit, durationText(window), durationText(wait))
	},
	TooManyAttempts: func(wait time.Duration) string {
		return fmt.Sprintf("Too many attempts from your connection. Please wait %s and try again.", durationText(wait))
	},
	ChooseFileAgain: "Please choose your file again: it is not kept when the form comes back.",
	SeeWall:         "See the wall",
	TooLarge: func(l Limits) string {
		return fmt.Sprintf("This file is too large. Photos may be up to %s and videos up to %s.",
			sizeText(l.MaxPhotoBytes), sizeText(l.MaxVideoBytes))
	},
	TooManyPixels: "This photo has too many pixels. Please send a smaller version (at most about 40 megapixels).",
	WrongType:     "This file is not a photo or video we can use. Please send a JPEG, PNG or WebP photo, or an MP4 or WebM video.",
	HEIC: "HEIC photos (the iPhone's default) cannot be used. Please send it as JPEG: choose the photo from your " +
		"photo library in this form, or set Settings → Camera → Formats to Most Compatible.",
	Polyglot: "This file holds more than a photo or video (extra data after the picture or hidden in its details), " +
		"so we cannot accept it. Please save or export the photo or video again and send that.",
	BrokenImage: "This photo could not be read; the file may be damaged. Please try another file.",
	BrokenVideo: "This video could not be read. Please save or export it as a regular MP4 or WebM file and try again.",
	VideoTooLong: func(l Limits) string {
		return fmt.Sprintf("This video is longer than %s. Please trim it and send it again.", secondsText(l.MaxVideo))
	},
	FormUnreadable: "Your submission could not be read. Please try again.",
	Full:           "We cannot take photos or videos right now. Please try again later, or send your statement without a file.",
	Failed:         "Something went wrong on our side and nothing was saved. Please try again in a moment.",
}

// sizeText writes a byte count as people read file sizes, kept on one line.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "\u00a0GB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "\u00a0MB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + "\u00a0MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + "\u00a0KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// durationText writes a duration in words, rounded up to what matters.
func durationText(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return plural(int((d+24*time.Hour-1)/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return plural(int((d+time.Hour-1)/time.Hour), "hour")
	case d >= 2*time.Minute || d%time.Minute == 0 && d >= time.Minute:
		return plural(int((d+time.Minute-1)/time.Minute), "minute")
	}
	return plural(max(1, int((d+time.Second-1)/time.Second)), "second")
}

// secondsText writes a video's length limit: "60 seconds", not "1 minute".
func secondsText(d time.Duration) string { return plural(int(d/time.Second), "second") }

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
